"""The DynamoDB Streams API (target prefix DynamoDBStreams_20120810): ListStreams,
DescribeStream, GetShardIterator and GetRecords, over the change log (engine/streams).

A shard iterator is the position to read from (a stamp, and how many changes of that stamp
to pass over), the stream (its ARN: table, account and region) and shard, and when it was
made: that JSON with a MAC under the server's secrets key, in base64. So a client can neither
point it at another stream nor extend its life; it expires after 15 minutes, as DynamoDB's do.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.api.request.context import Context
from opendynamo.engine import arns, backups, records, streams
from opendynamo.engine.catalog import TableMeta
from opendynamo.engine.secrets import Sealer
from opendynamo.engine.streams import Shard, Stream
from opendynamo.model.sizes import item_size
from opendynamo.model.values import Body

ITERATOR_LIFETIME = 15 * 60.0
MAX_RECORDS = 1000
MAX_PAGE = 100
SERVICE = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}
ITERATOR_PURPOSE = "shard iterator"


def _check_arn(arn: str) -> None:
    """ValidationException for a StreamArn that is not one."""
    if arns.owned_ref(arn, "stream") is None:
        raise errors.validation(f"Invalid StreamArn: {arn}")


def _limit(body: Body, name: str, most: int) -> int:
    limit = int(body.get("Limit", most))
    if limit > most:
        raise errors.validation(
            f"1 validation error detected: Value '{limit}' at '{name}' failed to satisfy "
            f"constraint: Member must have value less than or equal to {most}"
        )
    return limit


def _stream(ctx: Context, arn: str, now_us: int) -> tuple[TableMeta, Stream]:
    ref = ctx.owned(arn, "stream")
    if ref is None:
        raise errors.validation(f"Invalid StreamArn: {arn}")
    with ctx.store.read() as txn:
        found = streams.find(txn, ref, now_us)
    if found is None:
        raise errors.resource_not_found(f"Requested resource not found: Stream: {arn} not found")
    return found


def list_streams(ctx: Context, body: Body) -> Body:
    limit = _limit(body, "limit", MAX_PAGE)
    table = body.get("TableName")
    after = body.get("ExclusiveStartStreamArn")
    if after is not None:
        _check_arn(after)
    now_us = backups.clock_us(ctx.store)
    with ctx.store.read() as txn:
        found = [
            (meta, stream)
            for meta, stream in streams.all_streams(txn, ctx.account, ctx.region, now_us)
            if table is None or meta.name == table or meta.arn == table
        ]
    arns = [streams.arn_of(meta, stream) for meta, stream in found]
    start = arns.index(after) + 1 if after in arns else 0
    page = found[start : start + limit]
    out: Body = {
        "Streams": [
            {"StreamArn": streams.arn_of(m, s), "TableName": m.name, "StreamLabel": s.label}
            for m, s in page
        ]
    }
    if start + limit < len(found):
        out["LastEvaluatedStreamArn"] = streams.arn_of(*page[-1])
    return out


def describe_stream(ctx: Context, body: Body) -> Body:
    limit = _limit(body, "limit", MAX_PAGE)
    now_us = backups.clock_us(ctx.store)
    meta, stream = _stream(ctx, body["StreamArn"], now_us)
    every = streams.shards(stream, now_us)
    wanted = body.get("ShardFilter")
    if wanted is not None:  # CHILD_SHARDS (the shape holds Type and ShardId to be there)
        parent = _find_shard(stream, wanted["ShardId"], now_us)
        every = [shard for shard in every if shard.parent == parent.id]
    after = body.get("ExclusiveStartShardId")
    start = 0
    if after is not None:  # after a shard it does not have: none (as DynamoDB)
        start = next((i + 1 for i, shard in enumerate(every) if shard.id == after), len(every))
    page = every[start : start + limit]
    description: Body = {
        "StreamArn": body["StreamArn"],
        "StreamLabel": stream.label,
        "StreamStatus": "ENABLED" if stream.end is None else "DISABLED",
        "StreamViewType": stream.view,
        "CreationRequestDateTime": stream.start / 1e6,
        "TableName": meta.name,
        "KeySchema": meta.key_schema,
        "Shards": [_shard(shard) for shard in page],
    }
    if start + limit < len(every):
        description["LastEvaluatedShardId"] = page[-1].id
    return {"StreamDescription": description}


def _shard(shard: Shard) -> Body:
    numbers: Body = {"StartingSequenceNumber": streams.sequence_number(shard.start, 0)}
    if shard.closed:
        numbers["EndingSequenceNumber"] = streams.sequence_number(shard.end - 1, 99999)
    out: Body = {"ShardId": shard.id, "SequenceNumberRange": numbers}
    if shard.parent is not None:
        out["ParentShardId"] = shard.parent
    return out


def get_shard_iterator(ctx: Context, body: Body) -> Body:
    now_us = backups.clock_us(ctx.store)
    arn = body["StreamArn"]
    _, stream = _stream(ctx, arn, now_us)
    shard = _find_shard(stream, body["ShardId"], now_us)
    kind = body["ShardIteratorType"]
    given = body.get("SequenceNumber")
    if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        parsed = streams.parse_sequence_number(given or "")
        if parsed is None or not shard.start <= parsed[0] < shard.end:
            raise errors.validation(f"Invalid SequenceNumber for ShardIteratorType {kind}: {given}")
        stamp, ordinal = parsed
        position = (stamp, ordinal + (1 if kind == "AFTER_SEQUENCE_NUMBER" else 0))
    elif given is not None:
        raise errors.validation(
            f"Invalid Request: SequenceNumber is not allowed with ShardIteratorType {kind}"
        )
    elif kind == "TRIM_HORIZON":
        horizon = now_us - int(streams.RETENTION_SECONDS * 1e6)
        position = (max(shard.start, horizon), 0)
    else:  # LATEST: what is written from now on
        position = (min(max(now_us - streams.settle_us(), shard.start), shard.end), 0)
    return {"ShardIterator": _iterator(ctx, arn, shard.id, position, now_us)}


def _find_shard(stream: Stream, shard_id: str, now_us: int) -> Shard:
    for shard in streams.shards(stream, now_us):
        if shard.id == shard_id:
            return shard
    raise errors.resource_not_found(
        f"Requested resource not found: Shard does not exist: {shard_id}"
    )


@dataclass(frozen=True, slots=True)
class ShardIterator:
    arn: str  # the stream's
    shard: str
    stamp: int
    skip: int
    made: int  # clock (us)


def _iterator(ctx: Context, arn: str, shard_id: str, position: tuple[int, int], now_us: int) -> str:
    state = orjson.dumps({"a": arn, "s": shard_id, "p": list(position), "t": now_us})
    return base64.urlsafe_b64encode(_sealer(ctx).sign(state, ITERATOR_PURPOSE)).decode()


def open_iterator(ctx: Context, text: str) -> ShardIterator:
    """The iterator a client handed back, once its MAC shows this server made it;
    ValidationException "Invalid ShardIterator" for anything else."""
    try:
        state = _sealer(ctx).verify(base64.urlsafe_b64decode(text), ITERATOR_PURPOSE)
        if state is None:
            raise ValueError("not an iterator of this server")
        fields = orjson.loads(state)
        (stamp, skip) = fields["p"]
        return ShardIterator(
            str(fields["a"]), str(fields["s"]), int(stamp), int(skip), int(fields["t"])
        )
    except (ValueError, TypeError, KeyError):
        raise errors.validation("Invalid ShardIterator") from None


def _sealer(ctx: Context) -> Sealer:
    assert ctx.sealer is not None, "the server gives every request the secrets key"
    return ctx.sealer


def get_records(ctx: Context, body: Body) -> Body:
    limit = _limit(body, "limit", MAX_RECORDS)
    now_us = backups.clock_us(ctx.store)
    iterator = open_iterator(ctx, body["ShardIterator"])
    arn, shard_id, stamp, skip, made = (
        iterator.arn,
        iterator.shard,
        iterator.stamp,
        iterator.skip,
        iterator.made,
    )
    if now_us - made > ITERATOR_LIFETIME * 1e6:
        raise errors.expired_iterator(_time(made), _time(now_us))
    meta, stream = _stream(ctx, arn, now_us)
    shard = _find_shard(stream, shard_id, now_us)
    if stamp < now_us - int(streams.RETENTION_SECONDS * 1e6):
        raise errors.trimmed_data_access()
    with ctx.store.read() as txn:
        found, position, exhausted = streams.read(txn, meta, shard, stamp, skip, limit, now_us)
    out: Body = {"Records": [_record(ctx, meta, stream, *entry) for entry in found]}
    if not (exhausted and len(found) < limit):
        out["NextShardIterator"] = _iterator(ctx, arn, shard.id, position, now_us)
    if ctx.usage is not None:  # the server adds the reply's size (ReturnedBytes)
        ctx.usage.stream = (meta.name, stream.label, 0)
        ctx.usage.returned = len(found)
    return out


def _time(stamp_us: int) -> str:
    return streams.label_of(stamp_us).replace("T", " ") + " UTC"


def _record(
    ctx: Context, meta: TableMeta, stream: Stream, stamp: int, ordinal: int, change: Any
) -> Body:
    old = None if change.old is None else records.decode(change.old)
    new = None if change.new is None else records.decode(change.new)
    some = new if new is not None else old
    assert some is not None
    keys = {name: some[name] for name in meta.key_names if name in some}
    name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
    data: Body = {
        "ApproximateCreationDateTime": float(stamp // 1_000_000),
        "Keys": keys,
    }
    if new is not None and stream.view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        data["NewImage"] = new
    if old is not None and stream.view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        data["OldImage"] = old
    sequence = streams.sequence_number(stamp, ordinal)
    data["SequenceNumber"] = sequence
    data["SizeBytes"] = item_size(keys) + sum(
        item_size(data[image]) for image in ("NewImage", "OldImage") if image in data
    )
    data["StreamViewType"] = stream.view
    record: Body = {
        "eventID": hashlib.blake2b(
            f"{stream.label}/{sequence}".encode(), digest_size=16
        ).hexdigest(),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": ctx.region,
        "dynamodb": data,
    }
    if change.service:
        record["userIdentity"] = SERVICE
    return record
