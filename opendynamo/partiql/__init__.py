"""PartiQL for DynamoDB: the statement parser and the translation of statements into the
equivalent DynamoDB requests (GetItem, Query, Scan, PutItem, UpdateItem, DeleteItem and their
transactional forms). No I/O happens here; `api/dynamodb/partiql.py` runs the requests.

    parsed = parse('SELECT * FROM "t" WHERE pk = ?')          # cached by text
    plan = plan_read(parsed.statement, params, keys, table_read=True)
    plan.operation, plan.requests                             # "GetItem", ({"TableName": ...},)
"""

from __future__ import annotations

from opendynamo.partiql.parser import parse

__all__ = ["parse"]
