"""engine/console_sessions: sessions found by the digest of their id, expiry, purging, and the
count of failed sign-ins per subject and window."""

from __future__ import annotations

from opendynamo.engine import console_sessions
from opendynamo.engine.console_sessions import SESSIONS, Limit, Session
from opendynamo.storage.base import prefix_end
from opendynamo.storage.sqlite import SqliteStore

USER = Session("user", "000000000000", "us-east-1", 100.0, user_name="alice", user_id="AIDA1")


def test_a_session_is_stored_by_digest_and_read_back_until_it_expires() -> None:
    store = SqliteStore(None)
    with store.write() as txn:
        console_sessions.put_session(txn, "the-session-id-of-a-browser", USER)
    with store.read() as txn:
        assert console_sessions.get_session(txn, "the-session-id-of-a-browser", 99.0) == USER
        assert console_sessions.get_session(txn, "the-session-id-of-a-browser", 100.0) is None
        assert console_sessions.get_session(txn, "another-id-entirely-000000", 1.0) is None
        stored = list(txn.range(SESSIONS, prefix_end(SESSIONS)))
    assert len(stored) == 1 and b"the-session-id" not in stored[0][0] + stored[0][1]


def test_purging_removes_expired_sessions_and_ended_windows_only() -> None:
    store = SqliteStore(None)
    limit = Limit(failures=2, window=10.0)
    with store.write() as txn:
        console_sessions.put_session(txn, "ends-at-100-xxxxxxxxxxxx", USER)
        console_sessions.put_session(
            txn, "ends-at-500-xxxxxxxxxxxx", Session("key", "000000000000", "us-east-1", 500.0)
        )
        console_sessions.note_failure(txn, "key:AKIA1", limit, 95.0)  # window until 105
        console_sessions.note_failure(txn, "key:AKIA2", limit, 195.0)  # window until 205
    with store.write() as txn:
        assert console_sessions.purge_expired(txn, 200.0) == 2
    with store.read() as txn:
        assert console_sessions.get_session(txn, "ends-at-500-xxxxxxxxxxxx", 200.0) is not None
        assert console_sessions.refused(txn, "key:AKIA2", Limit(1, 10.0), 200.0)


def test_failures_refuse_a_subject_within_its_window_and_a_success_forgets_them() -> None:
    store = SqliteStore(None)
    limit = Limit(failures=3, window=60.0)
    with store.write() as txn:
        for now in (0.0, 1.0, 2.0):
            assert not console_sessions.refused(txn, "user:alice", limit, now)
            console_sessions.note_failure(txn, "user:alice", limit, now)
        assert console_sessions.refused(txn, "user:alice", limit, 59.0)
        assert not console_sessions.refused(txn, "user:bob", limit, 59.0)
        assert not console_sessions.refused(txn, "user:alice", limit, 60.0)  # the window ended
        console_sessions.note_failure(txn, "user:alice", limit, 61.0)  # a new window, one failure
        assert not console_sessions.refused(txn, "user:alice", limit, 62.0)
        console_sessions.note_failure(txn, "user:alice", limit, 62.0)
        console_sessions.note_failure(txn, "user:alice", limit, 63.0)
        assert console_sessions.refused(txn, "user:alice", limit, 64.0)
        console_sessions.forget_failures(txn, "user:alice")
        assert not console_sessions.refused(txn, "user:alice", limit, 64.0)
