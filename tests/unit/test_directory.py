"""The identity directory on a real SQLite store: rows, the generation counter that tells
workers their cached identities are stale, and the purge of expired session credentials."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidTag

from opendynamo.engine import directory
from opendynamo.engine.secrets import Sealer, token_digest
from opendynamo.storage.sqlite import open_store


def test_every_change_bumps_the_generation() -> None:
    store = open_store(None)
    with store.read() as txn:
        start = directory.generation(txn)
    with store.write() as txn:
        directory.put_entity(txn, "000000000000", "user", "alice", {"UserName": "alice"})
    with store.write() as txn:
        directory.put_key(txn, "AKIA1", {"Account": "000000000000"})
    with store.read() as txn:
        assert directory.generation(txn) == start + 2
        assert directory.get_entity(txn, "000000000000", "user", "alice") == {"UserName": "alice"}
        assert directory.get_entity(txn, "111111111111", "user", "alice") is None


def test_purge_removes_only_sessions_expired_before_the_cutoff() -> None:
    store = open_store(None)
    with store.write() as txn:
        directory.put_key(txn, "AKIALONG", {"Account": "000000000000", "Kind": "user"})
        directory.put_key(txn, "ASIAOLD", {"Kind": "role-session", "Expires": 100})
        directory.put_key(txn, "ASIANEW", {"Kind": "role-session", "Expires": 300})
    with store.read() as txn:
        before = directory.generation(txn)
    with store.write() as txn:
        assert directory.purge_expired_sessions(txn, 200) == 1
    with store.read() as txn:
        assert [key for key, _ in directory.keys(txn)] == ["AKIALONG", "ASIANEW"]
        assert directory.generation(txn) == before + 1
    with store.write() as txn:
        assert directory.purge_expired_sessions(txn, 200) == 0
    with store.read() as txn:
        assert directory.generation(txn) == before + 1  # nothing removed, caches stay valid


def test_sealed_secrets_open_only_for_their_own_key_id() -> None:
    sealer = Sealer(b"k" * 32)
    sealed = sealer.seal("s3cret", "AKIA1")
    assert "s3cret" not in sealed
    assert sealer.open(sealed, "AKIA1") == "s3cret"
    with pytest.raises(InvalidTag):  # the key id is authenticated with the secret
        sealer.open(sealed, "AKIA2")
    assert len(token_digest("token")) == 64
