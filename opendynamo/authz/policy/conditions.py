"""IAM condition operators, policy variables and wildcard patterns (IAM User Guide,
"IAM JSON policy elements: Condition operators" and "IAM policy elements: Variables and tags").

A Condition block is `{Operator: {key: value-or-list}}`. Operators AND together, keys inside
one operator AND together, and the values given for one key OR together; a negated operator
(`StringNotEquals`, `NotIpAddress`, ...) holds when the request value matches none of them.
A key missing from the request makes a positive operator false, a negated one true, and any
`...IfExists` operator true. `ForAllValues:` and `ForAnyValue:` compare each value of a
multivalued key (`dynamodb:LeadingKeys`, `dynamodb:Attributes`) separately; without one, an
operator never matches a multivalued key, even one holding a single value.

Policy values may carry policy variables (`${aws:username}`, `${key, 'default'}`, escapes
`${*}`, `${?}`, `${$}`). A value is kept as a Template: pieces of policy text, in which `*`
and `?` are wildcards, and variables, whose substituted text is always matched literally.
This module imports nothing from opendynamo: `policy` builds on it.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator as op
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Literal


class Unbounded:
    """The value of a multivalued key whose values cannot be listed: every value there is (a
    PartiQL statement that may reach every partition has such dynamodb:LeadingKeys). Some of
    its values match any policy value and not all of them match any list, so `ForAnyValue:`
    operators hold and `ForAllValues:` ones do not: an allow-list of keys refuses it and a
    deny-list refuses it too."""

    def __repr__(self) -> str:
        return "UNBOUNDED"


UNBOUNDED = Unbounded()
ContextValue = str | Sequence[str] | bool | int | Unbounded | None
# Condition-key name -> value; names match case-insensitively, values case-sensitively. A
# Sequence (other than str) is a multivalued key; a missing key or None is "not in the request".
Context = Mapping[str, ContextValue]
PolicyValue = str | bool | int

Piece = tuple[str, bool]  # (text, wildcards active): policy text is wild, substituted text not
Style = Literal["wildcard", "arn", "resource", "action"]
Prepared = str | re.Pattern[str]
Qualifier = Literal["ForAllValues", "ForAnyValue"]


@dataclass(frozen=True, slots=True)
class Variable:
    """`${key}` or `${key, 'default'}` inside a policy value."""

    key: str
    default: str | None = None


Template = tuple[Piece | Variable, ...]

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE_BODY = re.compile(r"\s*([^\s,']+)\s*(?:,\s*'([^']*)'\s*)?")
_ESCAPES = frozenset("*?$")


def parse_template(text: str, substitute: bool) -> Template:
    """Split a policy value into wildcard text and variables. Version 2008-10-17 policies
    (`substitute=False`) have no variables: `${...}` is then plain text."""
    if not substitute or "${" not in text:
        return ((text, True),)
    parts: list[Piece | Variable] = []
    start = 0
    for match in _VARIABLE.finditer(text):
        if match.start() > start:
            parts.append((text[start : match.start()], True))
        parts.append(_variable(match.group(1), match.group(0)))
        start = match.end()
    if start < len(text):
        parts.append((text[start:], True))
    return tuple(parts)


def _variable(body: str, whole: str) -> Piece | Variable:
    if body in _ESCAPES:
        return (body, False)
    match = _VARIABLE_BODY.fullmatch(body)
    if match is None:
        return (whole, True)  # not a variable IAM knows: the text stands for itself
    return Variable(match.group(1), match.group(2))


def has_variables(template: Template) -> bool:
    return any(not isinstance(part, tuple) or not part[1] for part in template)


def render(template: Template, context: Context) -> tuple[Piece, ...] | None:
    """The template with its variables replaced; None when one names a key the request lacks
    (and gives no default): IAM then treats the value as matching nothing."""
    pieces: list[Piece] = []
    for part in template:
        if isinstance(part, tuple):
            pieces.append(part)
            continue
        value = _scalar_text(lookup(context, part.key))
        if value is None:
            value = part.default
        if value is None:
            return None
        pieces.append((value, False))
    return tuple(pieces)


def lookup(context: Context, key: str) -> ContextValue:
    """A context value by condition-key name, which IAM compares case-insensitively."""
    value = context.get(key)
    if value is not None or key in context:
        return value
    folded = key.lower()
    for name, candidate in context.items():
        if name.lower() == folded:
            return candidate
    return None


def _scalar_text(value: ContextValue) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    return None  # absent, or multivalued: a set cannot stand in a string


def value_text(value: PolicyValue) -> str:
    """A JSON policy value as IAM compares it: `true`, `10`, or the string itself."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------- wildcard patterns


