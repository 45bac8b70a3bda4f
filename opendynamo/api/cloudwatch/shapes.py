"""CloudWatch's request shapes: botocore's `cloudwatch` service model (loaded once, on first
use), and a decoded request made Python values by its operation's input shape.

`server/cloudwatch` decodes the body: CBOR's or JSON's values, or the Query protocol's text
(`awsquery.parse_form`). `read_input` turns them, whatever the protocol, into what the
operations take: timestamps as timezone-aware UTC `datetime`, doubles as `float`, integers
and longs as `int`, booleans, lists, maps and structures (members the shape does not name
are dropped). It answers CloudWatch's errors for what does not fit, in this order:

- a value of the wrong type: InvalidParameterValue "The value X for parameter
  MetricData.member.1.Value is invalid." (a path as the Query protocol names it);
- required members absent (an empty list counts as absent: the Query protocol cannot tell
  them apart): MissingParameter "The parameter Namespace is required.", one line each;
- the model's constraints (enums, lengths, ranges, patterns): ValidationError in Coral's
  words, "1 validation error detected: Value 'X' at 'stateValue' failed to satisfy
  constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]".

All three are CloudWatch's, as recorded from AWS (MissingParameter's in public bug reports,
the enum message in LocalStack's recordings).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any, Final, Literal, NamedTuple

from opendynamo import errors
from opendynamo.api.request.shapes.messages import (
    MAX_REPORTED,
    aggregate_message,
    constraint_message,
    java_length,
    lower_first,
)

Protocol = Literal["cbor", "json", "query"]
Shape = dict[str, Any]
NAMESPACE: Final = "http://monitoring.amazonaws.com/doc/2010-08-01/"
TARGET_PREFIX: Final = "GraniteServiceVersion20100801"
API_VERSION: Final = "2010-08-01"

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DOUBLE = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_BOUNDS = {"integer": 2**31, "long": 2**63}
_LONGEST_TIME_TEXT = 64


class Epoch(NamedTuple):
    """A CBOR timestamp: the content of tag 1 (epoch seconds), as `server/cloudwatch`
    decodes it; what it holds is checked here."""

    seconds: Any


@cache
def model() -> dict[str, Any]:
    """botocore's cloudwatch model (service-2), as botocore's loader reads it."""
    from botocore.loaders import Loader  # type: ignore[import-untyped]

    loaded: dict[str, Any] = Loader().load_service_model("cloudwatch", "service-2")
    return loaded


def operations() -> frozenset[str]:
    """Every operation of CloudWatch's API."""
    return frozenset(model()["operations"])


def shape(name: str) -> Shape:
    found: Shape = model()["shapes"][name]
    return found


def input_shape(operation: str) -> str | None:
    reference = model()["operations"][operation].get("input")
    return None if reference is None else str(reference["shape"])


def output_shape(operation: str) -> str | None:
    reference = model()["operations"][operation].get("output")
    return None if reference is None else str(reference["shape"])


@cache
def error_types() -> dict[str, tuple[str, str]]:
    """Query-protocol error code -> (the model's error shape, its message member's name).
    A shape named as its code wins over another with the same code (ResourceNotFound)."""
    found: dict[str, tuple[str, str]] = {}
    for name, candidate in model()["shapes"].items():
        trait = candidate.get("error")
        if not candidate.get("exception") or not isinstance(trait, dict):
            continue
        code = str(trait.get("code", name))
        member = "Message" if "Message" in candidate.get("members", {}) else "message"
        if code not in found or name == code:
            found[code] = (name, member)
    return found


def read_input(operation: str, raw: Any, protocol: Protocol) -> dict[str, Any]:
    """The operation's parameters from its decoded body (None or {} for an empty one)."""
    name = input_shape(operation)
    if name is None:
        return {}
    reader = _Reader(protocol)
    params = reader.structure(shape(name), {} if raw is None or raw == "" else raw, _ROOT)
    if reader.missing:
        raise errors.missing_parameter(reader.missing)
    if reader.failures:
        raise errors.cloudwatch_validation(aggregate_message(reader.failures[:MAX_REPORTED]))
    return params


