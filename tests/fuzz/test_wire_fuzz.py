"""A fuzzer through the wire: every served DynamoDB and Streams operation, with requests made
from the operation's input shape (`api/request/shapes.json`) and then mutated, sent as raw
HTTP to a real server on SQLite and on PostgreSQL.

Mutations: a null, a value of the wrong JSON type, an empty or huge string or list, deep
nesting, lone surrogates and NUL in strings, invalid UTF-8 bytes in the body, unknown members,
a mangled X-Amz-Target, and bodies in gzip, deflate or an encoding that does not decode.

For every request:
- the status is 200, 400 or 413, or 500 where DynamoDB answers 500 too (a body whose
  Content-Encoding cannot be decoded);
- an error's body is DynamoDB's JSON error shape, and every answer carries a request id;
- the server's log holds no traceback;
- when the answer is an error, the table's contents are unchanged (a checksum of a scan).

In CI each operation gets OPENDYNAMO_FUZZ_EXAMPLES examples (default 12); `pytest --fuzz-long
tests/fuzz` runs 2,000 each (or the variable's number).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendynamo.api.dynamodb import OPERATIONS
from opendynamo.api.request.shapes import DOC as _DOC
from opendynamo.api.request.shapes import SHAPES
from opendynamo.api.streams import OPERATIONS as STREAMS_OPERATIONS
from tests.conftest import Backend, Server
from tests.wire.helpers import table_params
from tests.wire.http import AMZ_JSON, Reply, send, unverified_auth

EXAMPLES = int(os.environ.get("OPENDYNAMO_FUZZ_EXAMPLES", "12"))
TABLE = "Fuzz"
SCRATCH = ("fuzz-scratch-a", "fuzz-scratch-b")
ACCOUNT = "000000000000"
ARN = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{TABLE}"
FOREIGN_ARN = "arn:aws:dynamodb:us-east-1:111122223333:table/Fuzz"
STREAMS = frozenset(STREAMS_OPERATIONS)
SERVED = sorted(set(OPERATIONS) | STREAMS)
# Operations that change or make tables: they get scratch tables, so the checksummed table
# stays (data-plane writes to it are welcome: a 200 moves the checksum on).
CONTROL = frozenset(
    {
        "CreateTable", "DeleteTable", "UpdateTable", "UpdateTimeToLive", "TagResource",
        "UntagResource", "UpdateContinuousBackups", "RestoreTableFromBackup",
        "RestoreTableToPointInTime", "ImportTable", "PutResourcePolicy",
        "DeleteResourcePolicy", "CreateBackup",
    }
)  # fmt: skip
EXPRESSIONS = (
    "pk = :v", "pk = :v AND sk > :n", "attribute_exists(pk)", "#a = :v", "SET #a = :v",
    "SET v = v + :n REMOVE w", "ADD n :n", "DELETE s :s", "pk, sk, #a", "size(v) > :n",
    "begins_with(v, :v)", "pk IN (:v, :w)", "v BETWEEN :v AND :w", "", "(", "SET", ":v",
)  # fmt: skip
STATEMENTS = (
    f'SELECT * FROM "{TABLE}"', f"SELECT * FROM \"{TABLE}\" WHERE pk = 'a'",
    f"SELECT * FROM \"{TABLE}\" WHERE pk IN ['a', 'b']", f'SELECT pk FROM "{TABLE}"."byV"',
    f"INSERT INTO \"{TABLE}\" VALUE {{'pk': 'z', 'sk': 1}}",
    f"UPDATE \"{TABLE}\" SET v = 'x' WHERE pk = 'a' AND sk = 1",
    f"DELETE FROM \"{TABLE}\" WHERE pk = 'b' AND sk = 2",
    f"EXISTS(SELECT * FROM \"{TABLE}\" WHERE pk = 'a' AND sk = 1)", "SELECT", "?", "",
)  # fmt: skip


# --- the server and the table it guards ------------------------------------------------------


@dataclass
class Target:
    server: Server
    stream_arn: str
    checksum: str = ""
    log_read: int = 0
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Target]:
    server = Server(tmp_path_factory.mktemp("fuzz"), extra_args=backend()).start()
    ddb = server.client()
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    params = table_params(TABLE, range_key=("sk", "N"), gsi=("byV", "v"))
    ddb.create_table(**params, StreamSpecification=stream)
    for n in range(12):
        item = {"pk": {"S": "ab"[n % 2]}, "sk": {"N": str(n)}, "v": {"S": f"v{n % 3}"}}
        ddb.put_item(TableName=TABLE, Item=item)
    stream_arn = ddb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    found = Target(server, stream_arn)
    found.checksum = _checksum(found)
    yield found
    print(f"\nwire fuzzer: {found.requests} requests, statuses {found.statuses}")
    server.stop()


def _checksum(target: Target) -> str:
    items = target.server.client().scan(TableName=TABLE, ConsistentRead=True)["Items"]
    text = json.dumps(sorted(json.dumps(item, sort_keys=True) for item in items))
    return hashlib.sha256(text.encode()).hexdigest()


# --- requests from the shapes ----------------------------------------------------------------


def _strings(member: str, control: bool) -> st.SearchStrategy[Any]:
    tables = SCRATCH if control else (TABLE, ARN)
    if member in ("TableName", "TableArn", "TargetTableName", "SourceTableName",
                  "SourceTableArn", "GlobalTableName"):  # fmt: skip
        return st.sampled_from((*tables, FOREIGN_ARN, "x", ""))
    if member.endswith("Expression"):
        return st.sampled_from(EXPRESSIONS)
    if member == "Statement":
        return st.sampled_from(STATEMENTS)
    if member in ("IndexName",):
        return st.sampled_from(("byV", "nope", ""))
    if member.endswith("Arn"):
        return st.sampled_from((ARN, f"{ARN}/backup/01700000000000-abcdef01",
                                f"{ARN}/export/01700000000000-abcdef01", "arn:aws:x", ""))  # fmt: skip
    return st.one_of(
        st.sampled_from(("a", "b", "pk", "v", "#a", ":v", "ALL_NEW")), st.text(max_size=8)
    )


def attribute_values(depth: int = 0) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.builds(lambda s: {"S": s}, st.text(max_size=6)),
        st.builds(lambda n: {"N": str(n)}, st.integers(-1000, 1000)),
        st.builds(lambda b: {"B": base64.b64encode(b).decode()}, st.binary(max_size=6)),
        st.just({"NULL": True}),
        st.builds(lambda b: {"BOOL": b}, st.booleans()),
        st.builds(lambda s: {"SS": s}, st.lists(st.text(max_size=3), max_size=3)),
        st.builds(lambda s: {"NS": [str(n) for n in s]}, st.lists(st.integers(0, 9), max_size=3)),
    )
    if depth > 1:
        return scalars
    nested = attribute_values(depth + 1)
    return st.one_of(
        scalars,
        st.builds(lambda m: {"M": m}, st.dictionaries(st.sampled_from("abc"), nested, max_size=2)),
        st.builds(lambda items: {"L": items}, st.lists(nested, max_size=2)),
    )


def _key(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """An item or key: mostly the table's keys, and sometimes anything."""
    keys = st.fixed_dictionaries(
        {"pk": st.sampled_from(({"S": "a"}, {"S": "b"}, {"S": "z"})),
         "sk": st.sampled_from(({"N": "1"}, {"N": "2"}, {"N": "99"}))},
        optional={"v": st.sampled_from(({"S": "v0"}, {"S": "w"})), "n": values},
    )  # fmt: skip
    return st.one_of(keys, st.dictionaries(st.sampled_from(("pk", "sk", "x")), values, max_size=3))


