"""Tags of tables: TagResource, UntagResource, ListTagsOfResource, and the rules a tag keeps
wherever it is given (CreateTable's Tags too).

DynamoDB checks tags with its own messages rather than its request validator's: keys of 1-128
and values of 0-256 characters, made of Unicode letters, digits and separators and
`_ . : / = + - @`; keys starting `aws:` in any case are AWS's; a key comes once per request;
a table holds at most 50 tags. Every refusal is a ValidationException and nothing is applied.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from opendynamo import errors
from opendynamo.api.request.context import Context
from opendynamo.api.request.shapes.messages import java_length
from opendynamo.engine import catalog
from opendynamo.engine.catalog import TableMeta
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn

MAX_TAGS = 50
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256
TAG_PUNCTUATION = frozenset("_.:/=+-@")
RESERVED_PREFIX = "aws:"
TOO_MANY_TAGS = "Number of Tags exceed the current limit for the provided ResourceArn"
_TABLE_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")
# The delimiters an ARN needs, in order, as AWS's ARN parser names the one it misses.
_ARN_DELIMITERS = (
    "Second colon partition",
    "Third colon vendor",
    "Fourth colon (region/namespace delimiter)",
    "Fifth colon (namespace/relative-id delimiter)",
)


def tag_resource(ctx: Context, body: Body) -> Body:
    tags = body.get("Tags")
    if tags is None:
        raise errors.validation(
            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: "
            "Member must not be null"
        )
    if not tags:
        raise errors.validation("Atleast one Tag needs to be provided as Input.")
    given = check_tags(tags)
    arn = body.get("ResourceArn")
    with ctx.store.write() as txn:
        meta = _tagged_table(ctx, txn, arn)
        merged = {**meta.tags, **given}
        if len(merged) > MAX_TAGS:
            raise errors.validation(TOO_MANY_TAGS)
        catalog.put_table(txn, catalog.replace(meta, tags=merged))
    return {}


def untag_resource(ctx: Context, body: Body) -> Body:
    keys = body.get("TagKeys") or []
    if not keys:
        raise errors.validation("Atleast one Tag Key needs to be provided as Input.")
    if len(keys) > MAX_TAGS:
        raise errors.validation(TOO_MANY_TAGS)
    for key in keys:
        _check_key(key)
    with ctx.store.write() as txn:
        # UntagResource's not-found message is the plain data-plane one.
        meta = _tagged_table(ctx, txn, body.get("ResourceArn"), errors.resource_not_found())
        remaining = {k: v for k, v in meta.tags.items() if k not in set(keys)}
        catalog.put_table(txn, catalog.replace(meta, tags=remaining))
    return {}


def list_tags_of_resource(ctx: Context, body: Body) -> Body:
    with ctx.store.read() as txn:
        meta = _tagged_table(ctx, txn, body.get("ResourceArn"))
    return {"Tags": [{"Key": k, "Value": v} for k, v in meta.tags.items()]}


# --- the tags themselves ------------------------------------------------------------------


def check_tags(tags: Iterable[Body]) -> dict[str, str]:
    """The tags a request gives (TagResource's or CreateTable's Tags), as a dict, after
    DynamoDB's checks: the count, then each tag's key and value, then keys given twice."""
    given = list(tags)
    if len(given) > MAX_TAGS:
        raise errors.validation(TOO_MANY_TAGS)
    out: dict[str, str] = {}
    for tag in given:
        key, value = _check_key(tag.get("Key")), _check_value(tag.get("Value"))
        if key in out:
            raise errors.validation(
                f"Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}"
            )
        out[key] = value
    return out


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not 1 <= java_length(key) <= MAX_KEY_LENGTH or not _text_ok(key):
        raise errors.validation(f"The Tag Key provided is invalid, Key: {_shown(key)}")
    if key.lower().startswith(RESERVED_PREFIX):
        raise errors.validation(f"Tag Key cannot be prefixed with aws:, Key: {key}")
    return key


def _check_value(value: object) -> str:
    if not isinstance(value, str) or java_length(value) > MAX_VALUE_LENGTH or not _text_ok(value):
        raise errors.validation(f"The Tag Value provided is invalid, Value: {_shown(value)}")
    return value


def _text_ok(text: str) -> bool:
    """AWS's tag alphabet, `[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`: letters, separators (spaces of
    any script) and digits of any script, and six punctuation marks."""
    return all(ch in TAG_PUNCTUATION or unicodedata.category(ch)[0] in "LZN" for ch in text)


def _shown(value: object) -> str:
    return "null" if value is None else str(value)


# --- the resource an ARN names ------------------------------------------------------------


def check_resource_arn(arn: str) -> None:
    """DynamoDB's refusals of a ResourceArn that names no table (tags and resource policies):
    first what AWS's ARN parser misses, then a resource of another service, an index, and
    anything but a table or its stream; a table name DynamoDB could not have."""
    if not arn.startswith("arn:"):
        raise errors.invalid_parameters(f"ARNs must start with 'arn:': {arn}")
    parts = arn.split(":", 5)
    if len(parts) < 6:
        raise errors.invalid_parameters(f"{_ARN_DELIMITERS[len(parts) - 2]} not found: {arn}")
    resource = parts[5].split("/")
    if parts[2] != "dynamodb" or resource[0] != "table" or len(resource) not in (2, 4):
        raise errors.invalid_parameters(f"Provided Arn is not a DynamoDB resource arn: {arn}")
    if len(resource) == 4 and resource[2] not in ("index", "stream"):
        raise errors.invalid_parameters(f"Provided Arn is not a DynamoDB resource arn: {arn}")
    if len(resource) == 4 and resource[2] == "index":
        raise errors.invalid_parameters(
            "Invalid resource arn provided, only table or stream is accepted. Provided "
            f"resource arn: {arn}"
        )
    if not _TABLE_NAME.fullmatch(resource[1]):
        raise errors.validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")


def _tagged_table(
    ctx: Context, txn: ReadTxn, arn: str | None, not_found: errors.DynamoError | None = None
) -> TableMeta:
    """The table a tag operation's ResourceArn names. Tags are the table's own, in its
    region: another region's ARN is refused as malformed, and a stream has none to show."""
    if arn is not None:
        check_resource_arn(arn)
        if ctx.table(arn).region != ctx.region:
            raise errors.validation(
                f"Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            )
        if "/stream/" in arn:
            raise not_found or _arn_not_found(arn)
    return _resource(ctx, txn, arn, not_found)


def _resource(
    ctx: Context, txn: ReadTxn, arn: str | None, not_found: errors.DynamoError | None = None
) -> TableMeta:
    """The table an ARN names: ValidationException when it is no DynamoDB table ARN,
    ResourceNotFoundException (worded as DynamoDB words it) when the table does not exist."""
    if arn is None:
        raise errors.validation("Invalid TableArn")
    check_resource_arn(arn)
    if "/stream/" in arn:  # a stream takes no resource policy here yet
        raise errors.validation(f"Invalid TableArn: Invalid ResourceArn provided as input {arn}")
    ref = ctx.table(arn)
    meta = None
    if ref.region == ctx.region and ref.account == ctx.account:
        meta = catalog.find(txn, ref)
    if meta is not None and meta.status != "ACTIVE":  # a restore is filling it, or deleted
        raise errors.table_not_found(ref.name)
    if meta is None:
        raise not_found or _arn_not_found(arn)
    return meta


def _arn_not_found(arn: str) -> errors.DynamoError:
    return errors.resource_not_found(f"Requested resource not found: ResourceArn: {arn} not found")
