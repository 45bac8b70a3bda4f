"""A generated "certainly valid?" pass per operation: Python source written from the same shape
tree and rule tree as the interpreted checks (`serialization`, `constraints`, `validate`), then
compiled, so a request that breaks nothing is checked in one walk of straight-line code.

The pass answers True only when the interpreted checks would find nothing and change nothing:
every present member has its exact JSON type (no "true"/"false" string for a boolean, no
fraction for an integer), blobs are base64 DynamoDB decodes, the early checks pass, no list
element or map value is null, and every constraint holds. Anything else answers False, and
`validate_input` runs the interpreted checks, which raise DynamoDB's exact error and make its
coercions; so messages, their order and the coercions come from one place only. The pass may
answer False for a valid request (a null member, nesting deeper than `MAX_DEPTH`): that costs
time, never a different answer.

Generated per operation: one function for the input, with the rule tree's checks inlined
where its members are; shapes that contain themselves (AttributeValue through M and L) get
functions of their own, called with a depth that stops at `MAX_DEPTH`, so deep nesting is left
to the interpreted checks (whose RecursionError becomes DynamoDB's nesting error).
`tests/unit/test_shapes.py` compares the two on random and mutated requests.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Final

from opendynamo import errors
from opendynamo.api.request.shapes.constraints import NAME_PATTERN, PYTHON_PATTERNS, TABLE_ARN
from opendynamo.api.request.shapes.messages import java_length
from opendynamo.api.request.shapes.model import SHAPES, Json
from opendynamo.api.request.shapes.serialization import BASE64_OK, check_base64_detail

FastCheck = Callable[[Json], bool]
Node = dict[str, Any]

# Calls of a self-containing shape's function deeper than this answer False (the interpreted
# checks decide): DynamoDB allows 32 levels of attribute nesting, so no valid item goes deeper.
MAX_DEPTH: Final = 34
# Structures with at least this many members and no required one are checked by walking the
# members present (AttributeValue: one of ten) instead of looking each member up.
_WALK_MEMBERS: Final = 4
# Values remembered per pattern as matching it.
_REMEMBERED: Final = 1024

_TYPE_TESTS: Final = {
    "string": "type({v}) is not str",
    "boolean": "type({v}) is not bool",
    "integer": "type({v}) is not int",
    "long": "type({v}) is not int",
    "double": "type({v}) is not int and type({v}) is not float",
    "timestamp": "type({v}) is not int and type({v}) is not float",
    "blob": (
        "type({v}) is not str or len({v}) % 4 or _base64({v}) is None "
        "or {v}.endswith('=') and not _padded({v})"
    ),
    "structure": "type({v}) is not dict",
    "map": "type({v}) is not dict",
    "list": "type({v}) is not list",
}


class _Writer:
    """Source text for one operation, and the constants it refers to."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "_jl": java_length,
            "_arn": TABLE_ARN.fullmatch,
            "_base64": BASE64_OK.fullmatch,
            "_remember": _remember,
            "_padded": _padded,
        }
        self.functions: dict[str, str] = {}  # shape -> name of its own function
        self.bodies: list[list[str]] = []
        self.names = 0
        self.recursive = _self_containing()

    def fresh(self, stem: str) -> str:
        self.names += 1
        return f"{stem}{self.names}"

    def constant(self, value: Any, stem: str) -> str:
        name = self.fresh(f"_{stem}")
        self.namespace[name] = value
        return name

    # ------------------------------------------------------------------ values

    def value(
        self,
        out: list[str],
        pad: str,
        v: str,
        shape_name: str,
        rule: Node | None,
        extra: list[list[Any]],
        stack: tuple[str, ...],
    ) -> None:
        """Lines failing unless the non-null value in variable `v` has `shape_name`'s type
        and passes `rule`'s own checks, the bracket checks `extra` and everything inside."""
        shape = SHAPES[shape_name]
        kind = shape["type"]
        if rule is None and not extra and kind in ("structure", "list", "map"):
            if shape_name in self.recursive and shape_name in stack:
                depth = "depth + 1" if stack[0].startswith("fn:") else "1"
                out.append(f"{pad}if not {self.function(shape_name)}({v}, {depth}): return False")
                return
        out.append(f"{pad}if {_TYPE_TESTS[kind].format(v=v)}: return False")
        checks = [(k, a) for k, a in (rule or {}).get("checks", []) if k != "notNull"]
        for kind_arg in [*checks, *((k, a) for k, a in extra)]:
            out.append(f"{pad}if not ({self.predicate(v, kind, *kind_arg)}): return False")
        inner = (*stack, shape_name)
        if kind == "structure":
            self.structure(out, pad, v, shape_name, rule, inner)
        elif kind == "list":
            self.elements(out, pad, v, shape_name, rule, inner)
        elif kind == "map":
            self.entries(out, pad, v, shape_name, rule, inner)

    def predicate(self, v: str, kind: str, check: str, arg: Any) -> str:
        """The expression that is true when `v` passes one constraint (as `_predicate`)."""
        sized = kind in ("string", "blob")
        if check == "pattern":
            # A regular expression costs more than the rest of a GetItem's checks: the values
            # that matched (table and index names, mostly) are remembered, up to `_REMEMBERED`.
            regex = re.compile(PYTHON_PATTERNS.get(arg, str(arg)))
            matches = _name_matcher(regex) if arg == NAME_PATTERN else _matcher(regex)
            seen = self.constant(set(), "matched")
            test = self.constant(matches, "pattern")
            return f"{v} in {seen} or _remember({seen}, {v}, {test})"
        if check == "minLen":
            # A Java length is never below the count of code points.
            return f"len({v}) >= {arg} or _jl({v}) >= {arg}" if sized else f"len({v}) >= {arg}"
        if check == "maxLen":
            # ...nor above twice that count.
            return f"len({v}) <= {arg // 2} or _jl({v}) <= {arg}" if sized else f"len({v}) <= {arg}"
        if check == "min":
            return f"{v} >= {arg!r}"
        if check == "max":
            return f"{v} <= {arg!r}"
        if check == "enum":
            return f"{v} in {self.constant(frozenset(arg), 'enum')}"
        raise ValueError(f"unknown check {check}")

    # ------------------------------------------------------------------ containers

    def structure(
        self, out: list[str], pad: str, v: str, name: str, rule: Node | None, stack: tuple[str, ...]
    ) -> None:
        members: list[list[str]] = SHAPES[name]["members"]
        rules: dict[str, Node] = dict((rule or {}).get("members", []))
        if set(rules) - {m for m, _ in members}:
            raise ValueError(f"{name}: rules for members the shape does not have")
        required = [m for m, r in rules.items() if _not_null(r) or "required" in r.get("pre", [])]
        if len(members) >= _WALK_MEMBERS and not required:
            key, item = self.fresh("k"), self.fresh("x")
            out.append(f"{pad}for {key}, {item} in {v}.items():")
            word = "if"
            for member, ref in members:
                out.append(f"{pad}    {word} {key} == {member!r}:")
                self.member(out, pad + "        ", item, ref, rules.get(member), stack)
                word = "elif"
            return
        for member, ref in members:
            item = self.fresh("x")
            out.append(f"{pad}{item} = {v}.get({member!r})")
            if member in required:
                out.append(f"{pad}if {item} is None: return False")
                self.member(out, pad, item, ref, rules.get(member), stack)
            else:
                out.append(f"{pad}if {item} is not None:")
                self.member(out, pad + "    ", item, ref, rules.get(member), stack)

    def member(
        self, out: list[str], pad: str, v: str, ref: str, rule: Node | None, stack: tuple[str, ...]
    ) -> None:
        """A structure member's checks, and the early check of a table's name."""
        self.value(out, pad, v, ref, rule, [], stack)
        if rule is not None and "tableName" in rule.get("pre", []):
            out.append(f"{pad}if not (3 <= _jl({v}) <= 255 or _arn({v}) is not None): return False")

    def elements(
        self, out: list[str], pad: str, v: str, name: str, rule: Node | None, stack: tuple[str, ...]
    ) -> None:
        rule = rule or {}
        item = self.fresh("x")
        out.append(f"{pad}for {item} in {v}:")
        self.value(
            out,
            pad + "    ",
            item,
            SHAPES[name]["member"],
            rule.get("member"),
            rule.get("elements", []),
            stack,
        )

    def entries(
        self, out: list[str], pad: str, v: str, name: str, rule: Node | None, stack: tuple[str, ...]
    ) -> None:
        rule = rule or {}
        key, item = self.fresh("k"), self.fresh("x")
        out.append(f"{pad}for {key}, {item} in {v}.items():")
        for check, arg in rule.get("keys", []):
            out.append(
                f"{pad}    if not ({self.predicate(key, 'string', check, arg)}): return False"
            )
        self.value(
            out,
            pad + "    ",
            item,
            SHAPES[name]["value"],
            rule.get("member"),
            rule.get("values", []),
            stack,
        )

    # ------------------------------------------------------------------ functions

    def function(self, shape_name: str) -> str:
        """The name of the function checking a self-containing shape (written on first use)."""
        found = self.functions.get(shape_name)
        if found is not None:
            return found
        name = self.functions[shape_name] = self.fresh("_check_")
        lines = [f"def {name}(v, depth):", f"    if depth > {MAX_DEPTH}: return False"]
        self.bodies.append(lines)  # reserve its place before its body asks for others
        self.value(lines, "    ", "v", shape_name, None, [], ("fn:" + shape_name,))
        lines.append("    return True")
        return name