class _Path(NamedTuple):
    """Where a value is, as the Query protocol names it (Metrics.member.1.MetricStat) and as
    Coral's messages do (metrics.1.member.metricStat)."""

    query: str
    coral: str

    def member(self, name: str) -> _Path:
        return _Path(
            f"{self.query}.{name}" if self.query else name,
            f"{self.coral}.{lower_first(name)}" if self.coral else lower_first(name),
        )

    def element(self, index: int) -> _Path:
        return _Path(f"{self.query}.member.{index}", f"{self.coral}.{index}.member")

    def entry(self, index: int) -> _Path:
        return _Path(f"{self.query}.entry.{index}", f"{self.coral}.{index}.entry")


_ROOT = _Path("", "")


class _Reader:
    """One request's walk: values converted, absent members and constraint failures
    collected; a value of the wrong type ends it."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.text = protocol == "query"
        self.missing: list[str] = []
        self.failures: list[str] = []

    def value(self, reference: str, raw: Any, at: _Path) -> Any:
        target = shape(reference)
        kind = target["type"]
        if kind == "structure":
            return self.structure(target, raw, at)
        if kind == "list":
            return self.list(target, raw, at)
        if kind == "map":
            return self.map(target, raw, at)
        converted = self.scalar(kind, raw, at)
        self.check(target, converted, at)
        return converted

    def structure(self, target: Shape, raw: Any, at: _Path) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise _invalid(raw, at)
        out: dict[str, Any] = {}
        required = set(target.get("required", ()))
        for name, reference in target.get("members", {}).items():
            given = raw.get(name)
            if given is None or (given in ("", []) and _is_list(reference["shape"])):
                if name in required:
                    self.missing.append(at.member(name).query)
                if given is None:
                    continue
            out[name] = self.value(reference["shape"], given, at.member(name))
        return out

    def list(self, target: Shape, raw: Any, at: _Path) -> list[Any]:
        if self.text and raw == "":
            raw = []  # the Query protocol's empty list: `Name=`
        if not isinstance(raw, list):
            raise _invalid(raw, at)
        member = target["member"]["shape"]
        out = [self.element(member, item, at.element(i)) for i, item in enumerate(raw, 1)]
        self.check(target, out, at)
        return out

    def element(self, reference: str, raw: Any, at: _Path) -> Any:
        if raw is None:  # lists are dense: a null is no element
            raise _invalid(raw, at)
        return self.value(reference, raw, at)

    def map(self, target: Shape, raw: Any, at: _Path) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise _invalid(raw, at)
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(raw.items(), 1):
            where = at.entry(index)
            out[self.value(target["key"]["shape"], key, where.member("key"))] = self.element(
                target["value"]["shape"], item, where.member("value")
            )
        self.check(target, out, at)
        return out

    def scalar(self, kind: str, raw: Any, at: _Path) -> Any:
        if kind == "string":
            if not isinstance(raw, str):
                raise _invalid(raw, at)
            return raw
        if kind == "boolean":
            return self.boolean(raw, at)
        if kind in _BOUNDS:
            return self.integer(kind, raw, at)
        if kind in ("double", "float"):
            return self.double(raw, at)
        if kind == "timestamp":
            return self.timestamp(raw, at)
        if kind == "blob":
            return self.blob(raw, at)
        raise _invalid(raw, at)  # a kind CloudWatch's model does not use

    def boolean(self, raw: Any, at: _Path) -> bool:
        if self.text and isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if not self.text and isinstance(raw, bool):
            return raw
        raise _invalid(raw, at)

    def integer(self, kind: str, raw: Any, at: _Path) -> int:
        if self.text and isinstance(raw, str) and _INTEGER.fullmatch(raw):
            number = int(raw)
        elif not self.text and isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        else:
            raise _invalid(raw, at)
        if not -_BOUNDS[kind] <= number < _BOUNDS[kind]:
            raise _invalid(raw, at)
        return number

    def double(self, raw: Any, at: _Path) -> float:
        if isinstance(raw, str) and raw in _SPECIAL and self.protocol != "cbor":
            return _SPECIAL[raw]
        if self.text and isinstance(raw, str) and _DOUBLE.fullmatch(raw):
            return float(raw)
        if not self.text and isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        raise _invalid(raw, at)

    def timestamp(self, raw: Any, at: _Path) -> datetime:
        if self.protocol == "cbor":
            seconds = raw.seconds if isinstance(raw, Epoch) else None
        elif self.protocol == "json":
            seconds = raw
        else:
            return self.iso_time(raw, at)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise _invalid(raw, at)
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, ValueError, OSError):
            raise _invalid(seconds, at) from None

    def iso_time(self, raw: Any, at: _Path) -> datetime:
        if not isinstance(raw, str) or len(raw) > _LONGEST_TIME_TEXT:
            raise _invalid(raw, at)
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise _invalid(raw, at) from None
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)

    def blob(self, raw: Any, at: _Path) -> bytes:
        if self.protocol == "cbor" and isinstance(raw, bytes):
            return raw
        if self.protocol != "cbor" and isinstance(raw, str):
            try:
                return base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                pass
        raise _invalid(raw, at)

    def check(self, target: Shape, value: Any, at: _Path) -> None:
        """The model's constraints on one value, failures collected."""
        failure = _constraint(target, value)
        if failure is not None:
            self.failures.append(constraint_message(at.coral, _java_text(value), failure))


