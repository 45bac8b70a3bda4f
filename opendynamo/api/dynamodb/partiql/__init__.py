"""ExecuteStatement, BatchExecuteStatement and ExecuteTransaction.

Each statement is parsed (`partiql.parse`, cached by text), planned against its table's key
schema (`partiql.reads` and `partiql.writes`: request members and expression trees) and run
through the operation it stands for - GetItem, Query, Scan, PutItem, UpdateItem, DeleteItem,
or a transaction's actions - so conditions, updates, capacity and errors behave exactly as
there. These modules only reshape the replies: `Items` (selected paths as PartiQL columns), an
opaque `NextToken`, and DynamoDB's PartiQL wording where the underlying operation words a
problem differently.

- `statement.py`: ExecuteStatement, with the paging of reads over several partitions;
- `batch.py`: BatchExecuteStatement, one response or error per statement;
- `transaction.py`: ExecuteTransaction, all reads or all writes;
- `common.py`: preparing a statement, finding its table and key schema, running a request.
"""

from __future__ import annotations

from opendynamo.api.dynamodb.partiql.batch import batch_execute_statement
from opendynamo.api.dynamodb.partiql.common import Prepared, prepare, reached
from opendynamo.api.dynamodb.partiql.statement import execute_statement
from opendynamo.api.dynamodb.partiql.transaction import execute_transaction

__all__ = [
    "Prepared",
    "batch_execute_statement",
    "execute_statement",
    "execute_transaction",
    "prepare",
    "reached",
]
