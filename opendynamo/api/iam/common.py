"""What the IAM and STS operations share: parameters as the Query protocol sends them (all
strings), names and their checks, new ids and secrets, listings with Marker/MaxItems."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from opendynamo import errors
from opendynamo.api.request.context import Context
from opendynamo.authz.policy.identity import Identity
from opendynamo.engine import directory
from opendynamo.storage.base import ReadTxn

EntityKind = Literal["user", "group", "role", "policy", "root"]
Params = dict[str, Any]
Result = dict[str, Any] | None
Operation = Callable[[Context, Params], Result]

NAME_PATTERN = r"[\w+=,.@-]+"
NON_USER = "Must specify userName when calling with non-User credentials"
_NAME_RE = re.compile(NAME_PATTERN)
_PATH_RE = re.compile(r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)")


@dataclass(frozen=True, slots=True)
class Entity:
    """The IAM entity an action acts on: its account, kind, name (a managed policy's ARN for
    a policy), ARN as stored (with its path), and the row, when it exists."""

    account: str
    kind: EntityKind
    name: str
    arn: str = field(compare=False)
    row: dict[str, Any] | None = field(default=None, compare=False)


def target(ctx: Context) -> Entity:
    """The entity the action was authorized on (`authz/iam` resolved it from the request)."""
    assert isinstance(ctx.target, Entity), "the server resolves an IAM action's entity"
    return ctx.target


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(prefix: str, length: int = 21) -> str:
    """AWS-shaped unique ids: AIDA… users, AGPA… groups, AROA… roles, ANPA… policies,
    AKIA… long-term and ASIA… session access keys (upper-case letters and digits 2-7)."""
    return prefix + base64.b32encode(os.urandom(16)).decode()[: length - len(prefix)]


def new_secret() -> str:
    return base64.b64encode(os.urandom(30)).decode()


def caller(ctx: Context) -> Identity:
    assert ctx.identity is not None, "the server resolves the caller before IAM and STS"
    return ctx.identity


def required(params: Params, member: str, field: str) -> str:
    value = params.get(member)
    if value is None:
        raise errors.invalid_input(
            f"1 validation error detected: Value null at '{field}' failed to satisfy "
            "constraint: Member must not be null"
        )
    return str(value)


def name(params: Params, member: str, field: str, max_length: int = 64) -> str:
    """A user, group, role or policy name: IAM's character set and length."""
    value = required(params, member, field)
    if not _NAME_RE.fullmatch(value):
        raise errors.invalid_input(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}"
        )
    if len(value) > max_length:
        raise errors.invalid_input(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            f"constraint: Member must have length less than or equal to {max_length}"
        )
    return value


def path(params: Params) -> str:
    value = str(params.get("Path", "/"))
    if not _PATH_RE.fullmatch(value) or len(value) > 512:
        raise errors.invalid_input(
            "The specified value for path is invalid. It must begin and end with / and "
            "contain only alphanumeric characters and/or / characters."
        )
    return value


def tags(params: Params) -> list[dict[str, str]]:
    given = params.get("Tags") or []
    if len(given) > 50:
        raise errors.invalid_input(
            "1 validation error detected: Value at 'tags' failed to satisfy constraint: "
            "Member must have length less than or equal to 50"
        )
    return [{"Key": str(tag["Key"]), "Value": str(tag.get("Value", ""))} for tag in given]


def merge_tags(current: Sequence[dict[str, str]], new: Sequence[dict[str, str]]) -> list[Any]:
    merged = {tag["Key"]: tag["Value"] for tag in current}
    merged.update((tag["Key"], tag["Value"]) for tag in new)
    if len(merged) > 50:
        raise errors.quota_exceeded("Cannot exceed quota for TagsPerResource: 50")
    return [{"Key": key, "Value": value} for key, value in merged.items()]


def page(params: Params, rows: Sequence[Any], member: str) -> dict[str, Any]:
    """One page of a listing: MaxItems (1-1000, default 100) from the Marker on, with
    IsTruncated and the next Marker as IAM returns them."""
    start = int(params["Marker"]) if str(params.get("Marker", "")).isdigit() else 0
    limit = int(params.get("MaxItems", 100))
    if not 1 <= limit <= 1000:
        raise errors.invalid_input(
            f"1 validation error detected: Value '{limit}' at 'maxItems' failed to satisfy "
            "constraint: Member must have value between 1 and 1000"
        )
    chunk = list(rows[start : start + limit])
    out: dict[str, Any] = {member: chunk, "IsTruncated": start + limit < len(rows)}
    if out["IsTruncated"]:
        out["Marker"] = str(start + limit)
    return out


def entity(txn: ReadTxn, account: str, kind: str, entity_name: str) -> dict[str, Any]:
    """A user, group or role, or NoSuchEntity worded as IAM does."""
    row = directory.get_entity(txn, account, kind, entity_name.lower())
    if row is None:
        raise errors.no_such_entity(f"The {kind} with name {entity_name} cannot be found.")
    return row


def listing(
    ctx: Context, params: Params, kind: str, view: Callable[[dict[str, Any]], Any], member: str
) -> dict[str, Any]:
    """One page of the caller's account's users, groups or roles under PathPrefix."""
    prefix = str(params.get("PathPrefix", "/"))
    with ctx.store.read() as txn:
        rows = [
            view(row)
            for row in directory.entities(txn, caller(ctx).account, kind)
            if row["Path"].startswith(prefix)
        ]
    return page(params, rows, member)


def check_no_policies(row: dict[str, Any]) -> None:
    """DeleteConflict while an entity still has inline or attached policies."""
    if row.get("Policies"):
        raise errors.delete_conflict("Cannot delete entity, must delete policies first.")
    if row.get("Attached"):
        raise errors.delete_conflict("Cannot delete entity, must detach all policies first.")


def create_entity(ctx: Context, kind: str, entity_name: str, row: dict[str, Any]) -> None:
    """Store a new user, group or role; EntityAlreadyExists when the name (in any case) is
    taken."""
    account = caller(ctx).account
    with ctx.store.write() as txn:
        if directory.get_entity(txn, account, kind, entity_name.lower()) is not None:
            raise errors.entity_already_exists(
                f"{kind.capitalize()} with name {entity_name} already exists."
            )
        directory.put_entity(txn, account, kind, entity_name.lower(), row)