def _matcher(regex: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda value: regex.fullmatch(value) is not None


def _name_matcher(regex: re.Pattern[str]) -> Callable[[str], bool]:
    """A table's name, or its ARN (as `constraints._predicate`)."""
    return lambda value: (
        regex.fullmatch(value) is not None or TABLE_ARN.fullmatch(value) is not None
    )


def _remember(seen: set[str], value: str, matches: Callable[[str], bool]) -> bool:
    """Whether `value` matches, remembered when it does (while there is room)."""
    if not matches(value):
        return False
    if len(seen) < _REMEMBERED:
        seen.add(value)
    return True


def _padded(text: str) -> bool:
    """Whether base64 of the right length and alphabet that ends in padding passes
    `_check_blob`'s closer look (its final bits)."""
    try:
        check_base64_detail(text)
    except errors.DynamoError:
        return False
    return True


def _not_null(rule: Node) -> bool:
    return any(kind == "notNull" for kind, _ in rule.get("checks", []))


@functools.cache
def _self_containing() -> frozenset[str]:
    """The container shapes that can hold a value of their own shape."""

    def children(name: str) -> list[str]:
        shape = SHAPES[name]
        if shape["type"] == "structure":
            return [ref for _, ref in shape["members"]]
        if shape["type"] == "list":
            return [shape["member"]]
        if shape["type"] == "map":
            return [shape["value"]]
        return []

    found = set()
    for start in SHAPES:
        seen: set[str] = set()
        todo = children(start)
        while todo:
            name = todo.pop()
            if name == start:
                found.add(start)
                break
            if name not in seen:
                seen.add(name)
                todo.extend(children(name))
    return frozenset(found)


def source(spec: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The source text of an operation's pass (a function `fast(body)`) and its globals."""
    writer = _Writer()
    lines = ["def fast(d):", "    if type(d) is not dict: return False"]
    writer.structure(lines, "    ", "d", spec["input"], spec["rules"], (spec["input"],))
    lines.append("    return True")
    text = "\n\n".join("\n".join(body) for body in [*writer.bodies, lines]) + "\n"
    return text, writer.namespace


def generate(operation: str, spec: dict[str, Any]) -> FastCheck:
    """Compile an operation's pass."""
    text, namespace = source(spec)
    exec(compile(text, f"<validation of {operation}>", "exec"), namespace)
    check: FastCheck = namespace["fast"]
    return check
