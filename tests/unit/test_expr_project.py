"""ProjectionExpression: partial maps and lists, omitted missing paths, top-level names."""

from __future__ import annotations

from typing import Any

from opendynamo.expr import compile_expressions, project, top_level_names

ITEM: dict[str, Any] = {
    "pk": {"S": "k"},
    "s": {"S": "x"},
    "m": {"M": {"a": {"N": "1"}, "b": {"M": {"c": {"S": "deep"}, "d": {"S": "other"}}}}},
    "l": {"L": [{"N": "0"}, {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}, {"N": "2"}, {"N": "3"}]},
    "a.b": {"S": "dotted"},
}


def projected(
    text: str, names: dict[str, str] | None = None, item: dict[str, Any] = ITEM
) -> dict[str, Any]:
    compiled = compile_expressions(projection=text, names=names, values=None)
    assert compiled.projection is not None
    return project(item, compiled.projection)


def test_top_level_attributes() -> None:
    assert projected("pk, s") == {"pk": ITEM["pk"], "s": ITEM["s"]}


def test_missing_paths_are_omitted() -> None:
    assert projected("pk, nope, m.zzz, l[9], s.x") == {"pk": ITEM["pk"]}
    assert projected("m[0], l.x") == {}


def test_nested_map_paths_return_partial_maps() -> None:
    assert projected("m.b.c") == {"m": {"M": {"b": {"M": {"c": {"S": "deep"}}}}}}
    assert projected("m.a, m.b.d") == {
        "m": {"M": {"a": {"N": "1"}, "b": {"M": {"d": {"S": "other"}}}}}
    }


def test_list_elements_keep_relative_order_and_are_compacted() -> None:
    assert projected("l[3], l[0]") == {"l": {"L": [{"N": "0"}, {"N": "3"}]}}
    assert projected("l[1].y, l[1].x") == {"l": {"L": [{"M": {"x": {"N": "1"}, "y": {"N": "2"}}}]}}
    assert projected("l[1].y, l[2]") == {"l": {"L": [{"M": {"y": {"N": "2"}}}, {"N": "2"}]}}


def test_placeholders_and_dotted_names() -> None:
    assert projected("#ab, #m.#a", names={"#ab": "a.b", "#m": "m", "#a": "a"}) == {
        "a.b": {"S": "dotted"},
        "m": {"M": {"a": {"N": "1"}}},
    }


def test_projection_does_not_mutate_item() -> None:
    item = {"m": {"M": {"a": {"N": "1"}, "b": {"N": "2"}}}}
    result = projected("m.a", item=item)
    assert result == {"m": {"M": {"a": {"N": "1"}}}}
    assert item == {"m": {"M": {"a": {"N": "1"}, "b": {"N": "2"}}}}


def test_project_accepts_plain_paths() -> None:
    assert project(ITEM, [("m", "a"), ("l", 2)]) == {
        "m": {"M": {"a": {"N": "1"}}},
        "l": {"L": [{"N": "2"}]},
    }
    # A whole value selected by one path wins over a part selected by another.
    assert project(ITEM, [("m",), ("m", "a")]) == {"m": ITEM["m"]}
    assert project(ITEM, [("m", "a"), ("m",)]) == {"m": ITEM["m"]}


def test_top_level_names() -> None:
    compiled = compile_expressions(projection="m.a, l[0], #x", names={"#x": "pk"}, values=None)
    assert compiled.projection is not None
    assert top_level_names(compiled.projection) == frozenset({"m", "l", "pk"})
    assert compiled.projection.document_paths == (("m", "a"), ("l", 0), ("pk",))
    assert top_level_names([("a", 1), ("b",)]) == frozenset({"a", "b"})