@lru_cache(maxsize=4096)
def compile_pattern(pieces: tuple[Piece, ...], style: Style) -> re.Pattern[str]:
    """A regex for one wildcard pattern. `*` is any run and `?` one character, except that in
    an ARN they stay inside their colon-separated component: ArnLike checks the six components
    separately; a Resource `*` crosses colons only as the last character of a component."""
    chars = [(char, wild) for text, wild in pieces for char in text]
    out: list[str] = []
    colons = 0
    for index, (char, wild) in enumerate(chars):
        if not wild or char not in "*?":
            out.append(re.escape(char))
            colons += char == ":"
            continue
        bounded = (style == "arn" and colons < 5) or (
            style == "resource" and index + 1 < len(chars) and chars[index + 1][0] != ":"
        )
        any_run = "[^:]" if bounded else "."
        out.append(any_run + "*" if char == "*" else any_run)
    flags = re.DOTALL | (re.IGNORECASE if style == "action" else 0)
    return re.compile("".join(out), flags)


def translate(text: str, style: Style) -> str:
    """The regex text of a variable-free pattern, for joining several into one alternation."""
    return compile_pattern(((text, True),), style).pattern


# ---------------------------------------------------------------- value comparisons


def _equals(value: str, wanted: Prepared) -> bool:
    return value == wanted


def _equals_ignore_case(value: str, wanted: Prepared) -> bool:
    return isinstance(wanted, str) and value.casefold() == wanted.casefold()


def _like(value: str, wanted: Prepared) -> bool:
    return isinstance(wanted, re.Pattern) and wanted.fullmatch(value) is not None


def _bool(value: str, wanted: Prepared) -> bool:
    return isinstance(wanted, str) and value.lower() == wanted.lower()


def _binary(value: str, wanted: Prepared) -> bool:
    if not isinstance(wanted, str):
        return False
    left, right = _base64(value), _base64(wanted)
    return left == right if left is not None and right is not None else value == wanted


def _ip(value: str, wanted: Prepared) -> bool:
    network = _network(wanted) if isinstance(wanted, str) else None
    address = _address(value)
    return network is not None and address is not None and address in network


def _ordered(
    parse: Callable[[str], Decimal | None], test: Callable[[Decimal, Decimal], bool]
) -> Callable[[str, Prepared], bool]:
    def compare(value: str, wanted: Prepared) -> bool:
        left = parse(value)
        right = parse(wanted) if isinstance(wanted, str) else None
        return left is not None and right is not None and test(left, right)

    return compare


@lru_cache(maxsize=1024)
def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


@lru_cache(maxsize=1024)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)  # a bare address is a /32
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@lru_cache(maxsize=1024)
def parse_number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


_ISO = re.compile(
    r"(-?\d{1,9})(?:-(\d{1,2})(?:-(\d{1,2}))?)?"
    r"(?:[Tt](\d{1,2})(?::(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?"
)
_EPOCH = re.compile(r"\d{1,19}(?:\.\d{1,9})?")


@lru_cache(maxsize=1024)
def parse_date(text: str) -> Decimal | None:
    """Seconds since the epoch of an IAM date: ISO 8601 (date alone, or with a time and an
    optional zone; UTC when none) or epoch seconds. Like IAM, a value with a `T` or a `-` is
    read as ISO 8601, anything else as epoch seconds."""
    text = text.strip()
    if "t" not in text.lower() and "-" not in text:
        return Decimal(text) if _EPOCH.fullmatch(text) else None
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (
        int(group) if group else default
        for group, default in zip(match.groups()[:6], (0, 1, 1, 0, 0, 0), strict=True)
    )
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60):
        return None
    seconds = ((_days(year, month, day) * 24 + hour) * 60 + minute) * 60 + second
    if match.group(9):
        offset = (int(match.group(10)) * 60 + int(match.group(11) or 0)) * 60
        seconds += offset if match.group(9) == "-" else -offset
    return Decimal(seconds) + Decimal("0." + (match.group(7) or "0"))


def _days(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (any year, unlike datetime)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


_ORDERS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "Equals": op.eq,
    "LessThan": op.lt,
    "LessThanEquals": op.le,
    "GreaterThan": op.gt,
    "GreaterThanEquals": op.ge,
}

# Positive operators: how a request value is compared with one policy value, and whether the
# policy value is a wildcard pattern (compiled once) rather than text.
_COMPARISONS: dict[str, tuple[Callable[[str, Prepared], bool], Style | None]] = {
    "StringEquals": (_equals, None),
    "StringEqualsIgnoreCase": (_equals_ignore_case, None),
    "StringLike": (_like, "wildcard"),
    **{f"Numeric{name}": (_ordered(parse_number, test), None) for name, test in _ORDERS.items()},
    **{f"Date{name}": (_ordered(parse_date, test), None) for name, test in _ORDERS.items()},
    "Bool": (_bool, None),
    "BinaryEquals": (_binary, None),
    "IpAddress": (_ip, None),
    "ArnEquals": (_like, "arn"),  # IAM reads ArnEquals with wildcards, like ArnLike
    "ArnLike": (_like, "arn"),
    "Null": (_bool, None),
}
_NEGATIONS = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
BASE_OPERATORS: frozenset[str] = frozenset(_COMPARISONS) | frozenset(_NEGATIONS)


