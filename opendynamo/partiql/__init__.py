"""PartiQL for DynamoDB: the statement parser and the translation of statements into the
equivalent DynamoDB requests (GetItem, Query, Scan, PutItem, UpdateItem, DeleteItem and their
transactional forms), whose expressions are `expr` trees, never text. No I/O happens here;
`api/dynamodb/partiql.py` runs the requests.

    parsed = parse('SELECT * FROM "t" WHERE pk = ?')          # cached by text
    plan = reads.plan_read(parsed.statement, params, keys, table_read=True)
    plan.operation, plan.requests[0].body                     # "GetItem", {"TableName": ...}
    expr.compile_trees(plan.requests[0].expressions)          # resolved, as for any request
"""

from __future__ import annotations

from opendynamo.partiql.parser import parse

__all__ = ["parse"]
