"""CloudWatch on the wire, in the three protocols botocore's `cloudwatch` model lists:

- **Smithy RPC v2 CBOR** (current botocore and the AWS CLI): POST
  `/service/GraniteServiceVersion20100801/operation/<Operation>` with `smithy-protocol:
  rpc-v2-cbor` and a CBOR body (`Content-Type: application/cbor`; none for an empty input).
  Timestamps are tag 1 (epoch seconds). The reply carries `smithy-protocol: rpc-v2-cbor` too.
- **JSON 1.0**: POST / with `X-Amz-Target: GraniteServiceVersion20100801.<Operation>`;
  timestamps are epoch seconds.
- **Query** (older SDKs): a form, `Action=<Operation>&Version=2010-08-01&…`, signed for the
  service `monitoring`; the reply is XML (`server/awsquery`).

`decode` makes a body the decoded tree `api/cloudwatch/shapes.read_input` reads; `reply` and
`error_reply` write an answer, driven by the operation's output shape, as botocore's parsers
read it (RpcV2CBORParser, JSONParser, QueryParser). CloudWatch is "awsQueryCompatible": an
error in CBOR or JSON names its Query-protocol code and fault in the `x-amzn-query-error`
header (`InvalidParameterValue;Sender`), which botocore reports as the error's Code, so a
client sees the same codes in every protocol.

A hostile body gets a 4xx in the protocol's error shape, never more: at most 1 MB decoded
(CloudWatch's own limit; RequestEntityTooLarge, 413), CBOR nested at most `MAX_DEPTH` deep,
declared lengths checked against the bytes there are, no CBOR tag but 1 (no shared
references, no regular expressions, no bignums), no duplicate map keys, nothing after the
top-level item.
"""

from __future__ import annotations

import base64
import io
import math
import zlib
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, Final

import cbor2
import orjson

from opendynamo import errors
from opendynamo.api.cloudwatch import shapes
from opendynamo.api.cloudwatch.shapes import NAMESPACE, TARGET_PREFIX, Epoch, Protocol
from opendynamo.model.compression import GZIP, ZLIB, inflate
from opendynamo.server import awsquery

CBOR_PATH: Final = f"/service/{TARGET_PREFIX}/operation/"
TARGET: Final = TARGET_PREFIX.encode() + b"."
CBOR_TYPE: Final = b"application/cbor"
JSON_TYPE: Final = b"application/x-amz-json-1.0"
XML_TYPE: Final = b"text/xml"
JSON_TYPES: Final = (JSON_TYPE, b"application/json")
SMITHY_PROTOCOL: Final = (b"smithy-protocol", b"rpc-v2-cbor")
MAX_BYTES: Final = 1024 * 1024  # CloudWatch's limit on a request (PutMetricData's 1 MB)
MAX_DEPTH: Final = 32  # CloudWatch's deepest input shape is 8 levels
# The CBOR tags cbor2 gives a meaning of its own: every one but 1 (a timestamp) is refused.
_MEANT_TAGS: Final = (0, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261)
_MEANT_TAGS_MORE: Final = (1004, 55799)
_CORAL: Final = "com.amazon.coral.service#"
_MODEL: Final = "com.amazonaws.cloudwatch#"
_CORAL_TYPES: Final = {"InvalidAction": "UnknownOperationException"}

Answer = tuple[int, bytes, bytes, tuple[tuple[bytes, bytes], ...]]  # status, type, body, headers


class _Refused(Exception):
    """A CBOR item the codec does not take (raised inside cbor2's decoder)."""


# --- requests ---------------------------------------------------------------------------------


def protocol_of(path: str, smithy_protocol: bytes, target: bytes) -> Protocol | None:
    """CBOR by its path and `smithy-protocol` header, JSON 1.0 by its X-Amz-Target; None for
    any other request (a form, the Query protocol, is told by its credential scope, with
    IAM's and STS's)."""
    if path.startswith(CBOR_PATH):
        return "cbor" if smithy_protocol == SMITHY_PROTOCOL[1] else None
    return "json" if target.startswith(TARGET) else None


