"""The console's PartiQL editor in Chromium: statements with typed parameters through
ExecuteStatement, results as a table or as JSON, "Load more" following NextToken, templates for a
table, and the session's history surviving a reload."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Console, screenshot
from tests.wire.helpers import create_table


def test_select_with_a_parameter_insert_and_history(open_console: Console) -> None:
    client = open_console.client()
    name = create_table(client, "partiql", range_key=("n", "N"), wait=True)
    for n in range(5):
        client.put_item(
            TableName=name,
            Item={"pk": {"S": "a"}, "n": {"N": str(n)}, "doc": {"M": {"x": {"S": f"v{n}"}}}},
        )
    page = open_console.page("#/partiql")
    statement = page.get_by_label("Statement", exact=True)
    # SELECT with a parameter, two items per call: "Load more" follows NextToken.
    select = f'SELECT * FROM "{name}" WHERE pk = ? AND n >= 1'
    statement.fill(select)
    page.get_by_role("button", name="Add parameter").click()
    page.get_by_label("Parameter 1 value").fill("a")
    page.get_by_label("Limit").fill("2")
    statement.press("Control+Enter")
    status = page.get_by_role("status").filter(has_text="item")
    expect(status).to_have_text("2 items. More results: Load more.")
    results = page.get_by_role("table", name="Results")
    expect(results.locator("tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Load more").click()
    expect(results.locator("tbody tr")).to_have_count(4)
    # A full page may end exactly at the last item: one more call finds the end.
    page.get_by_role("button", name="Load more").click()
    expect(status).to_have_text("4 items.")
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()
    assert [h.strip() for h in results.locator("thead th").all_inner_texts()] == ["pk", "n", "doc"]
    assert results.locator("tbody tr").first.inner_text().split("\t")[:2] == ["a", "1"]
    # The same results as DynamoDB JSON.
    page.get_by_label("JSON", exact=True).check()
    shown = json.loads(page.get_by_label("Results as DynamoDB JSON").inner_text())
    assert shown == [
        {"pk": {"S": "a"}, "n": {"N": str(n)}, "doc": {"M": {"x": {"S": f"v{n}"}}}}
        for n in range(1, 5)
    ]
    page.get_by_label("Table", exact=True).check()
    screenshot(page, "partiql")
    # INSERT with typed parameters.
    insert = f"INSERT INTO \"{name}\" VALUE {{'pk': ?, 'n': ?, 'flag': ?}}"
    statement.fill(insert)
    page.get_by_role("button", name="Add parameter").click()
    page.get_by_label("Parameter 2 type").select_option("N")
    page.get_by_label("Parameter 2 value").fill("42")
    page.get_by_role("button", name="Add parameter").click()
    page.get_by_label("Parameter 3 type").select_option("BOOL")
    page.get_by_label("Parameter 3 value").fill("true")
    page.get_by_label("Limit").fill("")
    page.get_by_role("button", name="Run").click()
    expect(status).to_have_text("0 items.")
    item = client.get_item(TableName=name, Key={"pk": {"S": "a"}, "n": {"N": "42"}})["Item"]
    assert item["flag"] == {"BOOL": True}
    # A DynamoDB error is shown as DynamoDB words it.
    statement.fill(insert)
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("alert")).to_contain_text("DuplicateItemException")
    # After a reload the history holds both statements, newest first; choosing one restores it.
    page.reload()
    history = page.get_by_role("list", name="Statements run in this session")
    expect(history.get_by_role("button")).to_have_text([insert, select])
    history.get_by_role("button", name=select).click()
    expect(statement).to_have_value(select)
    expect(page.get_by_label("Parameter 1 value")).to_have_value("a")
    page.get_by_role("button", name="Run").click()
    expect(status).to_have_text("5 items.")
    assert page.errors == []


def test_templates_for_a_table(open_console: Console) -> None:
    client = open_console.client()
    name = create_table(client, "template", range_key=("sk", "N"), wait=True)
    page = open_console.page("#/partiql")
    page.get_by_text("Templates").click()
    page.get_by_label("Table name").select_option(name)
    cases: list[tuple[str, str, list[str]]] = [
        ("SELECT", f'SELECT * FROM "{name}" WHERE "pk" = ?', ["S"]),
        ("INSERT", f"INSERT INTO \"{name}\" VALUE {{'pk': ?, 'sk': ?}}", ["S", "N"]),
        (
            "UPDATE",
            f'UPDATE "{name}" SET "attribute" = ? WHERE "pk" = ? AND "sk" = ?',
            ["S", "S", "N"],
        ),
        ("DELETE", f'DELETE FROM "{name}" WHERE "pk" = ? AND "sk" = ?', ["S", "N"]),
    ]
    for kind, text, types in cases:
        page.get_by_label("Statement kind").select_option(kind)
        page.get_by_role("button", name="Use template").click()
        expect(page.get_by_label("Statement", exact=True)).to_have_value(text)
        assert param_types(page) == types
    # The DELETE template runs once its parameters are filled in.
    client.put_item(TableName=name, Item={"pk": {"S": "k"}, "sk": {"N": "7"}})
    page.get_by_label("Parameter 1 value").fill("k")
    page.get_by_label("Parameter 2 value").fill("7")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("status").filter(has_text=re.compile("item"))).to_have_text("0 items.")
    assert "Item" not in client.get_item(TableName=name, Key={"pk": {"S": "k"}, "sk": {"N": "7"}})
    assert page.errors == []


def param_types(page: Any) -> list[str]:
    return list(page.locator(".param-row select").evaluate_all("els => els.map(e => e.value)"))
