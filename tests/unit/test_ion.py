"""opendynamo.model.ion: DynamoDB's ION export lines and the Ion text ImportTable reads."""

from __future__ import annotations

import base64
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendynamo.model import ion, numbers, values
from opendynamo.model.ion import Annotated, Clob, IonError, Symbol, Timestamp
from opendynamo.model.values import AttributeValue, Item

BOOK_103: Item = {
    "Authors": {"SS": ["Author1", "Author2"]},
    "Dimensions": {"S": "8.5 x 11.0 x 1.5"},
    "ISBN": {"S": "333-3333333333"},
    "Id": {"N": "103"},
    "InPublication": {"BOOL": False},
    "PageCount": {"N": "600"},
    "Price": {"N": "2000"},
    "ProductCategory": {"S": "Book"},
    "Title": {"S": "Book 103 Title"},
}


def parse_value(text: str) -> Any:
    """One Ion value, parsed as the field of a struct."""
    return next(ion.loads("{v:" + text + "}"))["v"]


def wire_of(text: str) -> AttributeValue:
    """The DynamoDB value of one Ion value."""
    return ion.item_of({"v": parse_value(text)})["v"]


def round_trip(item: Item) -> Item:
    return ion.item_of(next(ion.loads(ion.dumps_record({"Item": item})))["Item"])


# --- DynamoDB's documented text --------------------------------------------------------------


def test_docs_export_example() -> None:
    """The Amazon Ion example of "DynamoDB table export output format", on one line:
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html
    (`$ion_1_0 {Item:{Authors:$dynamodb_SS::["Author1","Author2"],...,Id:103.,...}}`)."""
    assert ion.dumps_record({"Item": BOOK_103}) == (
        '$ion_1_0 {Item:{Authors:$dynamodb_SS::["Author1","Author2"],'
        'Dimensions:"8.5 x 11.0 x 1.5",ISBN:"333-3333333333",Id:103.,InPublication:false,'
        'PageCount:6d2,Price:2d3,ProductCategory:"Book",Title:"Book 103 Title"}}'
    )


def test_docs_export_example_as_printed_reads_back() -> None:
    """The same example as the page prints it, over several lines."""
    text = """$ion_1_0 {
        Item:{
            Authors:$dynamodb_SS::["Author1","Author2"],
            Dimensions:"8.5 x 11.0 x 1.5",
            ISBN:"333-3333333333",
            Id:103.,
            InPublication:false,
            PageCount:6d2,
            Price:2d3,
            ProductCategory:"Book",
            Title:"Book 103 Title"
        }
    }"""
    assert list(ion.load_items(text)) == [BOOK_103]


def test_docs_import_example_with_a_top_level_list() -> None:
    """ImportTable's Amazon Ion example wraps the records in one list:
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.Format.html"""
    records = ",\n".join(
        ion.dumps_item({"Item": {"M": {**BOOK_103, "Id": {"N": str(number)}}}})
        for number in (103, 104, 105)
    )
    items = list(ion.load_items(f"$ion_1_0\n[\n{records}\n]\n"))
    assert [item["Id"] for item in items] == [{"N": "103"}, {"N": "104"}, {"N": "105"}]
    assert items[0] == BOOK_103


def test_incremental_record() -> None:
    """Record fields keep the caller's order; each is written like an item."""
    line = ion.dumps_record(
        {
            "Metadata": {"WriteTimestampMicros": {"N": "1680109764123456"}},
            "Keys": {"pk": {"S": "a"}},
            "NewImage": {"pk": {"S": "a"}, "v": {"N": "2"}},
            "OldImage": {"pk": {"S": "a"}, "v": {"N": "1"}},
        }
    )
    assert line == (
        '$ion_1_0 {Metadata:{WriteTimestampMicros:1680109764123456.},Keys:{pk:"a"},'
        'NewImage:{pk:"a",v:2.},OldImage:{pk:"a",v:1.}}'
    )
    record = next(ion.loads(line))
    assert ion.item_of(record["Metadata"]) == {"WriteTimestampMicros": {"N": "1680109764123456"}}
    assert ion.item_of(record["OldImage"]) == {"pk": {"S": "a"}, "v": {"N": "1"}}