def value_of(shape_name: str, member: str, control: bool, depth: int = 0) -> st.SearchStrategy[Any]:
    shape = SHAPES[shape_name]
    kind = shape["type"]
    if shape_name == "AttributeValue":
        return attribute_values()
    if (
        kind == "map"
        and SHAPES[shape["value"]]["type"] == "structure"
        and shape["value"] == "AttributeValue"
    ):
        if member in ("ExpressionAttributeValues",):
            return st.dictionaries(
                st.sampled_from((":v", ":w", ":n", ":s", "v")), attribute_values(), max_size=3
            )
        return _key(attribute_values())
    if kind == "structure":
        if depth > 4:
            return st.just({})
        members = {name: value_of(ref, name, control, depth + 1) for name, ref in shape["members"]}
        required = set(shape.get("required", ()))
        return st.fixed_dictionaries(
            {name: members[name] for name in members if name in required},
            optional={name: members[name] for name in members if name not in required},
        )
    if kind == "list":
        if depth > 4:
            return st.just([])
        return st.lists(value_of(shape["member"], member, control, depth + 1), max_size=3)
    if kind == "map":
        if depth > 4:
            return st.just({})
        keys = (
            _strings(member, control)
            if member == "RequestItems"
            else st.sampled_from(("#a", "#b", "pk", "k", "a"))
        )
        return st.dictionaries(
            keys, value_of(shape["value"], member, control, depth + 1), max_size=2
        )
    if kind == "string":
        if "enum" in shape:
            return st.one_of(st.sampled_from(shape["enum"]), st.just("nope"))
        return _strings(member, control)
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "long"):
        return st.integers(-3, 120)
    if kind in ("double", "timestamp"):
        return st.floats(allow_nan=False, allow_infinity=False, min_value=-1e10, max_value=2e9)
    if kind == "blob":
        return st.builds(lambda b: base64.b64encode(b).decode(), st.binary(max_size=8))
    raise AssertionError(kind)


# --- mutations ----------------------------------------------------------------------------------

