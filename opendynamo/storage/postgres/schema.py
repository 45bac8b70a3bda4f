"""The PostgreSQL schema: the versioned migrations that create `opendynamo.kv` and the
functions that lock a key and read it, `migrate`, which applies them once even when servers
start together, and `conflict_target`, the primary key that every upsert's ON CONFLICT names
(`(k)` as created, `(d, k)` once the table is distributed with Citus).
"""

from __future__ import annotations

import psycopg

SCHEMA = "opendynamo"
MIGRATION_LOCK = 0x6F70656E64796E  # "opendyn": serialises schema changes of starting servers

# Versioned migrations: never edit one that has shipped; add the next.
MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        f"""
        CREATE TABLE {SCHEMA}.kv (
            k bytea PRIMARY KEY,
            d integer NOT NULL,
            v bytea NOT NULL
        );
        CREATE FUNCTION {SCHEMA}.locked_get(lock bigint, dist integer, key bytea)
        RETURNS bytea LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(lock);
            -- a statement of its own, so it reads what was committed before the lock was ours
            RETURN (SELECT v FROM {SCHEMA}.kv WHERE d = dist AND k = key);
        END $$;
        CREATE FUNCTION {SCHEMA}.guarded_get(lock bigint, dist integer, key bytea)
        RETURNS bytea LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared(lock);
            RETURN (SELECT v FROM {SCHEMA}.kv WHERE d = dist AND k = key);
        END $$;
        """,
    ),
)
LATEST = MIGRATIONS[-1][0]


class SchemaTooNew(RuntimeError):
    pass


def migrate(conninfo: str) -> int:
    """Bring the schema up to date; the version it is at. Safe when several servers start at
    once: the first takes the lock and migrates, the others wait and find nothing to do."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            conn.execute(
                f"CREATE TABLE IF NOT EXISTS {SCHEMA}.migrations "
                "(version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())"
            )
            row = conn.execute(f"SELECT coalesce(max(version), 0) FROM {SCHEMA}.migrations")
            current = int(row.fetchone()[0])  # type: ignore[index]
            if current > LATEST:
                raise SchemaTooNew(
                    f"the database's opendynamo schema is at version {current}, newer than "
                    f"this server knows ({LATEST}); upgrade opendynamo"
                )
            for version, sql in MIGRATIONS:
                if version > current:
                    conn.execute(sql.encode())
                    conn.execute(
                        f"INSERT INTO {SCHEMA}.migrations (version) VALUES (%s)", (version,)
                    )
                    current = version
    return current


def conflict_target(conninfo: str) -> str:
    """The ON CONFLICT target matching kv's primary key: (k) as created, or (d, k) once the
    table is distributed with Citus (which needs the distribution column in every unique
    constraint; docs/scale-out.md)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            """
            SELECT array_agg(a.attname::text ORDER BY a.attnum)
            FROM pg_index i JOIN pg_attribute a
              ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = %s::regclass AND i.indisprimary
            """,
            (f"{SCHEMA}.kv",),
        ).fetchone()
    columns = sorted(row[0]) if row and row[0] else ["k"]
    return "(" + ", ".join(columns) + ")"
