"""What a DynamoDB or DynamoDB Streams request asks permission for: one `Access` per action
and resource, with DynamoDB's condition keys (Service Authorization Reference, "Actions,
resources, and condition keys for Amazon DynamoDB"), resolved from the decoded request before
the operation runs, so that a refused request reads and writes nothing.

- Every name of a table, stream, backup, export or import is resolved here, with the parsers
  of `engine/arns`, to the ref the operation will then be granted; an ARN names its own
  account and region, and the resource is authorized there.
- Item operations act on their table; Query and Scan with IndexName on the index's ARN.
- TransactWriteItems and TransactGetItems ask for the per-item actions (PutItem, UpdateItem,
  DeleteItem, ConditionCheckItem, GetItem) with dynamodb:EnclosingOperation; PartiQL asks for
  PartiQLSelect/Insert/Update/Delete (an EXISTS check is a PartiQLSelect), ExecuteTransaction
  with EnclosingOperation too.
- BatchGetItem and BatchWriteItem are actions of their own, asked once per table.
- dynamodb:LeadingKeys holds every partition-key value touched (absent for a Scan). A PartiQL
  statement's come from its plan (`api/dynamodb/partiql.reached`), as it will run; one that
  may reach every partition holds an unbounded set (`policy.conditions.UNBOUNDED`), so an allow-list of
  keys does not let it through.
- dynamodb:Attributes holds every top-level attribute named (keys, items, expressions,
  projections). A read that names no projection asks for every attribute: dynamodb:Select is
  then ALL_ATTRIBUTES (ALL_PROJECTED_ATTRIBUTES on an index).
- Streams are authorized on the stream's ARN, in the account of its table; GetRecords on the
  stream its (authenticated) shard iterator reads.
- Exports write, and imports read, a bucket: s3:PutObject on the objects, s3:GetObject and
  s3:ListBucket, decided against the bucket's owner and bucket policy.

`resolve.accesses` is the entry point: it reads the store through a `reader.Reader` and hands
each operation to its resolver, `items` for items, Query, Scan, batches and transactions,
`partiql` for PartiQL statements, `resources` for every other resource (tables, tags, streams,
backups, exports, imports, restores), the first two with the condition keys of `keys`. `specs`
declares what each operation asks for, which the README's table shows.
"""

from __future__ import annotations

from opendynamo.authz.dynamodb.resolve import accesses
from opendynamo.authz.dynamodb.specs import CROSS_ACCOUNT, SPECS

__all__ = ["CROSS_ACCOUNT", "SPECS", "accesses"]
