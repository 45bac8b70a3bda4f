"""The console's items page in Chromium: Scan and Query of a table and its indexes (every sort-key
operator, descending order, filters built from rows or typed, projection), paging forwards and
backwards, the item editor (create, edit, the concurrent-edit refusal, duplicate, delete), batch
deletes, export and import. What the page shows is checked against boto3's answers for the same
requests, and what it writes is read back through boto3."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Console, screenshot
from tests.wire.helpers import create_table


def test_scan_pages_forward_and_backward(open_console: Console) -> None:
    client = open_console.client()
    name = create_table(client, "scan", wait=True)
    put_items(client, name, [{"pk": {"S": f"item-{i:02}"}, "n": {"N": str(i)}} for i in range(35)])
    pages = boto3_pages(client, "scan", TableName=name, Limit=10)
    assert [len(p) for p in pages] == [10, 10, 10, 5]
    page = open_console.page(f"#/tables/{name}/items")
    wait_table(page)
    expect(page.get_by_text("About 35 items in the table")).to_be_visible()
    page.get_by_label("Page size").select_option("10")
    run(page)
    status = page.get_by_role("status").filter(has_text="Page")
    wait_keys(page, labels(pages[0], ["pk"]))
    expect(status).to_have_text("Page 1: 10 items. More pages follow.")
    expect(page.get_by_role("button", name="Previous page")).to_be_disabled()
    for number in (2, 3):
        page.get_by_role("button", name="Next page").click()
        wait_keys(page, labels(pages[number - 1], ["pk"]))
        expect(page.locator("nav.pager .page-number")).to_have_text(f"Page {number}")
    page.get_by_role("button", name="Previous page").click()
    wait_keys(page, labels(pages[1], ["pk"]))
    expect(page.locator("nav.pager .page-number")).to_have_text("Page 2")
    page.get_by_role("button", name="Next page").click()
    wait_keys(page, labels(pages[2], ["pk"]))
    page.get_by_role("button", name="Next page").click()
    wait_keys(page, labels(pages[3], ["pk"]))
    expect(status).to_have_text("Page 4: 5 items. This is the last page.")
    expect(page.get_by_role("button", name="Next page")).to_be_disabled()
    screenshot(page, "items")
    assert page.errors == []


def test_query_with_every_sort_key_operator_and_on_an_index(open_console: Console) -> None:
    client = open_console.client()
    name = create_table(
        client, "query", range_key=("sk", "S"), gsi=("by-color", "color"), wait=True
    )
    sort_keys = ["a#1", "a#2", "a#3", "b", "b#1", "b#2", "c"]
    items = [
        {"pk": {"S": pk}, "sk": {"S": sk}, "color": {"S": "red" if i % 2 else "blue"}}
        for pk in ("p", "q")
        for i, sk in enumerate(sort_keys)
    ]
    put_items(client, name, items)
    page = open_console.page(f"#/tables/{name}/items")
    wait_table(page)
    page.get_by_label("Query").check()
    page.get_by_label("Partition key value").fill("p")
    cases = [
        ("=", "#s = :a", ["b#1"]),
        ("<", "#s < :a", ["b"]),
        ("<=", "#s <= :a", ["b#1"]),
        (">", "#s > :a", ["b"]),
        (">=", "#s >= :a", ["b#1"]),
        ("BETWEEN", "#s BETWEEN :a AND :b", ["a#2", "b#1"]),
        ("begins_with", "begins_with(#s, :a)", ["a#"]),
    ]
    for operator, condition, values in cases:
        page.get_by_label("Sort key condition").select_option(operator)
        page.get_by_label("Sort key value").fill(values[0])
        if len(values) > 1:
            page.get_by_label("Sort key upper value").fill(values[1])
        run(page)
        expected = query(client, name, condition, values)
        assert expected, operator
        wait_keys(page, labels(expected, ["pk", "sk"]))
    page.get_by_label("Order").select_option("desc")
    run(page)
    expected = query(client, name, "begins_with(#s, :a)", ["a#"], ScanIndexForward=False)
    assert [item["sk"]["S"] for item in expected] == ["a#3", "a#2", "a#1"]
    wait_keys(page, labels(expected, ["pk", "sk"]))
    # A global secondary index: its key first; ConsistentRead is not offered there.
    page.get_by_label("Table or index").select_option(label="Global index: by-color")
    expect(page.get_by_label("Consistent read")).to_be_disabled()
    page.get_by_label("Partition key value").fill("red")
    page.get_by_label("Order").select_option("asc")
    run(page)
    answer = client.query(
        TableName=name,
        IndexName="by-color",
        KeyConditionExpression="color = :c",
        ExpressionAttributeValues={":c": {"S": "red"}},
        Limit=25,
    )
    assert len(answer["Items"]) == 6
    wait_keys(page, labels(answer["Items"], ["color", "pk", "sk"]))
    assert page.errors == []


def test_filters_from_rows_and_typed_and_projection(open_console: Console) -> None:
    client = open_console.client()
    name = create_table(client, "filter", wait=True)
    put_items(
        client,
        name,
        [
            {
                "pk": {"S": f"f-{i:02}"},
                "n": {"N": str(i)},
                "name": {"S": f"{'x' if i % 3 == 0 else 'y'}-{i}"},
                "size": {"S": "big" if i % 2 else "small"},
            }
            for i in range(20)
        ],
    )
    page = open_console.page(f"#/tables/{name}/items")
    wait_table(page)
    # A filter nothing matches, 10 items read per page: the first page is empty, not the end.
    page.get_by_label("Page size").select_option("10")
    page.get_by_role("button", name="Add filter").click()
    first = page.get_by_role("group", name="Filter 1")
    first.get_by_label("Attribute").fill("n")
    first.get_by_label("Condition").select_option(">")
    first.get_by_label("Type").select_option("N")
    first.get_by_label("Value", exact=True).fill("100")
    run(page)
    wait_keys(page, [])
    expect(page.get_by_role("status").filter(has_text="Page 1")).to_have_text(
        "Page 1: no matching items on this page (10 read, the rest filtered out), but the scan "
        "has not reached the end. Go to the next page to read on."
    )
    expect(page.get_by_role("button", name="Next page")).to_be_enabled()
    page.get_by_label("Page size").select_option("1000")
    # Rows: n >= 10 AND name begins with "x" ("name" and "size" are reserved words).
    first.get_by_label("Condition").select_option(">=")
    first.get_by_label("Value", exact=True).fill("10")
    page.get_by_role("button", name="Add filter").click()
    second = page.get_by_role("group", name="Filter 2")
    second.get_by_label("Attribute").fill("name")
    second.get_by_label("Condition").select_option("begins_with")
    second.get_by_label("Value", exact=True).fill("x")
    run(page)
    expected = scan_all(
        client,
        name,
        FilterExpression="n >= :n AND begins_with(#name, :x)",
        ExpressionAttributeNames={"#name": "name"},
        ExpressionAttributeValues={":n": {"N": "10"}, ":x": {"S": "x"}},
    )
    assert len(expected) == 3
    wait_keys(page, labels(expected, ["pk"]))
    # The same filters joined with OR.
    page.get_by_label("Combine filters").select_option("OR")
    run(page)
    expected = scan_all(
        client,
        name,
        FilterExpression="n >= :n OR begins_with(#name, :x)",
        ExpressionAttributeNames={"#name": "name"},
        ExpressionAttributeValues={":n": {"N": "10"}, ":x": {"S": "x"}},
    )
    wait_keys(page, labels(expected, ["pk"]))
    # Typed as an expression, with its own names and values; projection of one attribute.
    page.get_by_label("Typed as an expression").check()
    page.get_by_label("FilterExpression").fill("#s = :s AND size(#nm) > :len")
    page.get_by_label("ExpressionAttributeNames (JSON)").fill('{"#s": "size", "#nm": "name"}')
    page.get_by_label("ExpressionAttributeValues (JSON)").fill(
        '{":s": {"S": "big"}, ":len": {"N": "3"}}'
    )
    page.get_by_label("Attributes to show").fill("size")
    run(page)
    expected = scan_all(
        client,
        name,
        FilterExpression="#s = :s AND size(#nm) > :len",
        ExpressionAttributeNames={"#s": "size", "#nm": "name"},
        ExpressionAttributeValues={":s": {"S": "big"}, ":len": {"N": "3"}},
    )
    assert len(expected) == 5
    wait_keys(page, labels(expected, ["pk"]))
    headers = page.get_by_role("table", name="Items").locator("thead th").all_inner_texts()
    assert [h.strip() for h in headers] == ["", "pk", "size"]
    assert page.errors == []


def test_create_edit_and_the_concurrent_edit_refusal(open_console: Console) -> None:
    client = open_console.client()
    name = create_table(client, "edit", wait=True)
    page = open_console.page(f"#/tables/{name}/items")
    wait_table(page)
    # Create: the editor checks as you type.
    page.get_by_role("button", name="Create item").click()
    editor = page.get_by_role("dialog", name="Create item")
    text = editor.get_by_label("Item", exact=True)
    text.fill('{"pk": {"S": "one"}, "count": {"N": 5}}')
    expect(text).to_have_attribute("aria-invalid", "true")
    expect(editor.locator(".editor-status")).to_have_text(
        re.compile("count: N must be a number written as a string")
    )
    text.fill('{"pk": {"S": "one"}, "count": ')
    expect(editor.locator(".editor-status")).to_have_text(re.compile("^Not JSON"))
    text.fill(
        '{"pk": {"S": "one"}, "count": {"N": "5"}, "color": {"S": "red"}, "tags": {"SS": ["a", "b"]}}'
    )
    expect(text).to_have_attribute("aria-invalid", "false")
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_be_hidden()
    assert get(client, name, "one") == {
        "pk": {"S": "one"},
        "count": {"N": "5"},
        "color": {"S": "red"},
        "tags": {"SS": ["a", "b"]},
    }
    # Edit in plain JSON: change one attribute, remove one, add one.
    wait_keys(page, ["Open pk=one"])
    editor = open_item(page, "pk=one")
    editor.get_by_label("Plain JSON").check()
    text = editor.get_by_label("Item", exact=True)
    plain = json.loads(text.input_value())
    assert plain == {"pk": "one", "count": 5, "color": "red", "tags": {"SS": ["a", "b"]}}
    text.fill(
        json.dumps(
            {"pk": "one", "color": "blue", "tags": {"SS": ["a", "b"]}, "big": 12345678901234567890}
        )
    )
    expect(editor.locator(".editor-status")).to_have_text(re.compile("3 changes to save"))
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_be_hidden()
    item = get(client, name, "one")
    assert item["color"] == {"S": "blue"} and "count" not in item
    assert item["big"] == {"N": "12345678901234567890"}  # exact: not rounded through a double
    # A key cannot change on an existing item.
    editor = open_item(page, "pk=one")
    text = editor.get_by_label("Item", exact=True)
    text.fill(text.input_value().replace('"one"', '"two"'))
    expect(editor.locator(".editor-status")).to_have_text(re.compile('"pk" cannot change'))
    editor.get_by_role("button", name="Cancel").click()
    # Concurrent edit: someone changes the item after the editor loaded it.
    editor = open_item(page, "pk=one")
    client.update_item(
        TableName=name,
        Key={"pk": {"S": "one"}},
        UpdateExpression="SET color = :c",
        ExpressionAttributeValues={":c": {"S": "green"}},
    )
    text = editor.get_by_label("Item", exact=True)
    text.fill(text.input_value().replace('"blue"', '"purple"'))
    editor.get_by_role("button", name="Save").click()
    conflict = editor.locator(".conflict")
    expect(conflict).to_contain_text("This item changed since you opened it.")
    expect(conflict).to_contain_text(
        "ConditionalCheckFailedException: The conditional request failed"
    )
    assert get(client, name, "one")["color"] == {"S": "green"}  # nothing overwritten
    editor.locator("summary", has_text="The item as it is now").click()
    expect(conflict.locator("pre")).to_contain_text('"green"')
    screenshot(page, "item-editor")
    editor.get_by_role("button", name="Load the current version (discards your edits)").click()
    expect(text).to_have_value(re.compile('"green"'))
    text.fill(text.input_value().replace('"green"', '"purple"'))
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_be_hidden()
    assert get(client, name, "one")["color"] == {"S": "purple"}
    assert page.errors == []


def test_saving_an_item_too_large_for_a_whole_condition(open_console: Console) -> None:
    """An item of 400 attributes: the condition covers what fits in 4 KB, the edit still saves."""
    client = open_console.client()
    name = create_table(client, "wide", wait=True)
    wide = {"pk": {"S": "wide"}, **{f"attribute_{i:03}": {"N": str(i)} for i in range(400)}}
    client.put_item(TableName=name, Item=wide)
    page = open_console.page(f"#/tables/{name}/items")
    wait_table(page)
    editor = open_item(page, "pk=wide")
    edited = {**wide, "attribute_123": {"S": "changed"}}
    editor.get_by_label("DynamoDB JSON").check()
    editor.get_by_label("Item", exact=True).fill(json.dumps(edited))
    expect(editor.locator(".editor-status")).to_contain_text(
        "limits an expression to 4 KB and 300 operators"
    )
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_be_hidden()
    assert get(client, name, "wide") == edited
    assert page.errors == []


def test_duplicate_delete_one_and_delete_many(open_console: Console) -> None:
    client = open_console.client()
    name = create_table(client, "delete", wait=True)
    put_items(client, name, [{"pk": {"S": f"d-{i:02}"}, "n": {"N": str(i)}} for i in range(40)])
    page = open_console.page(f"#/tables/{name}/items")
    wait_table(page)
    page.get_by_label("Page size").select_option("50")
    run(page)
    wait_count(page, 40)
    # Duplicate: the editor opens prefilled with its key editable; an existing key is refused.
    editor = open_item(page, "pk=d-00")
    editor.get_by_role("button", name="Duplicate").click()
    editor = page.get_by_role("dialog", name="Duplicate item")
    text = editor.get_by_label("Item", exact=True)
    text.fill(text.input_value().replace('"d-00"', '"d-01"'))
    editor.get_by_role("button", name="Save").click()
    expect(editor.get_by_text("An item with this key already exists")).to_be_visible()
    assert get(client, name, "d-01")["n"] == {"N": "1"}
    text.fill(text.input_value().replace('"d-01"', '"d-copy"'))
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_be_hidden()
    assert get(client, name, "d-copy") == {"pk": {"S": "d-copy"}, "n": {"N": "0"}}
    wait_count(page, 41)
    # Delete one, after confirming.
    editor = open_item(page, "pk=d-05")
    editor.get_by_role("button", name="Delete item").click()
    page.get_by_role("dialog", name="Delete item").get_by_role("button", name="Delete").click()
    expect(editor).to_be_hidden()
    assert get(client, name, "d-05") is None
    wait_count(page, 40)
    # Select several and delete them: 30 keys go in two BatchWriteItem calls.
    grid = page.get_by_role("table", name="Items")
    chosen = shown_keys(page)[:30]
    for label in chosen:
        grid.get_by_role("checkbox", name=label.replace("Open", "Select", 1)).check()
    page.get_by_role("button", name="Delete selected").click()
    page.get_by_role("dialog", name="Delete items").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Deleted 30 items.")).to_be_visible()
    wait_count(page, 10)
    left = {item["pk"]["S"] for item in scan_all(client, name)}
    assert len(left) == 10 and not left & {label.removeprefix("Open pk=") for label in chosen}
    assert page.errors == []


def test_export_csv_and_dynamodb_json(open_console: Console) -> None:
    client = open_console.client()
    name = create_table(client, "export", wait=True)
    put_items(
        client,
        name,
        [
            {
                "pk": {"S": f"e-{i:02}"},
                "n": {"N": str(i)},
                "doc": {"M": {"list": {"L": [{"S": 'a, "quoted"'}, {"N": "1"}]}}},
                **({"odd": {"BOOL": True}} if i % 2 else {}),
            }
            for i in range(12)
        ],
    )
    pages = boto3_pages(client, "scan", TableName=name, Limit=10)
    page = open_console.page(f"#/tables/{name}/items")
    wait_table(page)
    page.get_by_label("Page size").select_option("10")
    run(page)
    wait_keys(page, labels(pages[0], ["pk"]))
    page.get_by_text("Export results").click()
    # This page, as DynamoDB JSON lines.
    with page.expect_download() as info:
        page.get_by_role("button", name="Download").click()
    lines = read_download(info.value).splitlines()
    assert [json.loads(line) for line in lines] == [{"Item": item} for item in pages[0]]
    # All pages, as CSV.
    page.get_by_label("CSV").check()
    page.get_by_label(re.compile("^All pages")).check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download").click()
    assert info.value.suggested_filename == f"{name}.csv"
    rows = list(csv.reader(io.StringIO(read_download(info.value))))
    everything = [item for p in pages for item in p]
    assert rows[0][:2] == ["pk", "n"] and set(rows[0]) == {"pk", "n", "doc", "odd"}
    assert [row[0] for row in rows[1:]] == [item["pk"]["S"] for item in everything]
    by_name = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert json.loads(by_name[0]["doc"]) == {"list": ['a, "quoted"', 1]}
    assert {row["odd"] for row in by_name} == {"true", ""}
    expect(page.get_by_text("Exported 12 items.")).to_be_visible()
    assert page.errors == []


def test_import_json_lines_reports_the_bad_lines(open_console: Console) -> None:
    client = open_console.client()
    name = create_table(client, "import", wait=True)
    lines = [
        json.dumps({"Item": {"pk": {"S": "i-1"}, "n": {"N": "1"}}}),  # as DynamoDB exports write
        json.dumps({"pk": {"S": "i-2"}, "tags": {"SS": ["x"]}}),
        '{"pk": {"S": "i-3"}, ',  # line 3: not JSON
        "",
        json.dumps({"other": {"S": "no key"}}),  # line 5: DynamoDB refuses it
        *(json.dumps({"pk": {"S": f"i-{n}"}}) for n in range(4, 40)),
    ]
    page = open_console.page(f"#/tables/{name}/items")
    wait_table(page)
    page.get_by_text("Import items").click()
    page.get_by_label("DynamoDB JSON lines file").set_input_files(
        files=[
            {
                "name": "items.json",
                "mimeType": "application/json",
                "buffer": "\n".join(lines).encode(),
            }
        ]
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text(re.compile("^Done\\."))).to_contain_text("38 items written, 2 failed")
    failures = page.locator(".import-failures")
    expect(failures).to_contain_text("Line 3: not JSON")
    expect(failures).to_contain_text(
        "Line 5: ValidationException: One or more parameter values were invalid: Missing the key pk in the item"
    )
    written = {item["pk"]["S"] for item in scan_all(client, name)}
    assert written == {"i-1", "i-2", *(f"i-{n}" for n in range(4, 40))}
    assert get(client, name, "i-2") == {"pk": {"S": "i-2"}, "tags": {"SS": ["x"]}}
    wait_count(page, 25)  # the page read the table again
    assert page.errors == []


# ----------------------------------------------------------------------------------- helpers


def put_items(client: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        chunk = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        client.batch_write_item(RequestItems={table: chunk})


def boto3_pages(client: Any, operation: str, **params: Any) -> list[list[dict[str, Any]]]:
    pages = []
    while True:
        answer = getattr(client, operation)(**params)
        pages.append(answer["Items"])
        if "LastEvaluatedKey" not in answer:
            return pages
        params["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def scan_all(client: Any, table: str, **params: Any) -> list[dict[str, Any]]:
    return [
        item for page in boto3_pages(client, "scan", TableName=table, **params) for item in page
    ]


def query(
    client: Any, table: str, sort_condition: str, values: list[str], **params: Any
) -> list[dict[str, Any]]:
    placeholders = {":p": {"S": "p"}}
    placeholders.update({f":{k}": {"S": v} for k, v in zip("ab", values, strict=False)})
    answer = client.query(
        TableName=table,
        KeyConditionExpression=f"pk = :p AND {sort_condition}",
        ExpressionAttributeNames={"#s": "sk"},
        ExpressionAttributeValues=placeholders,
        Limit=25,
        **params,
    )
    return list(answer["Items"])


def get(client: Any, table: str, pk: str) -> dict[str, Any] | None:
    return client.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item")


def labels(items: list[dict[str, Any]], keys: list[str]) -> list[str]:
    """The accessible names of the buttons that open `items` ("Open pk=a, sk=b")."""
    return [
        "Open " + ", ".join(f"{k}={next(iter(item[k].values()))}" for k in keys) for item in items
    ]


def wait_table(page: Any) -> None:
    page.get_by_role("table", name="Items").wait_for()


def run(page: Any) -> None:
    page.get_by_role("button", name="Run").click()


def shown_keys(page: Any) -> list[str]:
    """The accessible names of the buttons opening the items shown, in order."""
    buttons = page.get_by_role("table", name="Items").locator("button.open-item")
    return list(buttons.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))"))


def wait_keys(page: Any, expected: list[str]) -> None:
    """Once the page has finished reading (the results are not aria-busy), the items table
    shows exactly `expected`, in order."""
    expect(page.locator(".results")).to_have_attribute("aria-busy", "false")
    assert shown_keys(page) == expected


def wait_count(page: Any, count: int) -> None:
    expect(page.get_by_role("table", name="Items").locator("button.open-item")).to_have_count(count)


def open_item(page: Any, key: str) -> Any:
    page.get_by_role("button", name=f"Open {key}", exact=True).click()
    editor = page.get_by_role("dialog", name="Edit item")
    editor.wait_for()
    return editor


def read_download(download: Any) -> str:
    with open(download.path(), encoding="utf-8") as handle:
        return handle.read()
