"""Authentication and authorization at the edge (`--auth off|sigv4|iam`).

- `off`: the signature (Authorization header or presigned query string) is checked for
  everything DynamoDB checks before it looks the key up — its parts, its date within 15
  minutes, its scope — but not verified; every caller is the root of the default account (the
  access key id is only recorded in the audit log).
- `sigv4`: signatures are verified against the keys in the directory; every known key may do
  anything in its own account. Reaching another account's table still needs that table's
  resource policy.
- `iam`: verified, then every permission the request needs is decided by IAM's evaluation
  logic over the caller's policies and the resource's policy (`authz`).

Verifying costs one directory read (the generation counter) per request once a key is cached,
plus the canonical request's hashing; signing keys are cached per (secret, date, region).
"""

from __future__ import annotations

import base64
import functools
import secrets
import string
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from opendynamo import errors
from opendynamo.authz.policy.identity import Identity, Principals, expired, root_arn
from opendynamo.engine import directory
from opendynamo.engine.directory import DEFAULT_ACCOUNT
from opendynamo.engine.secrets import Sealer, token_digest
from opendynamo.server import sigv4
from opendynamo.storage.base import Store, WriteTxn


class Authority:
    """One worker's authenticator and authorizer."""

    def __init__(self, mode: str, store: Store, sealer: Sealer) -> None:
        self.mode = mode
        self.store = store
        self.sealer = sealer
        self._principals = Principals(sealer)

    @property
    def authorizes(self) -> bool:
        return self.mode == "iam"

    # --- who is calling ------------------------------------------------------------------

    def authenticate(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        service: str,
        fields: Mapping[bytes, bytes] | None = None,
    ) -> tuple[Identity, sigv4.Credential]:
        """The verified caller and its credential scope, or DynamoDB's authentication error.
        `fields` are the headers by lower-cased name, when each came once."""
        if self.mode == "off":
            credential = sigv4.check_shape(query, headers, service=service, fields=fields)
            return _root(credential.access_key), credential
        found: dict[str, Identity] = {}

        def secret_for(access_key: str) -> str | None:
            resolved = self._principals.lookup(self.store, access_key)
            if resolved is None:
                return None
            found["identity"] = resolved[0]
            return resolved[1]

        credential = sigv4.verify(
            method, path, query, headers, body, secret_for, service=service, fields=fields
        )
        identity = found["identity"]
        check_session_token(identity, credential.session_token)
        return identity, credential

    def principal(self, access_key: str) -> tuple[Identity, str] | None:
        """(identity, secret access key) of an active key, or None (the console's sign-in
        with a key pair, and each request of a session made by one)."""
        return self._principals.lookup(self.store, access_key)


@functools.lru_cache(maxsize=64)
def _root(access_key: str) -> Identity:
    """Every caller under `--auth off`: the default account's root (its key id recorded)."""
    return Identity(DEFAULT_ACCOUNT, root_arn(DEFAULT_ACCOUNT), DEFAULT_ACCOUNT, "root", access_key)


def check_session_token(identity: Identity, token: str | None) -> None:
    """Session credentials need their own token (a temporary key without its X-Amz-Security-Token is
    refused as DynamoDB refuses it; docs/compatibility.md)."""
    if identity.token_digest is None:
        if token is not None:
            raise errors.unrecognized_client(
                "The security token included in the request is invalid"
            )
        return
    if token is None or token_digest(token) != identity.token_digest:
        raise errors.unrecognized_client("The security token included in the request is invalid")
    if expired(identity):
        raise errors.expired_token()


def request_context(scheme: str, client: str | None, region: str) -> dict[str, Any]:
    """The global condition keys every request carries."""
    now = int(time.time())
    return {
        "aws:CurrentTime": _current_time(now),
        "aws:EpochTime": now,
        "aws:SecureTransport": scheme == "https",
        "aws:SourceIp": client,
        "aws:RequestedRegion": region,
    }


@functools.lru_cache(maxsize=2)
def _current_time(epoch: int) -> str:
    """aws:CurrentTime of a second (formatted once per second, not per request)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RequestContext(Mapping[str, Any]):
    """`request_context`, made when a decision first reads it: under `sigv4` most requests
    stay in their own account, where nothing is decided and no key is needed."""

    __slots__ = ("_scheme", "_client", "_region", "_keys")

    def __init__(self, scheme: str, client: str | None, region: str) -> None:
        self._scheme, self._client, self._region = scheme, client, region
        self._keys: dict[str, Any] | None = None

    def _made(self) -> dict[str, Any]:
        if self._keys is None:
            self._keys = request_context(self._scheme, self._client, self._region)
        return self._keys

    def __getitem__(self, name: str) -> Any:
        return self._made()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._made())

    def __len__(self) -> int:
        return len(self._made())


# --- accounts and their root credentials ----------------------------------------------------


def ensure_root_key(
    store: Store, sealer: Sealer, access_key: str | None, secret: str | None
) -> tuple[str, str] | None:
    """Make the default account's root key the one configured (dropping any other), or create
    one on first start. Returns (key, secret) when this call made them up: the caller prints
    them, once; afterwards only their sealed form exists."""
    generated = None
    with store.write() as txn:
        account = directory.get_entity(txn, DEFAULT_ACCOUNT, "account", "root") or {}
        held = list(account.get("AccessKeys", []))
        if access_key and secret:
            row = directory.get_key(txn, access_key)
            if row is None or sealer.open(row["Secret"], access_key) != secret:
                _put_root_key(txn, sealer, DEFAULT_ACCOUNT, access_key, secret)
            for old in held:
                if old != access_key:
                    directory.delete_key(txn, old)
            held = [access_key]
        elif not held:
            generated = _new_key()
            _put_root_key(txn, sealer, DEFAULT_ACCOUNT, *generated)
            held = [generated[0]]
        if held != account.get("AccessKeys"):
            directory.put_entity(
                txn, DEFAULT_ACCOUNT, "account", "root", {**account, "AccessKeys": held}
            )
    return generated


def create_account(store: Store, sealer: Sealer, account: str | None) -> tuple[str, str, str]:
    """A new account with one root key: (account id, access key id, secret access key)."""
    account = account or str(secrets.randbelow(10**12)).zfill(12)
    if len(account) != 12 or not account.isdigit():
        raise ValueError("an account id is twelve digits")
    key, secret = _new_key()
    with store.write() as txn:
        if account == DEFAULT_ACCOUNT or directory.get_entity(txn, account, "account", "root"):
            raise ValueError(f"account {account} exists already")
        _put_root_key(txn, sealer, account, key, secret)
        directory.put_entity(txn, account, "account", "root", {"AccessKeys": [key]})
    return account, key, secret


def _new_key() -> tuple[str, str]:
    alphabet = string.ascii_uppercase + "234567"
    key = "AKIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    return key, base64.b64encode(secrets.token_bytes(30)).decode()


def _put_root_key(
    txn: WriteTxn, sealer: Sealer, account: str, access_key: str, secret: str
) -> None:
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    directory.put_key(
        txn,
        access_key,
        {
            "Account": account,
            "Kind": "root",
            "Status": "Active",
            "CreateDate": created,
            "Secret": sealer.seal(secret, access_key),
        },
    )
