"""The directory: identities kept in the store (access keys, users, groups, roles, managed
policies, an account's password policy), as JSON rows under `layout.DIRECTORY`.

The rows are plain dictionaries; what they mean (IAM's rules) is `api/iam`'s, and for console
passwords `engine/passwords`'. Every change
bumps one generation counter, so a worker can keep resolved identities in memory and check
with a single read per request that none of them changed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import orjson

from opendynamo.model.layout import DIRECTORY
from opendynamo.storage.base import ReadTxn, Store, WriteTxn, prefix_end

# The account of requests without credentials under `--auth off`, of the root key a server
# generates on first start, and of a bucket nobody registered.
DEFAULT_ACCOUNT = "000000000000"

Row = dict[str, Any]

GENERATION_KEY = DIRECTORY + b"G"
_KEYS = DIRECTORY + b"K"
_ENTITIES = DIRECTORY + b"E"
_COUNTER = struct.Struct(">Q")


def current_generation(store: Store) -> int:
    """The generation, read on its own (no transaction around it)."""
    return _generation_of(store.read_one(GENERATION_KEY))


def generation(txn: ReadTxn) -> int:
    return _generation_of(txn.get(GENERATION_KEY))


def _generation_of(raw: bytes | None) -> int:
    return 0 if raw is None else int(_COUNTER.unpack(raw)[0])


def _bump(txn: WriteTxn) -> None:
    txn.put(GENERATION_KEY, _COUNTER.pack(generation(txn) + 1))


# --- access keys -------------------------------------------------------------------------


def get_key(txn: ReadTxn, access_key_id: str) -> Row | None:
    raw = txn.get(_KEYS + access_key_id.encode())
    return None if raw is None else orjson.loads(raw)


def put_key(txn: WriteTxn, access_key_id: str, row: Row) -> None:
    txn.put(_KEYS + access_key_id.encode(), orjson.dumps(row))
    _bump(txn)


def delete_key(txn: WriteTxn, access_key_id: str) -> None:
    txn.delete(_KEYS + access_key_id.encode())
    _bump(txn)


def keys(txn: ReadTxn) -> Iterator[tuple[str, Row]]:
    """Every access key, by id: few enough to scan for the rare listing that needs all."""
    for key, raw in txn.range(_KEYS, prefix_end(_KEYS)):
        yield key[len(_KEYS) :].decode(), orjson.loads(raw)


def purge_expired_sessions(txn: WriteTxn, before: float) -> int:
    """Remove session credentials that expired before `before` (epoch seconds)."""
    expired = [key_id for key_id, row in keys(txn) if row.get("Expires", before) < before]
    for key_id in expired:
        txn.delete(_KEYS + key_id.encode())
    if expired:
        _bump(txn)
    return len(expired)


# --- users, groups, roles and managed policies ----------------------------------------------


def _entity_prefix(account: str, kind: str) -> bytes:
    return _ENTITIES + account.encode() + b"\x00" + kind.encode() + b"\x00"


def get_entity(txn: ReadTxn, account: str, kind: str, name: str) -> Row | None:
    raw = txn.get(_entity_prefix(account, kind) + name.encode())
    return None if raw is None else orjson.loads(raw)


def put_entity(txn: WriteTxn, account: str, kind: str, name: str, row: Row) -> None:
    txn.put(_entity_prefix(account, kind) + name.encode(), orjson.dumps(row))
    _bump(txn)


def delete_entity(txn: WriteTxn, account: str, kind: str, name: str) -> None:
    txn.delete(_entity_prefix(account, kind) + name.encode())
    _bump(txn)


def entities(txn: ReadTxn, account: str, kind: str) -> Iterator[Row]:
    """The account's entities of one kind, in name order (byte order of UTF-8 names)."""
    prefix = _entity_prefix(account, kind)
    for _, raw in txn.range(prefix, prefix_end(prefix)):
        yield orjson.loads(raw)


# --- an account's own rows (kind "account") ---------------------------------------------------

# An account's rows of kind "account": "root" (its root user's access keys) and its password
# policy (`engine/passwords`). A user's login profile is a member of the user's own row.
PASSWORD_POLICY = "password-policy"


def get_password_policy(txn: ReadTxn, account: str) -> Row | None:
    return get_entity(txn, account, "account", PASSWORD_POLICY)


def put_password_policy(txn: WriteTxn, account: str, row: Row) -> None:
    put_entity(txn, account, "account", PASSWORD_POLICY, row)


def delete_password_policy(txn: WriteTxn, account: str) -> None:
    delete_entity(txn, account, "account", PASSWORD_POLICY)