@dataclass(frozen=True, slots=True)
class Operator:
    """A condition operator name taken apart once: `ForAnyValue:StringNotLikeIfExists` is the
    negation of StringLike, with the IfExists suffix and the ForAnyValue set qualifier."""

    name: str
    base: str
    negated: bool
    if_exists: bool
    qualifier: Qualifier | None
    compare: Callable[[str, Prepared], bool]
    style: Style | None

    def prepare(self, pieces: tuple[Piece, ...]) -> Prepared:
        """A rendered policy value in the form `compare` takes."""
        if self.style is not None:
            return compile_pattern(pieces, self.style)
        return "".join(text for text, _ in pieces)


@lru_cache(maxsize=512)
def parse_operator(name: str) -> Operator | None:
    """The operator named `name`, or None when IAM knows no such operator."""
    qualifier: Qualifier | None = None
    rest = name
    for prefix in ("ForAllValues", "ForAnyValue"):
        if rest.startswith(prefix + ":"):
            qualifier, rest = prefix, rest[len(prefix) + 1 :]
            break
    if_exists = rest.endswith("IfExists") and rest != "NullIfExists"
    if if_exists:
        rest = rest[: -len("IfExists")]
    if rest not in BASE_OPERATORS:
        return None
    positive = _NEGATIONS.get(rest, rest)
    compare, style = _COMPARISONS[positive]
    return Operator(name, positive, rest in _NEGATIONS, if_exists, qualifier, compare, style)


def evaluate(operator: Operator, key: str, values: Sequence[Prepared], context: Context) -> bool:
    """Whether one `operator: {key: values}` entry holds for the request."""
    raw = lookup(context, key)
    if isinstance(raw, Unbounded):
        if operator.base == "Null":
            return any(_bool("false", wanted) for wanted in values)
        return operator.qualifier == "ForAnyValue"
    if operator.base == "Null":
        absent = raw is None or (not isinstance(raw, str | bool | int) and len(raw) == 0)
        return any(_bool("true" if absent else "false", wanted) for wanted in values)
    if raw is None:
        if operator.if_exists or operator.qualifier == "ForAllValues":
            return True
        return operator.negated and operator.qualifier is None
    if isinstance(raw, str | bool | int):
        requested: Sequence[str] = (value_text(raw),)
    elif operator.qualifier is None:
        return False  # a single-valued operator never matches a multivalued key
    else:
        requested = raw
    if operator.qualifier == "ForAnyValue":
        return any(_value_matches(operator, value, values) for value in requested)
    return all(_value_matches(operator, value, values) for value in requested)


def _value_matches(operator: Operator, value: str, values: Sequence[Prepared]) -> bool:
    hit = any(operator.compare(value, wanted) for wanted in values)
    return not hit if operator.negated else hit


@dataclass(frozen=True, slots=True)
class Entry:
    """One compiled `operator: {key: values}` entry of a Condition block. `values` are
    prepared once, unless one holds a policy variable (then None, rendered per request)."""

    operator: Operator
    key: str
    values: tuple[Prepared, ...] | None
    templates: tuple[Template, ...]

    def holds(self, context: Context) -> bool:
        values = self.values
        if values is None:
            rendered = (render(template, context) for template in self.templates)
            values = tuple(self.operator.prepare(p) for p in rendered if p is not None)
        return evaluate(self.operator, self.key, values, context)


def compile_block(block: Mapping[str, Any], substitute: bool) -> tuple[Entry, ...]:
    """A validated Condition block as entries, all of which must hold."""
    entries: list[Entry] = []
    for name, keys in block.items():
        operator = parse_operator(name)
        if operator is None:
            continue  # an unknown operator with an empty block, which IAM ignores
        for key, value in keys.items():
            texts = [value_text(item) for item in flatten([value])]
            templates = tuple(parse_template(text, substitute) for text in texts)
            variable = any(has_variables(template) for template in templates)
            values = None if variable else tuple(operator.prepare(((t, True),)) for t in texts)
            entries.append(Entry(operator, key, values, templates))
    return tuple(entries)


def flatten(values: Iterable[Any]) -> list[PolicyValue]:
    """A key's policy values (each a value or a list of them) as one list."""
    flat: list[PolicyValue] = []
    for value in values:
        flat.extend(value if isinstance(value, list | tuple) else [value])
    return flat


def condition_holds(
    operator: str, key: str, policy_values: Sequence[str | bool | int], context: Context
) -> bool:
    """Whether `{operator: {key: policy_values}}` holds for `context`. The policy values are
    taken as written (variables already substituted); `*` and `?` in them are wildcards for
    the Like and Arn operators. Raises ValueError for an operator IAM does not know (a parsed
    policy never holds one)."""
    parsed = parse_operator(operator)
    if parsed is None:
        raise ValueError(f"unknown condition operator {operator!r}")
    prepared = [parsed.prepare(((value_text(value), True),)) for value in policy_values]
    return evaluate(parsed, key, prepared, context)