def _is_list(reference: str) -> bool:
    return bool(shape(reference)["type"] == "list")


def _constraint(target: Shape, value: Any) -> str | None:
    """The first constraint of the shape the value breaks, in Coral's words."""
    allowed = target.get("enum")
    if allowed is not None and value not in allowed:
        return f"Member must satisfy enum value set: [{', '.join(java_set_order(allowed))}]"
    if isinstance(value, str | bytes | list | dict):
        size = java_length(value) if isinstance(value, str) else len(value)
        if "min" in target and size < target["min"]:
            return f"Member must have length greater than or equal to {target['min']}"
        if "max" in target and size > target["max"]:
            return f"Member must have length less than or equal to {target['max']}"
        pattern = _pattern(target.get("pattern"))
        if isinstance(value, str) and pattern is not None and not pattern.fullmatch(value):
            return f"Member must satisfy regular expression pattern: {target['pattern']}"
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "min" in target and value < target["min"]:
            return f"Member must have value greater than or equal to {target['min']}"
        if "max" in target and value > target["max"]:
            return f"Member must have value less than or equal to {target['max']}"
    return None


@cache
def _pattern(text: str | None) -> re.Pattern[str] | None:
    """A model pattern, where Python's regular expressions read it as Java's do (the
    patterns with Unicode classes such as \\p{L} are not checked)."""
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error:
        return None


def java_set_order(values: list[str]) -> list[str]:
    """An enum's values in the order CloudWatch lists them in its messages: iteration order
    of a Java hash set of 32 buckets (String.hashCode modulo 32), which gives both orders
    recorded from AWS, [INSUFFICIENT_DATA, ALARM, OK] and [Maximum, SampleCount, Sum,
    Minimum, Average]."""
    buckets: dict[int, list[str]] = {}
    for value in sorted(values):
        buckets.setdefault(_java_hash(value) % 32, []).append(value)
    return [value for bucket in sorted(buckets) for value in buckets[bucket]]


def _java_hash(text: str) -> int:
    """Java's String.hashCode, over UTF-16 code units."""
    data = text.encode("utf-16-be")
    code = 0
    for at in range(0, len(data), 2):
        code = (31 * code + int.from_bytes(data[at : at + 2], "big")) & 0xFFFFFFFF
    return code


def _java_text(value: Any) -> str | None:
    """A value as Java's toString shows it in a constraint message."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(_java_text(item)) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_java_text(item)}" for key, item in value.items()) + "}"
    return str(value)


def _invalid(raw: Any, at: _Path) -> errors.ServiceError:
    shown = raw.seconds if isinstance(raw, Epoch) else raw
    return errors.invalid_parameter_value(
        f"The value {_shown(shown)} for parameter {at.query or 'the request'} is invalid."
    )


def _shown(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)
