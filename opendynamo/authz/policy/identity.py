"""Who signed a request: the identity behind an access key, with the policies that speak for it.

An access key row (`engine/directory`) belongs to an account's root, to an IAM user, or to a
session made by STS (GetSessionToken for a user or root, AssumeRole for a role). Resolving a key
gathers the identity-based policies AWS would evaluate for it: a user's inline and attached
policies and those of its groups; a role session's role policies, plus the session policy given
to AssumeRole. Each worker keeps resolved identities until the directory's generation changes,
so a request pays one read to know its caller.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from opendynamo.authz.policy.language import Policy, Principal, parse_policy
from opendynamo.engine import directory
from opendynamo.engine.secrets import Sealer
from opendynamo.storage.base import ReadTxn, Store

Kind = Literal["root", "user", "role-session", "user-session", "root-session"]
AWS_MANAGED_ACCOUNT = "aws"
MAX_CACHED_KEYS = 10_000


@dataclass(frozen=True, slots=True)
class Identity:
    """A resolved caller. `user_id` is what AWS puts in aws:userid (the account id for root,
    the user's AIDA… id for a user, `<role id>:<session name>` for a role session)."""

    account: str
    arn: str
    user_id: str
    kind: Kind
    access_key: str
    name: str | None = None  # the IAM user name (aws:username), for users and their sessions
    role_name: str | None = None
    policies: tuple[Policy, ...] = ()
    session_policy: Policy | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    token_digest: str | None = None  # session credentials: SHA-256 of the session token
    expires: float | None = None  # session credentials: epoch seconds

    @property
    def is_root(self) -> bool:
        return self.kind in ("root", "root-session")

    @property
    def is_session(self) -> bool:
        return self.token_digest is not None

    @property
    def principal(self) -> Principal:
        return Principal(arn=self.arn, account=self.account)

    @property
    def principal_arn(self) -> str:
        """aws:PrincipalArn: a role session is named by its role's ARN."""
        if self.kind == "role-session" and self.role_name is not None:
            return f"arn:aws:iam::{self.account}:role/{self.role_name}"
        return self.arn

    def variables(self) -> dict[str, Any]:
        """The request-context keys that describe the caller (policy variables too)."""
        values: dict[str, Any] = {
            "aws:userid": self.user_id,
            "aws:PrincipalArn": self.principal_arn,
            "aws:PrincipalAccount": self.account,
            "aws:PrincipalType": _PRINCIPAL_TYPES[self.kind],
        }
        if self.name is not None:
            values["aws:username"] = self.name
        for key, value in self.tags.items():
            values[f"aws:PrincipalTag/{key}"] = value
        return values


_PRINCIPAL_TYPES: dict[Kind, str] = {
    "root": "Account",
    "root-session": "Account",
    "user": "User",
    "user-session": "User",
    "role-session": "AssumedRole",
}


def root_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


@lru_cache(maxsize=4096)
def compiled(document: str, kind: Literal["identity", "resource", "trust"] = "identity") -> Policy:
    """A stored policy document, parsed once per process (documents were validated when
    stored, so this does not fail for them)."""
    return parse_policy(document, kind=kind)


class Principals:
    """One worker's cache of resolved access keys, valid for one directory generation."""

    def __init__(self, sealer: Sealer) -> None:
        self._sealer = sealer
        self._generation = -1
        self._cache: dict[str, tuple[Identity, str] | None] = {}

    def lookup(self, store: Store, access_key: str) -> tuple[Identity, str] | None:
        """(identity, secret access key) of an active key, or None for an unknown one. A
        request whose key is cached reads one row (the directory's generation), on its own."""
        current = directory.current_generation(store)
        if current != self._generation or len(self._cache) >= MAX_CACHED_KEYS:
            # A new dictionary, not a cleared one: a lookup still resolving for the old
            # generation on another thread then cannot put its answer among the new ones.
            # This also bounds what requests with made-up key ids can fill.
            self._cache = {}
            self._generation = current
        cache = self._cache
        if access_key in cache:
            return cache[access_key]
        with store.read() as txn:
            resolved = self._resolve(txn, access_key)
            if directory.generation(txn) == current:
                cache[access_key] = resolved
        return resolved

    def _resolve(self, txn: ReadTxn, access_key: str) -> tuple[Identity, str] | None:
        row = directory.get_key(txn, access_key)
        if row is None or row.get("Status", "Active") != "Active":
            return None
        identity = resolve(txn, access_key, row)
        if identity is None:
            return None
        return identity, self._sealer.open(row["Secret"], access_key)


def resolve(txn: ReadTxn, access_key: str, row: Mapping[str, Any]) -> Identity | None:
    """The identity of one access key row; None when what it points at is gone."""
    account = row["Account"]
    kind: Kind = row["Kind"]
    token = row.get("TokenDigest")
    expires = row.get("Expires")
    if kind in ("root", "root-session"):
        return Identity(
            account,
            root_arn(account),
            account,
            kind,
            access_key,
            None,
            token_digest=token,
            expires=expires,
        )
    if kind == "role-session":
        return _role_session(txn, access_key, row)
    user = directory.get_entity(txn, account, "user", row["UserName"].lower())
    if user is None or not _belongs(access_key, row, user):
        return None
    return Identity(
        account,
        user["Arn"],
        user["UserId"],
        kind,
        access_key,
        name=user["UserName"],
        policies=user_policies(txn, account, user),
        tags=_tags(user),
        token_digest=token,
        expires=expires,
    )


def console_user(txn: ReadTxn, account: str, user_name: str, user_id: str) -> Identity | None:
    """The identity of a user signed in to the console with a password (no access key); None
    when the user is gone or was made again under the same name."""
    user = directory.get_entity(txn, account, "user", user_name.lower())
    if user is None or user["UserId"] != user_id:
        return None
    return Identity(
        account,
        user["Arn"],
        user["UserId"],
        "user",
        "",
        name=user["UserName"],
        policies=user_policies(txn, account, user),
        tags=_tags(user),
    )


def _role_session(txn: ReadTxn, access_key: str, row: Mapping[str, Any]) -> Identity | None:
    account = row["Account"]
    role = directory.get_entity(txn, account, "role", row["RoleName"].lower())
    if role is None or role["RoleId"] != row["RoleId"]:
        return None  # the role was deleted (or replaced): its sessions end with it
    session = row["SessionName"]
    session_policy = row.get("SessionPolicy")
    return Identity(
        account,
        f"arn:aws:sts::{account}:assumed-role/{role['RoleName']}/{session}",
        f"{role['RoleId']}:{session}",
        "role-session",
        access_key,
        role_name=role["RoleName"],
        policies=tuple(attached_policies(txn, account, role)),
        session_policy=None if session_policy is None else compiled(session_policy),
        tags=_tags(role),
        token_digest=row["TokenDigest"],
        expires=row["Expires"],
    )


def _belongs(access_key: str, row: Mapping[str, Any], user: Mapping[str, Any]) -> bool:
    """Whether a user's key row is still that user's: a long-term key is listed on the user;
    a session is bound to the user's unique id, so a user deleted and made again under the
    same name does not inherit the sessions of the one before."""
    if row["Kind"] == "user-session":
        return row.get("UserId") is not None and row["UserId"] == user["UserId"]
    return access_key in user.get("AccessKeys", ())


def user_policies(txn: ReadTxn, account: str, user: Mapping[str, Any]) -> tuple[Policy, ...]:
    """A user's own policies, then those of every group it belongs to."""
    policies = list(attached_policies(txn, account, user))
    for group_name in user.get("Groups", ()):
        group = directory.get_entity(txn, account, "group", group_name.lower())
        if group is not None:
            policies.extend(attached_policies(txn, account, group))
    return tuple(policies)


def attached_policies(txn: ReadTxn, account: str, entity: Mapping[str, Any]) -> list[Policy]:
    """An entity's inline policies and the managed policies attached to it."""
    policies = [compiled(document) for document in entity.get("Policies", {}).values()]
    for arn in entity.get("Attached", ()):
        document = managed_document(txn, account, arn)
        if document is not None:
            policies.append(compiled(document))
    return policies


def managed_document(txn: ReadTxn, account: str, arn: str) -> str | None:
    owner, name = managed_owner_and_name(arn)
    if owner == AWS_MANAGED_ACCOUNT:
        from opendynamo.authz.policy.managed import AWS_MANAGED

        return AWS_MANAGED.get(name)
    row = directory.get_entity(txn, owner, "policy", name.lower())
    return None if row is None else str(row["Document"])


def managed_owner_and_name(arn: str) -> tuple[str, str]:
    """(account or "aws", policy name) of a managed policy ARN `arn:aws:iam::<acct>:policy/<path><name>`."""
    parts = arn.split(":", 5)
    resource = parts[5] if len(parts) == 6 else ""
    return (parts[4] if len(parts) == 6 else ""), resource.rsplit("/", 1)[-1]


def _tags(entity: Mapping[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in entity.get("Tags", ())}


def expired(identity: Identity, now: float | None = None) -> bool:
    return identity.expires is not None and (now or time.time()) >= identity.expires
