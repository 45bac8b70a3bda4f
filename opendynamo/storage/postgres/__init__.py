"""The shared backend: PostgreSQL through psycopg 3, for a fleet of stateless API servers.

All data lives in one table, `opendynamo.kv (k bytea PRIMARY KEY, d integer, v bytea)`, in key
order. `d` is the row's distribution key, computed from its key by the function the store is
given (`model/layout.distribution`: the partition-key hash the key carries), so that under
Citus every row of one DynamoDB partition lives on one shard; every statement about one key,
and every range read within one partition, names it. With a key, every value is encrypted
(AES-256-GCM, bound to its row key) before it leaves the server.

Transactions:
- `read()` is REPEATABLE READ, READ ONLY: one snapshot for all its reads.
- `write()` is READ COMMITTED, and locks every key before it touches it (a transaction-scoped
  advisory lock on a 64-bit hash of the key; the lock, then the read, so the read sees the
  latest committed value). Writers of one key therefore run one after the other, as SQLite's
  single writer runs them all, while writers of different keys run at once. A row read only
  to rely on (`guard`: a table's catalog row) is locked shared; a multi-item write claims its
  items first, in one global order (`lock`). Range reads inside a write transaction take no
  locks: their callers hold the lock of the row that guards the range (the catalog row).
- Two writers that still lock keys in opposite orders deadlock; PostgreSQL aborts one of
  them, which surfaces as `Conflict` (as does a serialization failure, should the server's
  default isolation be stricter), and the request runs again (server/app). A lock waited for
  past the statement timeout surfaces as `LockTimeout`.

The schema is created and migrated on open (`migrate`), under an advisory lock, so servers that
start together apply each migration once. Every worker process answers requests on a pool of
threads (server/http runs them off the event loop for this store), each with a connection of
its own, kept open, its statements prepared and run through libpq directly.

Modules: `schema` (the migrations), `sealing` (the encryption), `session` (a connection and
its prepared statements) and `store` (the store and its transactions).
"""

from __future__ import annotations

from opendynamo.storage.postgres.schema import SchemaTooNew, migrate
from opendynamo.storage.postgres.sealing import StoreLocked
from opendynamo.storage.postgres.store import PostgresStore, open_store

__all__ = ["PostgresStore", "SchemaTooNew", "StoreLocked", "migrate", "open_store"]
