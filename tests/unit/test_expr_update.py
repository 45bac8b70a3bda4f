"""Pure application of update expressions, with DynamoDB's runtime errors.

Several cases come from dynalite's updateItem tests, which were run against DynamoDB.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from opendynamo.errors import DynamoError
from opendynamo.expr import (
    apply_update,
    compile_expressions,
    project,
    update_paths,
    updated_item,
)
from opendynamo.expr.update import INVALID_PATH, MISSING_ATTRIBUTE, WRONG_TYPE

KEY: dict[str, Any] = {"a": {"S": "key"}}


def run(
    text: str, item: dict[str, Any] | None, names: dict[str, str] | None = None, **values: Any
) -> dict[str, Any]:
    compiled = compile_expressions(
        update=text, names=names, values={":" + k: v for k, v in values.items()} or None
    )
    assert compiled.update is not None
    before = copy.deepcopy(item)
    result = apply_update(compiled.update, item)
    assert item == before, "apply_update mutated its input"
    return result


def failure(
    text: str, item: dict[str, Any] | None, names: dict[str, str] | None = None, **values: Any
) -> str:
    with pytest.raises(DynamoError) as caught:
        run(text, item, names, **values)
    assert caught.value.type_name == "ValidationException"
    assert caught.value.message is not None
    return caught.value.message


def test_set_top_level_and_new_item() -> None:
    assert run("SET b = :b", dict(KEY), b={"S": "x"}) == {**KEY, "b": {"S": "x"}}
    assert run("SET b = :b", None, b={"N": "1"}) == {"b": {"N": "1"}}


def test_values_come_from_the_item_before_the_update() -> None:
    item = {**KEY, "x": {"N": "1"}, "y": {"N": "2"}}
    assert run("SET x = y, y = x", item) == {**KEY, "x": {"N": "2"}, "y": {"N": "1"}}


def test_arithmetic() -> None:
    item = {**KEY, "n": {"N": "10"}}
    assert run("SET n = n + :d", item, d={"N": "0.5"})["n"] == {"N": "10.5"}
    assert run("SET n = :d - n", item, d={"N": "3"})["n"] == {"N": "-7"}
    assert run("SET m = if_not_exists(m, :z) + :d", item, z={"N": "0"}, d={"N": "1"})["m"] == {
        "N": "1"
    }


def test_if_not_exists_and_list_append() -> None:
    item = {**KEY, "l": {"L": [{"N": "1"}]}}
    assert run("SET b = if_not_exists(b, a)", item)["b"] == KEY["a"]
    assert run("SET l = if_not_exists(l, :e)", item, e={"L": []})["l"] == item["l"]
    assert run("SET l = list_append(l, :x)", item, x={"L": [{"N": "2"}]})["l"] == {
        "L": [{"N": "1"}, {"N": "2"}]
    }
    assert run("SET l = list_append(:x, l)", item, x={"L": [{"N": "0"}]})["l"] == {
        "L": [{"N": "0"}, {"N": "1"}]
    }
    assert run(
        "SET n = list_append(if_not_exists(n, :e), :x)", item, e={"L": []}, x={"L": [{"S": "s"}]}
    )["n"] == {"L": [{"S": "s"}]}


def test_nested_set_and_list_indexes() -> None:
    # dynalite's "should update nested attributes", checked against DynamoDB.
    item = {
        **KEY,
        "b": {"M": {"a": {"N": "1"}, "b": {"N": "2"}, "c": {"N": "3"}}},
        "c": {"L": [{"N": "1"}, {"N": "3"}]},
    }
    text = (
        "set b.c=((c[1])+(b.a)),b.a = a,c[1] = a, c[4] = b.a - b.b, c[2] = b.c add c[8] :b, c[6] :a"
    )
    compiled = compile_expressions(
        update=text, names=None, values={":a": {"N": "2"}, ":b": {"SS": ["a"]}}
    )
    assert compiled.update is not None
    new = apply_update(compiled.update, item)
    assert new == {
        **KEY,
        "b": {"M": {"a": KEY["a"], "b": {"N": "2"}, "c": {"N": "4"}}},
        "c": {"L": [{"N": "1"}, KEY["a"], {"N": "3"}, {"N": "-1"}, {"N": "2"}, {"SS": ["a"]}]},
    }
    # ReturnValues UPDATED_NEW projects the updated paths on the new item.
    assert project(new, compiled.update) == {
        "b": {"M": {"a": KEY["a"], "c": {"N": "4"}}},
        "c": {"L": [KEY["a"], {"N": "3"}, {"N": "2"}]},
    }


def test_remove() -> None:
    item = {
        **KEY,
        "x": {"S": "x"},
        "m": {"M": {"k": {"N": "1"}, "j": {"N": "2"}}},
        "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]},
    }
    assert run("REMOVE x, m.k", item) == {**KEY, "m": {"M": {"j": {"N": "2"}}}, "l": item["l"]}
    # Indexes refer to positions before the update.
    assert run("REMOVE l[1], l[2]", item)["l"] == {"L": [{"N": "0"}, {"N": "3"}]}
    assert run("REMOVE l[9], nothing, m.nothing", item) == item


def test_set_and_remove_in_one_list() -> None:
    item = {**KEY, "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}]}}
    assert run(
        "SET l[2] = :x, l[7] = :y, l[5] = :z REMOVE l[0]",
        item,
        x={"S": "x"},
        y={"S": "y"},
        z={"S": "z"},
    )["l"] == {"L": [{"N": "1"}, {"S": "x"}, {"S": "z"}, {"S": "y"}]}


def test_add_numbers_and_sets() -> None:
    item = {
        **KEY,
        "n": {"N": "1"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": ["AQI=", "Ag=="]},
    }
    assert run("ADD n :v", item, v={"N": "3"})["n"] == {"N": "4"}
    assert run("ADD fresh :v", item, v={"N": "-3"})["fresh"] == {"N": "-3"}
    assert run("ADD ss :v", item, v={"SS": ["b", "c", "d"]})["ss"] == {"SS": ["a", "b", "c", "d"]}
    assert run("ADD ns :v", item, v={"NS": ["2", "3"]})["ns"] == {"NS": ["1", "2", "3"]}
    assert run("ADD bs :v", item, v={"BS": ["Ag==", "AQ=="]})["bs"] == {
        "BS": ["AQI=", "Ag==", "AQ=="]
    }
    assert run("ADD newset :v", item, v={"SS": ["x"]})["newset"] == {"SS": ["x"]}


def test_delete_from_sets() -> None:
    item = {**KEY, "ns": {"NS": ["1", "2", "3"]}, "ss": {"SS": ["a"]}}
    assert run("DELETE ns :v", item, v={"NS": ["1", "4"]})["ns"] == {"NS": ["2", "3"]}
    assert "ss" not in run("DELETE ss :v", item, v={"SS": ["a"]})
    assert run("DELETE gone :v", item, v={"SS": ["a"]}) == item


def test_everything_on_a_missing_item() -> None:
    # dynalite: only the ADD and SET results remain.
    new = run(
        "REMOVE b DELETE c :c ADD d :d, e :e SET f = :f",
        dict(KEY),
        c={"SS": ["a", "b"]},
        d={"N": "5"},
        e={"SS": ["a", "b"]},
        f={"L": [{"S": "a"}, {"N": "1"}]},
    )
    assert new == {
        **KEY,
        "d": {"N": "5"},
        "e": {"SS": ["a", "b"]},
        "f": {"L": [{"S": "a"}, {"N": "1"}]},
    }


def test_purity_and_no_sharing_with_the_tree() -> None:
    values = {":m": {"M": {"k": {"L": [{"N": "1"}]}}}}
    compiled = compile_expressions(update="SET m = :m, n.x = :m", names=None, values=values)
    assert compiled.update is not None
    item = {**KEY, "n": {"M": {"y": {"N": "1"}}}}
    before = copy.deepcopy(item)
    first = apply_update(compiled.update, item)
    first["m"]["M"]["k"]["L"].append({"N": "2"})  # caller scribbles on the result
    second = apply_update(compiled.update, item)
    assert item == before
    assert second["m"] == {"M": {"k": {"L": [{"N": "1"}]}}}
    assert values[":m"] == {"M": {"k": {"L": [{"N": "1"}]}}}


def test_missing_attribute_errors() -> None:
    assert failure("set c = b", dict(KEY)) == MISSING_ATTRIBUTE
    assert failure("set e = list_append(b, c)", dict(KEY)) == MISSING_ATTRIBUTE
    assert failure("set e = n + :one", dict(KEY), one={"N": "1"}) == MISSING_ATTRIBUTE


def test_wrong_type_errors() -> None:
    item = {**KEY, "b": {"M": {"a": {"SS": ["1"]}}}, "c": {"N": "1"}, "d": {"NS": ["1"]}}
    cases = [
        ("delete d :a", {"SS": ["1"]}),
        ("delete b :a", {"NS": ["1"]}),
        ("delete b.a :a", {"NS": ["1"]}),
        ("delete c :a", {"NS": ["1"]}),
        ("add b :a", {"NS": ["1"]}),
        ("add d :a", {"N": "1"}),
        ("set e = a + :a", {"N": "1"}),
        ("set e = b - :a", {"N": "1"}),
        ("set e = list_append(d, if_not_exists(f, :a))", {"L": []}),
    ]
    for text, value in cases:
        assert failure(text, item, a=value) == WRONG_TYPE, text


def test_invalid_path_errors() -> None:
    item = {
        **KEY,
        "b": {"S": "a"},
        "c": {"M": {"1": {"S": "a"}}},
        "d": {"L": [{"S": "a"}, {"S": "b"}]},
    }
    names = {"#1": "1"}
    texts = [
        "set b.a = :a, #1 = :a",
        "set b[1] = :a, #1 = :a",
        "set y.a = :a, #1 = :a",
        "set y[1] = :a, #1 = :a",
        "set c[1] = :a, #1 = :a",
        "set d.#1 = :a",
        "remove b.a set #1 = :a",
        "remove b[1] set #1 = :a",
        "remove y.a set #1 = :a",
        "remove y[1] set #1 = :a",
        "remove c[1] set #1 = :a",
        "remove d.#1 set #1 = :a",
        "delete b.a :a set #1 = :a",
        "delete y[1] :a set #1 = :a",
        "delete d.#1 :a",
        "add b.a :a set #1 = :a",
        "add y.a :a set #1 = :a",
        "add c[1] :a set #1 = :a",
        "add d.#1 :a",
    ]
    for text in texts:
        assert failure(text, item, names, a={"SS": ["a"]}) == INVALID_PATH, text
    assert failure("set b.a = a", dict(KEY)) == INVALID_PATH
    assert failure("set b[1] = a", None) == INVALID_PATH


def test_runtime_error_precedence() -> None:
    item = {**KEY, "s": {"S": "x"}}
    # A wrong type is reported before a missing attribute; a missing parent before a missing value.
    assert failure("SET x = gone, y = s + :one", item, one={"N": "1"}) == WRONG_TYPE
    assert failure("SET x = gone, y.z = :one", item, one={"N": "1"}) == INVALID_PATH


def test_number_overflow() -> None:
    item = {**KEY, "n": {"N": "9E+125"}}
    with pytest.raises(DynamoError) as caught:
        run("ADD n :v", item, v={"N": "9E+125"})
    assert caught.value.message == (
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )


def test_update_paths_and_top_level_names() -> None:
    compiled = compile_expressions(
        update="SET a.b[2] = :v REMOVE c ADD #d :n",
        names={"#d": "d.e"},
        values={":v": {"S": "x"}, ":n": {"N": "1"}},
    )
    assert compiled.update is not None
    assert update_paths(compiled.update) == (("a", "b", 2), ("c",), ("d.e",))
    assert compiled.update.top_level_names == frozenset({"a", "c", "d.e"})


def test_updated_old_projects_paths_on_the_old_item() -> None:
    item = {**KEY, "b": {"M": {"a": {"S": "a"}, "b": {"L": []}}}, "c": {"N": "1"}, "d": {"N": "9"}}
    compiled = compile_expressions(
        update="SET b.a = :v ADD c :n, z :n",
        names=None,
        values={":v": {"S": "new"}, ":n": {"N": "1"}},
    )
    assert compiled.update is not None
    assert project(item, compiled.update) == {"b": {"M": {"a": {"S": "a"}}}, "c": {"N": "1"}}


def test_updated_item_of_a_missing_item() -> None:
    """An update that only takes away leaves no item (and no path error); any other update,
    or none at all, makes one from the key."""

    def tree(text: str, **values: Any) -> Any:
        values_map = {":" + k: v for k, v in values.items()} or None
        return compile_expressions(update=text, names=None, values=values_map).update

    assert updated_item(tree("REMOVE x.y, l[0]"), None, KEY) is None
    assert updated_item(tree("DELETE s :s", s={"SS": ["a"]}), None, KEY) is None
    assert updated_item(None, None, KEY) == KEY
    assert updated_item(tree("SET b = :b REMOVE c", b={"N": "1"}), None, KEY) == {
        **KEY,
        "b": {"N": "1"},
    }
    with pytest.raises(DynamoError) as caught:
        updated_item(tree("SET b = :b REMOVE x.y", b={"N": "1"}), None, KEY)
    assert caught.value.message == INVALID_PATH
    existing = {**KEY, "c": {"N": "2"}}
    assert updated_item(tree("REMOVE c"), existing, KEY) == KEY


def test_updated_item_creates_a_missing_item_unless_it_only_removes() -> None:
    def updated(text: str, item: dict[str, Any] | None, **values: Any) -> Any:
        compiled = compile_expressions(
            update=text, names=None, values={":" + k: v for k, v in values.items()} or None
        )
        return updated_item(compiled.update, item, KEY)

    assert updated("REMOVE b, c", None) is None
    assert updated("SET b = :v", None, v={"N": "1"}) == {**KEY, "b": {"N": "1"}}
    assert updated("REMOVE b SET c = :v", None, v={"N": "1"}) == {**KEY, "c": {"N": "1"}}
    assert updated("REMOVE b", {**KEY, "b": {"N": "1"}}) == KEY
    assert updated("REMOVE b", dict(KEY)) == KEY
    assert updated_item(None, None, KEY) == KEY  # no update expression: the key alone
