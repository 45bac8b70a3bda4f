"""One permission a request needs, and the table of what each served action asks for.

An `Access` is one IAM request: an action on a resource (an ARN, or "*"), with the condition
keys the request sets. Its `target` is the resolved resource itself (`engine/arns` refs, a
bucket, an IAM entity): the owner account of the target decides whether the request crosses
accounts, and the set of targets is what the operation is then granted
(`api/request/context.Grants`).

`Spec` is the declared shape of an action: which IAM actions it asks for, on which resource
types, with which condition keys. The README's authorization section is generated from the
specs, and a property test checks every Access the resolvers produce against them.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

EMPTY: Mapping[str, Any] = MappingProxyType({})
# Condition keys every request carries (auth.request_context and Identity.variables).
GLOBAL_KEYS = (
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:SecureTransport",
    "aws:SourceIp",
    "aws:RequestedRegion",
    "aws:userid",
    "aws:username",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalType",
    "aws:PrincipalTag/${TagKey}",
)


class Access(NamedTuple):
    """One permission a request needs. `resource_policy` is the target's resource-based
    policy (a table's, a bucket's), when it has one. (A named tuple: a request makes one or
    more, on every request.)"""

    action: str
    resource: str
    target: Any = None
    context: Mapping[str, Any] = EMPTY
    resource_policy: str | None = None
    cross_account: bool = True  # whether the resource policy may open it to another account

    @property
    def account(self) -> str | None:
        """The account that owns the target; None for account-wide actions (resource "*")."""
        return None if self.target is None else str(self.target.account)


@dataclass(frozen=True, slots=True)
class Spec:
    """What one served operation asks permission for: the IAM `actions` (`{Kind}` stands for
    each kind an element may be), the `resources` they are asked on, and the condition
    `keys` set beyond the global ones."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    keys: tuple[str, ...] = ()


def key_text(value: Any) -> str:
    """A key attribute value as IAM compares it: the string, the number's text, or base64
    of binary. A value that is no attribute value (the operation refuses it after) stands
    as its JSON-ish text, which matches no policy value meant for keys."""
    if not isinstance(value, dict) or len(value) != 1:
        return repr(value)
    kind, raw = next(iter(value.items()))
    if kind == "B" and isinstance(raw, bytes):
        return base64.b64encode(raw).decode()
    return str(raw)


def tag_keys(prefix: str, tags: dict[str, str]) -> dict[str, str]:
    """`<prefix>/<key>: value` condition keys of a set of tags (aws:ResourceTag/…)."""
    return {f"{prefix}/{key}": value for key, value in tags.items()}
