"""Idempotency tokens: what a request with a client token did, remembered for DynamoDB's window
and then forgotten.

TransactWriteItems' ClientRequestToken makes a retry answer the first result for 10 minutes;
ExportTableToPointInTime's and ImportTable's ClientToken answer the same export or import for
8 hours. A row is `TOKENS + account + 0 + region + 0 + kind + "/" + token` holding JSON
`{"at": epoch seconds, "value": …}`; once its window has passed it is no longer recalled, and
the housekeeper's `sweep` deletes it (every AWS SDK sends a token with every transaction, so
without the sweep they would pile up forever).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

import orjson

from opendynamo.engine import tuning
from opendynamo.model import layout
from opendynamo.storage.base import ReadTxn, Store, WriteTxn, prefix_end

Kind = Literal["transaction", "export", "import"]
# Seconds an export's or an import's token is remembered (DynamoDB: 8 hours); a
# transaction's is `tuning.transaction_token_seconds` (DynamoDB: 10 minutes).
LONG_LIFETIME = 8 * 3600.0
SWEEP_BATCH = 1000


def lifetime(kind: str) -> float:
    """Seconds a token of `kind` is remembered."""
    return tuning.current.transaction_token_seconds if kind == "transaction" else LONG_LIFETIME


def _key(account: str, region: str, kind: Kind, token: str) -> bytes:
    return layout.token_key(account, region, f"{kind}/{token}")


def remember(
    txn: WriteTxn, account: str, region: str, kind: Kind, token: str, value: Any, now: float
) -> None:
    """Remember what the request with `token` did (its result, the id of what it made)."""
    txn.put(_key(account, region, kind, token), orjson.dumps({"at": now, "value": value}))


def recall(
    txn: ReadTxn, account: str, region: str, kind: Kind, token: str, now: float
) -> Any | None:
    """What an earlier request with `token` did, while its window lasts; None otherwise."""
    raw = txn.get(_key(account, region, kind, token))
    if raw is None:
        return None
    stored = _decode(raw)
    if stored is None or now - stored["at"] > lifetime(kind):
        return None
    return stored["value"]


def sweep(store: Store, now: float) -> int:
    """Delete the tokens whose window has passed (and rows this format cannot read: those of
    an older version, which kept no time); the number deleted."""
    deleted = 0
    start = layout.TOKENS
    end = prefix_end(layout.TOKENS)
    while True:
        with store.write() as txn:
            rows = list(txn.range(start, end, limit=SWEEP_BATCH))
            for key, raw in rows:
                if _expired(key, raw, now):
                    txn.delete(key)
                    deleted += 1
        if len(rows) < SWEEP_BATCH:
            return deleted
        start = rows[-1][0] + b"\x00"


def _expired(key: bytes, raw: bytes, now: float) -> bool:
    stored = _decode(raw)
    kind = key[len(layout.TOKENS) :].split(b"\x00", 2)[-1].split(b"/", 1)[0].decode()
    window = lifetime(kind) if kind in get_args(Kind) else None
    return stored is None or window is None or now - stored["at"] > window


def _decode(raw: bytes) -> dict[str, Any] | None:
    try:
        stored = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(stored, dict) or not isinstance(stored.get("at"), int | float):
        return None
    return stored
