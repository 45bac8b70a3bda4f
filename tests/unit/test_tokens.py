"""Idempotency tokens expire (engine/tokens), with the clock injected: a TransactWriteItems
ClientRequestToken is remembered 10 minutes, an export's or import's ClientToken 8 hours, as
in DynamoDB; the housekeeper's sweep deletes the rows whose window has passed, and rows of an
older format (no time) with them."""

from __future__ import annotations

import time
from typing import Any

from opendynamo.api.dynamodb import tables, transact
from opendynamo.api.request.context import Context
from opendynamo.engine import tokens
from opendynamo.engine.secrets import Sealer
from opendynamo.model import layout
from opendynamo.storage.base import Store, prefix_end
from opendynamo.storage.sqlite import open_store

ACCOUNT, REGION = "000000000000", "us-east-1"


def _context(store: Store) -> Context:
    return Context(store, ACCOUNT, REGION, "req", "here", sealer=Sealer(bytes(32)))


def _rows(store: Store) -> list[bytes]:
    with store.read() as txn:
        return [key for key, _ in txn.range(layout.TOKENS, prefix_end(layout.TOKENS))]


def _transaction(ctx: Context, table: str, token: str) -> dict[str, Any]:
    put = {"Put": {"TableName": table, "Item": {"pk": {"S": token}}}}
    return transact.transact_write_items(ctx, {"TransactItems": [put], "ClientRequestToken": token})


def test_transaction_tokens_go_after_ten_minutes() -> None:
    store = open_store(None)
    ctx = _context(store)
    tables.create_table(
        ctx,
        {
            "TableName": "tokens",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    now = time.time()
    for n in range(50):  # as an SDK sends them: a token with every transaction
        _transaction(ctx, "tokens", f"token-{n}")
    assert len(_rows(store)) == 50
    assert tokens.sweep(store, now + 590) == 0
    assert len(_rows(store)) == 50
    assert tokens.sweep(store, now + 10 * 60 + 60) == 50
    assert _rows(store) == []


def test_export_and_import_tokens_last_eight_hours() -> None:
    store = open_store(None)
    now = 1_000_000.0
    with store.write() as txn:
        tokens.remember(txn, ACCOUNT, REGION, "export", "e", "export-id", now)
        tokens.remember(txn, ACCOUNT, REGION, "import", "i", "import-id", now)
        tokens.remember(txn, ACCOUNT, REGION, "transaction", "t", {"result": {}}, now)
        txn.put(layout.token_key(ACCOUNT, REGION, "export/old"), b"an id, as kept before")
    with store.read() as txn:
        assert tokens.recall(txn, ACCOUNT, REGION, "export", "e", now + 7 * 3600) == "export-id"
        assert tokens.recall(txn, ACCOUNT, REGION, "export", "e", now + 9 * 3600) is None
        assert tokens.recall(txn, ACCOUNT, REGION, "transaction", "t", now + 601) is None
        assert tokens.recall(txn, ACCOUNT, REGION, "export", "old", now) is None
    assert tokens.sweep(store, now + 3600) == 2  # the transaction's, and the old row
    assert tokens.sweep(store, now + 8 * 3600 + 1) == 2
    assert _rows(store) == []