# --- Writing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "text"),
    [
        ("0", "0."),
        ("103", "103."),
        ("-7", "-7."),
        ("600", "6d2"),
        ("2000", "2d3"),
        ("1.5", "1.5"),
        ("-12.25", "-12.25"),
        ("0.5", "0.5"),
        ("0.05", "0.05"),
        ("0.0000015", "0.0000015"),  # adjusted exponent -6: still spelled out
        ("0.00000015", "15d-8"),
        ("1" + "0" * 125, "1d125"),
        ("-0." + "0" * 129 + "1", "-1d-130"),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678."),
        ("1234567890123456789012345678901234567.8", "1234567890123456789012345678901234567.8"),
        ("9" * 38 + "0" * 88, "9" * 38 + "d88"),
    ],
)
def test_numbers_are_decimals(number: str, text: str) -> None:
    """ion-java's decimal text for DynamoDB's number with trailing zeros stripped."""
    assert ion.dumps_value({"N": number}) == text
    assert numbers.canonical(parse_value(text)) == number


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"S": ""}, '""'),
        ({"S": 'q"b\\s'}, '"q\\"b\\\\s"'),
        ({"S": "\n\t\r\x00\x07\x08\x0b\x0c"}, '"\\n\\t\\r\\0\\a\\b\\v\\f"'),
        ({"S": "\x01\x1f\x7f\x85\x9f"}, '"\\x01\\x1f\\x7f\\x85\\x9f"'),
        ({"S": "it's é\u00a0😀"}, '"it\'s é\u00a0😀"'),
        ({"B": ""}, "{{}}"),
        ({"B": "aGVsbG8="}, "{{aGVsbG8=}}"),
        ({"BOOL": True}, "true"),
        ({"NULL": True}, "null"),
        ({"L": []}, "[]"),
        ({"M": {}}, "{}"),
        ({"L": [{"N": "1"}, {"S": "x"}, {"L": []}]}, '[1.,"x",[]]'),
        ({"M": {"b": {"N": "1"}, "a": {"NULL": True}}}, "{a:null,b:1.}"),
        ({"SS": ["b", "a"]}, '$dynamodb_SS::["b","a"]'),
        ({"NS": ["10", "-0.5"]}, "$dynamodb_NS::[1d1,-0.5]"),
        ({"BS": ["AQ==", "Ag=="]}, "$dynamodb_BS::[{{AQ==}},{{Ag==}}]"),
    ],
)
def test_value_text(value: AttributeValue, text: str) -> None:
    assert ion.dumps_value(value) == text


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("plain", "plain"),
        ("_x9$", "_x9$"),
        ("$ion", "$ion"),
        ("a-b", "'a-b'"),
        ("1st", "'1st'"),
        ("null", "'null'"),
        ("true", "'true'"),
        ("nan", "'nan'"),
        ("$12", "'$12'"),
        ("", "''"),
        ("é", "'é'"),
        ("it's", "'it\\'s'"),
        ('say "hi"', "'say \"hi\"'"),
        ("tab\t", "'tab\\t'"),
    ],
)
def test_field_names(name: str, text: str) -> None:
    """Identifiers are bare symbols; anything else, keywords and symbol IDs are quoted."""
    line = ion.dumps_item({name: {"N": "1"}})
    assert line == "{" + text + ":1.}"
    assert next(ion.loads(line)) == {name: Decimal(1)}


def test_item_attributes_are_sorted() -> None:
    assert ion.dumps_item({"b": {"S": "2"}, "a": {"S": "1"}, "B": {"S": "0"}}) == (
        '{B:"0",a:"1",b:"2"}'
    )


# --- Round trips -----------------------------------------------------------------------------


ALL_BYTES = base64.b64encode(bytes(range(256))).decode("ascii")


@pytest.mark.parametrize(
    "value",
    [
        {"S": ""},
        {"S": "ünïcödé ☃ 😀 \u2028 \x00 \x7f \\ \" ' '''"},
        {"N": "1" + "0" * 125},
        {"N": "-0." + "0" * 129 + "1"},
        {"N": "9" * 38 + "0" * 88},
        {"N": "-0.00000000000000000000000000000000000001"},
        {"N": "12345678901234567890123456789012345678"},
        {"N": "0"},
        {"B": ""},
        {"B": ALL_BYTES},
        {"BOOL": True},
        {"NULL": True},
        {"M": {"": {"S": "empty name"}, "a b": {"M": {"c": {"L": [{"M": {}}]}}}}},
        {"L": [{"L": []}, {"N": "1.5"}, {"SS": ["x"]}]},
        {"SS": ["", "b", "a"]},
        {"NS": ["3", "-1E-130", "0.5"]},
        {"BS": [ALL_BYTES, ""]},
    ],
)
def test_round_trip_examples(value: AttributeValue) -> None:
    item = values.normalize_item({"v": value})
    assert round_trip(item) == item