def operation_of(protocol: Protocol, path: str, target: bytes) -> str:
    """The operation a CBOR request's path or a JSON request's target names."""
    if protocol == "cbor":
        return path[len(CBOR_PATH) :]
    return target[len(TARGET) :].decode("latin-1")


def check_operation(operation: str, served: Collection[str]) -> None:
    """InvalidAction for a name that is no operation of CloudWatch, or one not served."""
    if operation not in shapes.operations():
        raise errors.unknown_cloudwatch_operation(operation)
    if operation not in served:
        raise errors.unsupported_cloudwatch_operation(operation)


def unpacked(body: bytes, encoding: bytes) -> bytes:
    """The body its Content-Encoding names undone (gzip, deflate: botocore gzips a large
    PutMetricData), never more than `MAX_BYTES`."""
    names = [name.strip().lower() for name in encoding.split(b",") if name.strip()]
    for name in reversed(names):
        if name == b"identity":
            continue
        if name not in (b"gzip", b"x-gzip", b"deflate"):
            raise errors.malformed_request()
        try:
            body = inflate(body, ZLIB if name == b"deflate" else GZIP, MAX_BYTES)
        except zlib.error:
            raise errors.malformed_request() from None
        if len(body) > MAX_BYTES:
            break
    if len(body) > MAX_BYTES:
        raise errors.cloudwatch_request_too_large(len(body), MAX_BYTES)
    return body


def decode(protocol: Protocol, body: bytes) -> Any:
    """A CBOR or JSON body as a tree (None for an empty body); SerializationException when
    it is not one map of the format and nothing more."""
    if not body:
        return None
    tree = _cbor(body) if protocol == "cbor" else _json(body)
    if not isinstance(tree, dict):
        raise errors.malformed_request()
    return tree


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise errors.malformed_request() from None


def _cbor(body: bytes) -> Any:
    stream = io.BytesIO(body)
    decoder = cbor2.CBORDecoder(
        stream,
        tag_hook=_refuse,
        semantic_decoders=_SEMANTIC_DECODERS,
        max_depth=MAX_DEPTH,
        allow_duplicate_keys=False,
        strict_hashable_types=True,
    )
    try:
        tree = decoder.decode()
    except (cbor2.CBORError, _Refused, ValueError, TypeError, OverflowError, RecursionError):
        raise errors.malformed_request() from None
    if stream.tell() != len(body):
        raise errors.malformed_request()  # something after the top-level item
    return tree


def _refuse(*_: Any) -> Any:
    raise _Refused


def _epoch(value: Any, _immutable: bool = False) -> Epoch:
    return Epoch(value)


_SEMANTIC_DECODERS: Final[dict[int, Any]] = {
    **{tag: _refuse for tag in (*_MEANT_TAGS, *_MEANT_TAGS_MORE)},
    1: _epoch,
}


# --- answers ------------------------------------------------------------------------------------


def reply(
    protocol: Protocol, operation: str, result: dict[str, Any] | None, request_id: str
) -> Answer:
    """A handler's result (None: no output) in the request's protocol, by the output shape."""
    name = shapes.output_shape(operation)
    members = result if result is not None else {}
    if protocol == "query":
        shaped = None if name is None else _query_value(name, members)
        return 200, XML_TYPE, awsquery.render_result(operation, NAMESPACE, shaped, request_id), ()
    if protocol == "json":
        body = b"{}" if name is None else orjson.dumps(_json_value(name, members))
        return 200, JSON_TYPE, body, ()
    body = b"" if name is None else cbor2.dumps(_cbor_value(name, members))
    return 200, CBOR_TYPE, body, (SMITHY_PROTOCOL,)


def error_reply(protocol: Protocol, error: errors.ServiceError, request_id: str) -> Answer:
    """An error as botocore reads it in each protocol, with the Query code in CBOR and JSON
    (`x-amzn-query-error: <code>;<Sender|Receiver>`). Total: a message holding what UTF-8
    cannot carry (a header's undecodable bytes, kept as lone surrogates) has it replaced."""
    error = _renderable(error)
    if protocol == "query":
        return error.status, XML_TYPE, awsquery.render_error(error, NAMESPACE, request_id), ()
    type_name, message_member = _error_type(error.code)
    body: dict[str, Any] = {"__type": type_name}
    if error.message:
        body[message_member] = error.message
    fault = "Sender" if error.sender_fault else "Receiver"
    headers: tuple[tuple[bytes, bytes], ...] = (
        (b"x-amzn-query-error", f"{error.code};{fault}".encode()),
    )
    if protocol == "json":
        return error.status, JSON_TYPE, orjson.dumps(body), headers
    return error.status, CBOR_TYPE, cbor2.dumps(body), (SMITHY_PROTOCOL, *headers)