HUGE = "x" * 70_000


def _nested(depth: int) -> Any:
    value: Any = {"S": "deep"}
    for _ in range(depth):
        value = {"L": [value]}
    return value


REPLACEMENTS = st.one_of(
    st.none(),
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.just(""),
    st.just([]),
    st.just({}),
    st.just(HUGE),
    st.just(["a"] * 200),
    st.just("\ud800 lone"),
    st.just("nul\u0000in"),
    st.just(1.5e308),
    st.just(_nested(40)),
    st.just(_nested(700)),
    st.text(max_size=5),
)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if len(path) > 30:  # not into the deep nesting a mutation made
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replaced(copy[head], rest, new)
    return copy


@st.composite
def mutated(draw: st.DrawFn, body: Any) -> Any:
    for _ in range(draw(st.integers(0, 3))):
        paths = list(_paths(body))
        path = draw(st.sampled_from(paths))
        body = _replaced(body, path, draw(REPLACEMENTS))
    if isinstance(body, dict) and draw(st.booleans()):
        body = {**body, draw(st.sampled_from(("Unknown", "tableName", "X"))): draw(REPLACEMENTS)}
    return body


@dataclass
class Wire:
    body: bytes
    headers: dict[str, Any]
    undecodable: bool = False


@st.composite
def on_the_wire(draw: st.DrawFn, operation: str, body: Any) -> Wire:
    text = json.dumps(body).encode()  # ensure_ascii: a lone surrogate travels as \ud800
    if draw(st.integers(0, 9)) == 0 and b'"' in text:  # a raw invalid UTF-8 byte in a string
        at = text.index(b'"') + 1
        text = text[:at] + b"\xff\xfe" + text[at:]
    prefix = "DynamoDBStreams_20120810" if operation in STREAMS else "DynamoDB_20120810"
    target: Any = draw(st.sampled_from((
        f"{prefix}.{operation}", f"{prefix}.{operation}", f"{prefix}.{operation}",
        f"{prefix}.{operation.lower()}", f"{prefix}.", "DynamoDB_20120810.Nope",
        f"{prefix}.{operation}".encode() + b"\xff",
    )))  # fmt: skip
    headers: dict[str, Any] = {
        "Content-Type": AMZ_JSON,
        "X-Amz-Target": target,
        **unverified_auth("AKIDFUZZ"),
    }
    encoding = draw(st.sampled_from((None, None, None, "gzip", "deflate", "identity", "junk")))
    undecodable = False
    if encoding == "gzip":
        text = gzip.compress(text)
        if draw(st.booleans()):
            text, undecodable = text[: len(text) // 2], True
    elif encoding == "deflate":
        text = zlib.compress(text)
    elif encoding == "junk":
        undecodable = True
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    return Wire(text, headers, undecodable)


# --- the property --------------------------------------------------------------------------------


def _check(target: Target, wire: Wire, reply: Reply) -> None:
    target.requests += 1
    target.statuses[reply.status] = target.statuses.get(reply.status, 0) + 1
    allowed = {200, 400, 413} | ({500} if wire.undecodable else set())
    assert reply.status in allowed, (reply.status, reply.body[:300], wire.body[:300])
    assert reply.headers.get("x-amzn-requestid"), reply.headers
    if reply.status != 200:
        error = json.loads(reply.body)
        assert isinstance(error, dict) and str(error["__type"]).count("#") == 1, reply.body
    output = target.server.output()
    fresh, target.log_read = output[target.log_read :], len(output)
    assert "Traceback" not in fresh, fresh
    if reply.status == 200:
        target.checksum = _checksum(target)
    else:
        assert _checksum(target) == target.checksum, ("changed by a refused request", wire.body)


@pytest.mark.parametrize("operation", SERVED)
def test_every_operation_survives_what_a_hostile_client_sends(
    target: Target, operation: str
) -> None:
    spec = _DOC["operations"][operation]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=EXAMPLES <= 50,  # the CI run is the same every time
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        body = data.draw(value_of(spec["input"], "", operation in CONTROL))
        if operation == "GetRecords" and isinstance(body, dict) and data.draw(st.booleans()):
            body["ShardIterator"] = _iterator(target)
        if operation in ("DescribeStream", "GetShardIterator") and data.draw(st.booleans()):
            body = {**body, "StreamArn": target.stream_arn}
        body = data.draw(mutated(body))
        wire = data.draw(on_the_wire(operation, body))
        reply = send(target.server, body=wire.body, headers=wire.headers)
        _check(target, wire, reply)

    fuzz()


def _iterator(target: Target) -> str:
    streams = target.server.client("dynamodbstreams")
    shards = streams.describe_stream(StreamArn=target.stream_arn)["StreamDescription"]["Shards"]
    return str(
        streams.get_shard_iterator(
            StreamArn=target.stream_arn,
            ShardId=shards[0]["ShardId"],
            ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"]
    )