def _number(negative: bool, coefficient: int, adjusted: int) -> str:
    digits = tuple(int(digit) for digit in str(coefficient))
    return numbers.canonical(Decimal((int(negative), digits, adjusted - len(digits) + 1)))


NUMBERS = st.one_of(
    st.just("0"),
    st.builds(_number, st.booleans(), st.integers(1, 10**38 - 1), st.integers(-130, 125)),
    st.integers(-(10**20), 10**20).map(str),
)
BINARIES = st.binary(max_size=24).map(lambda data: base64.b64encode(data).decode("ascii"))
SCALARS = st.one_of(
    st.text().map(lambda text: {"S": text}),
    NUMBERS.map(lambda number: {"N": number}),
    BINARIES.map(lambda b64: {"B": b64}),
    st.booleans().map(lambda flag: {"BOOL": flag}),
    st.just({"NULL": True}),
    st.lists(st.text(), min_size=1, max_size=4, unique=True).map(lambda m: {"SS": m}),
    st.lists(NUMBERS, min_size=1, max_size=4, unique=True).map(lambda m: {"NS": m}),
    st.lists(BINARIES, min_size=1, max_size=4, unique=True).map(lambda m: {"BS": m}),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda members: {"L": members}),
        st.dictionaries(st.text(max_size=6), children, max_size=4).map(lambda m: {"M": m}),
    ),
    max_leaves=16,
)
ITEMS = st.dictionaries(st.text(min_size=1, max_size=8), VALUES, max_size=6)


@given(ITEMS)
def test_round_trip(item: Item) -> None:
    assert values.normalize_item(item) == item  # the strategy makes normalised items
    assert round_trip(item) == item
    assert ion.item_of(next(ion.loads(ion.dumps_item(item)))) == item


@given(NUMBERS)
def test_decimal_text_is_the_same_number(number: str) -> None:
    text = ion.dumps_value({"N": number})
    assert "." in text or "d" in text  # an Ion decimal, never an int
    assert Decimal(text.replace("d", "e")) == Decimal(number)


# --- Reading Ion text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"a\\nb"', "a\nb"),
        ('"\\u00e9"', "é"),
        ('"\\U0001F600"', "😀"),
        ('"\\ud83d\\ude00"', "😀"),
        ('"\\x41\\x7f"', "A\x7f"),
        ('"\\0\\a\\b\\t\\v\\f\\r\\?\\/\\\'\\"\\\\"', "\0\a\b\t\v\f\r?/'\"\\"),
        ('"joined \\\nline"', "joined line"),
        ("'''long'''", "long"),
        ("'''one''' '''two'''", "onetwo"),
        ("'''a''' /* block */ // line\n '''b'''", "ab"),
        ("'''it's\nmulti-line \\''''", "it's\nmulti-line '"),
        ("'''\\u00e9'''", "é"),
        ("abc", Symbol("abc")),
        ("'a b'", Symbol("a b")),
        ("'it\\'s'", Symbol("it's")),
        ("''", Symbol("")),
        ("0", 0),
        ("-12", -12),
        ("1_000_000", 1000000),
        ("0x1F", 31),
        ("-0xff_ff", -65535),
        ("0b101", 5),
        ("1.5", Decimal("1.5")),
        ("1.", Decimal("1")),
        ("1.5d-3", Decimal("0.0015")),
        ("1.5D3", Decimal("1500")),
        ("-0.", Decimal("-0")),
        ("6d2", Decimal("600")),
        ("1_0.2_5", Decimal("10.25")),
        ("1e3", 1000.0),
        ("-1.5e-3", -0.0015),
        ("+inf", math.inf),
        ("-inf", -math.inf),
        ("{{aGVsbG8=}}", b"hello"),
        ("{{ aGVs\n  bG8= }}", b"hello"),
        ("{{}}", b""),
        ('{{"hi\\x00\\xff"}}', Clob(b"hi\x00\xff")),
        ("{{ '''a''' '''b''' }}", Clob(b"ab")),
        ("true", True),
        ("false", False),
        ("null", None),
        ("null.null", None),
        ("null.string", None),
        ("null.struct", None),
        ("a::1", Annotated(("a",), 1)),
        ("a :: 'b c' :: [1]", Annotated(("a", "b c"), [1])),
        ("2007T", Timestamp("2007T")),
        ("2007-02T", Timestamp("2007-02T")),
        ("2007-02-23", Timestamp("2007-02-23")),
        ("2007-02-23T", Timestamp("2007-02-23T")),
        ("2007-02-23T12:14Z", Timestamp("2007-02-23T12:14Z")),
        ("2007-02-23T12:14:33.079-08:00", Timestamp("2007-02-23T12:14:33.079-08:00")),
        ("[1, 2,]", [1, 2]),
        ("[ ]", []),
        (
            "{\"s\":1, 'q s':2, '''l''':3, null:4, a:5,}",
            {"s": 1, "q s": 2, "l": 3, "null": 4, "a": 5},
        ),
        ("{a:1,a:2}", {"a": 2}),
        ("[{a:[{}]}]", [{"a": [{}]}]),
    ],
)
def test_parse(text: str, value: Any) -> None:
    parsed = parse_value(text)
    assert parsed == value
    assert type(parsed) is type(value)