def _renderable(error: errors.ServiceError) -> errors.ServiceError:
    clean = error.message.encode("utf-8", "replace").decode("utf-8")
    return error if clean == error.message else error.reworded(clean)


def _error_type(code: str) -> tuple[str, str]:
    """(__type, the message member's name) of an error code: the model's error shape when it
    has one (InvalidParameterValue -> InvalidParameterValueException), else Coral's."""
    modeled = shapes.error_types().get(code)
    if modeled is not None:
        return _MODEL + modeled[0], modeled[1]
    name = _CORAL_TYPES.get(code, code)
    if not name.endswith(("Exception", "TooLarge")):
        name += "Exception"
    return _CORAL + name, "message"


def _walk(name: str, value: Any, leaf: Any) -> Any:
    """`value` by the shape `name`: structures (members in the shape's order, None left
    out), lists and maps walked, every scalar given to `leaf(kind, value)`."""
    target = shapes.shape(name)
    kind = target["type"]
    if kind == "structure":
        return {
            member: _walk(reference["shape"], value[member], leaf)
            for member, reference in target.get("members", {}).items()
            if value.get(member) is not None
        }
    if kind == "list":
        return [_walk(target["member"]["shape"], item, leaf) for item in value]
    if kind == "map":
        return {key: _walk(target["value"]["shape"], item, leaf) for key, item in value.items()}
    return leaf(kind, value)


def _cbor_value(name: str, value: Any) -> Any:
    return _walk(name, value, _cbor_leaf)


def _cbor_leaf(kind: str, value: Any) -> Any:
    if kind == "timestamp":
        return cbor2.CBORTag(1, _epoch_seconds(value))
    if kind in ("double", "float"):
        return float(value)
    return value


def _json_value(name: str, value: Any) -> Any:
    return _walk(name, value, _json_leaf)


def _json_leaf(kind: str, value: Any) -> Any:
    if kind == "timestamp":
        return _epoch_seconds(value)
    if kind in ("double", "float"):
        return _special(float(value)) or float(value)
    if kind == "blob":
        return base64.b64encode(value).decode()
    return value


def _query_value(name: str, value: Any) -> Any:
    shaped = _walk(name, value, _query_leaf)
    return _entry_maps(name, shaped)


def _query_leaf(kind: str, value: Any) -> Any:
    if kind == "timestamp":
        return _iso(value)
    if kind in ("double", "float"):
        return _special(float(value)) or repr(float(value))
    if kind == "blob":
        return base64.b64encode(value).decode()
    return value


def _entry_maps(name: str, value: Any) -> Any:
    """Maps marked as such for `awsquery` (entry/key/value), structures as they are."""
    target = shapes.shape(name)
    kind = target["type"]
    if kind == "structure":
        members = target.get("members", {})
        return {key: _entry_maps(members[key]["shape"], item) for key, item in value.items()}
    if kind == "list":
        return [_entry_maps(target["member"]["shape"], item) for item in value]
    if kind == "map":
        inner = target["value"]["shape"]
        return awsquery.EntryMap({key: _entry_maps(inner, item) for key, item in value.items()})
    return value


def _epoch_seconds(value: datetime) -> int | float:
    """Epoch seconds to the millisecond, an integer when whole (as CloudWatch writes them)."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    millis = round(moment.timestamp() * 1000)
    return millis // 1000 if millis % 1000 == 0 else millis / 1000


def _iso(value: datetime) -> str:
    """ISO 8601 in UTC to the millisecond: 2013-03-19T18:42:29.318Z, as CloudWatch's XML."""
    moment = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _special(value: float) -> str | None:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return None