def test_parse_nan() -> None:
    assert math.isnan(parse_value("nan"))


def test_stream_of_records() -> None:
    text = """
        // an export file
        $ion_1_0 {Item:{a:1}}
        $ion_1_0 {Item:{a:2}} /* two
        lines */ $ion_symbol_table::{symbols:["x"]}
        {Item:{a:3}}
    """
    assert [record["Item"]["a"] for record in ion.loads(text)] == [1, 2, 3]
    assert list(ion.loads("")) == []
    assert list(ion.loads("$ion_1_0\n")) == []


def test_loads_is_lazy() -> None:
    records = ion.loads("{a:1} {")
    assert next(records) == {"a": 1}
    with pytest.raises(IonError):
        next(records)


def test_item_of_maps_every_ion_type() -> None:
    text = """{
        s:"x", sym:abc, ts:2007-02-23T12:14Z, i:-12, big:0x7FFF_FFFF_FFFF_FFFF_FF,
        d:1.50, f:1.1e0, blob:{{AQI=}}, clob:{{"A"}}, t:true, n:null, tn:null.int,
        m:{k:[1,"y"]}, l:[], o:other::"annotated",
        ss:$dynamodb_SS::["a",b], ns:$dynamodb_NS::[1,2.5,3e0], bs:$dynamodb_BS::[{{AQ==}},{{"B"}}]
    }"""
    assert ion.item_of(next(ion.loads(text))) == {
        "s": {"S": "x"},
        "sym": {"S": "abc"},
        "ts": {"S": "2007-02-23T12:14Z"},
        "i": {"N": "-12"},
        "big": {"N": str(0x7FFFFFFFFFFFFFFFFF)},
        "d": {"N": "1.5"},
        "f": {"N": "1.1"},
        "blob": {"B": "AQI="},
        "clob": {"B": "QQ=="},
        "t": {"BOOL": True},
        "n": {"NULL": True},
        "tn": {"NULL": True},
        "m": {"M": {"k": {"L": [{"N": "1"}, {"S": "y"}]}}},
        "l": {"L": []},
        "o": {"S": "annotated"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5", "3"]},
        "bs": {"BS": ["AQ==", "Qg=="]},
    }


def test_item_of_gives_plain_strings() -> None:
    item = ion.item_of(next(ion.loads("{a:sym, b:2007T}")))
    assert type(item["a"]["S"]) is str and type(item["b"]["S"]) is str


def test_load_items() -> None:
    text = '$ion_1_0 {Item:{pk:"a",n:6d2}}\n$ion_1_0 {Item:{pk:"b",s:$dynamodb_SS::["x"]}}\n'
    assert list(ion.load_items(text)) == [
        {"pk": {"S": "a"}, "n": {"N": "600"}},
        {"pk": {"S": "b"}, "s": {"SS": ["x"]}},
    ]


# --- Errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{a:"abc', 'line 1, column 4: unterminated string: a "string" must close on its line'),
        ('{a:"ab\nc"}', "line 1, column 4: unterminated string"),
        ('{a:"\\q"}', "line 1, column 4: invalid escape \\q"),
        ('{a:"\\x4"}', "line 1, column 4: invalid escape"),
        ('{a:"\\ud800"}', "line 1, column 4: unpaired surrogate escape"),
        ("{a:'''abc}", "line 1, column 4: unterminated ''' string"),
        ("{a:'abc}", "line 1, column 4: unterminated quoted symbol"),
        ("{a 1}", "line 1, column 4: expected ':' after a field name"),
        ("{:1}", "line 1, column 2: expected a field name, found ':'"),
        ("{a:1", "line 1, column 5: expected ',' or '}', found the end"),
        ("{a:1 b:2}", "line 1, column 6: expected ',' or '}', found 'b'"),
        ("{a:[1 2]}", "line 1, column 7: expected ',' or ']', found '2'"),
        ("{a:[1,,]}", "line 1, column 7: expected a value, found ','"),
        ("{a:}", "line 1, column 4: expected a value, found '}'"),
        ("{a:007}", "line 1, column 4: malformed number '00'"),
        ("{a:1.5e}", "line 1, column 4: malformed number '1.5e'"),
        ("{a:12ab}", "line 1, column 4: malformed number '12a'"),
        ("{a:+5}", "line 1, column 4: malformed number"),
        ("{a:-}", "line 1, column 4: malformed number"),
        ("{a:2007-13-01}", "line 1, column 4: invalid date in timestamp 2007-13-01"),
        ("{a:2007-02-23T25:00Z}", "line 1, column 4: malformed timestamp"),
        ("{a:2007-02}", "line 1, column 4: malformed timestamp"),
        ("{a:{{ ab$ }}}", "line 1, column 4: malformed blob: expected base64 text and '}}'"),
        ("{a:{{ abc }}}", "line 1, column 4: malformed blob: invalid base64"),
        ('{a:{{"é"}}}', "line 1, column 6: a clob holds ASCII text only"),
        ('{a:{{"\\u0041"}}}', "line 1, column 6: invalid escape \\u0041"),
        ('{a:{{"x" "y"}}}', "line 1, column 4: malformed clob"),
        ("{a:null.foo}", "line 1, column 4: unknown typed null"),
        ("{a:(1 2)}", "line 1, column 4: s-expressions are not supported"),
        ("{a:$10}", "line 1, column 4: symbol IDs such as $10 are not supported"),
        ("{$10:1}", "line 1, column 2: symbol IDs such as $10 are not supported"),
        ('"just a string"', "line 1, column 1: expected a struct, found string"),
        ("$ion_1_0 42", "line 1, column 10: expected a struct, found int"),
        ("[{a:1}, 2]", "line 1, column 1: expected a struct, found a list of non-structs"),
        ("x::{a:1}", "line 1, column 1: expected a struct, found annotated value"),
        ("$ion_2_0 {}", "line 1, column 1: unsupported Ion version $ion_2_0"),
        ("{a:1} /* never closed", "line 1, column 7: unterminated /* comment"),
        ("{a:" + "[" * 200, "line 1, column 103: containers nested deeper than 100"),
        ("$ion_1_0 {a:1}\n$ion_1_0 {b:\n  1x}", "line 3, column 3: malformed number '1x'"),
    ],
)
def test_malformed_text(text: str, message: str) -> None:
    with pytest.raises(IonError) as caught:
        list(ion.loads(text))
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1d126", "attribute 'v': 1E+126: Number overflow."),
        ("-1d-131", "attribute 'v': -1E-131: Number underflow."),
        ("1" * 39, "attribute 'v': " + "1" * 39 + ": Attempting to store more than 38"),
        ("1.5e400", "attribute 'v': inf is not a number DynamoDB can store"),
        ("nan", "attribute 'v': nan is not a number DynamoDB can store"),
        ("-inf", "attribute 'v': -inf is not a number DynamoDB can store"),
        ("[1d200]", "attribute 'v': 1E+200: Number overflow."),
        ("$dynamodb_SS::[1]", "attribute 'v': a $dynamodb_SS member must be a string, found int"),
        ('$dynamodb_NS::["1"]', "attribute 'v': a $dynamodb_NS member must be a number, found"),
        ("$dynamodb_NS::[true]", "attribute 'v': a $dynamodb_NS member must be a number, found"),
        ('$dynamodb_BS::["x"]', "attribute 'v': a $dynamodb_BS member must be a blob, found"),
        ('$dynamodb_SS::"x"', "attribute 'v': $dynamodb_SS annotates a string, not a list"),
    ],
)
def test_values_no_item_holds(text: str, message: str) -> None:
    with pytest.raises(IonError) as caught:
        wire_of(text)
    assert str(caught.value).startswith(message)


def test_item_of_needs_a_struct() -> None:
    with pytest.raises(IonError, match="an item must be a struct, found list"):
        ion.item_of([1])


def test_load_items_errors_say_where() -> None:
    with pytest.raises(IonError, match=r"^line 1, column 10: a record has no Item field$"):
        list(ion.load_items("$ion_1_0 {Keys:{}}"))
    text = "$ion_1_0 {Item:{n:1}}\n$ion_1_0 {Item:{n:1d300}}"
    with pytest.raises(IonError, match=r"^line 2, column 10: attribute 'n': 1E\+300: Number o"):
        list(ion.load_items(text))


def test_ion_error_is_a_value_error() -> None:
    assert issubclass(IonError, ValueError)
