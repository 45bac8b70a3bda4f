"""PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy: a policy on a table, which
`server/auth` evaluates together with the caller's identity policies (and which alone can
grant another account access). The document is kept in the table's catalog row, so it goes
with the table when the table is deleted. Streams' policies come with Streams.
"""

from __future__ import annotations

import time

from opendynamo import errors
from opendynamo.api.dynamodb.tags import _resource
from opendynamo.api.request.context import Context
from opendynamo.authz.policy.language import PolicyError, parse_policy
from opendynamo.engine import catalog
from opendynamo.engine.catalog import TableMeta
from opendynamo.model.values import Body

MAX_POLICY_BYTES = 20 * 1024
NO_POLICY = "NO_POLICY"  # ExpectedRevisionId: attach only when the table has no policy


def _not_found(arn: str) -> errors.DynamoError:
    return errors.policy_not_found(
        f"Resource-based policy not found for the provided ResourceArn: {arn}"
    )


def _check_revision(meta: TableMeta, arn: str, expected: str | None) -> None:
    """ExpectedRevisionId: the policy must be at that revision, or, for `NO_POLICY`, absent."""
    if expected is None or expected == meta.policy_revision:
        return
    if expected == NO_POLICY and meta.policy_revision is None:
        return
    if meta.policy_revision is None:
        raise _not_found(arn)
    raise errors.policy_not_found(
        f"Resource-based policy not found for the provided ResourceArn: Requested update "
        f"for policy with revision id {expected}, but the policy associated to target "
        f"table {meta.name} has revision id {meta.policy_revision}."
    )


def put_resource_policy(ctx: Context, body: Body) -> Body:
    arn, document = body["ResourceArn"], body["Policy"]
    if len(document.encode()) > MAX_POLICY_BYTES:
        raise errors.validation(
            f"Resource-based policy exceeds the maximum size of {MAX_POLICY_BYTES} bytes"
        )
    try:
        parse_policy(document, kind="resource")
    except PolicyError as exc:
        raise errors.validation(f"Invalid policy document: {exc.message}") from None
    with ctx.store.write() as txn:
        meta = _resource(ctx, txn, arn)
        _check_revision(meta, arn, body.get("ExpectedRevisionId"))
        if meta.resource_policy == document:  # idempotent: the same document, the same revision
            return {"RevisionId": meta.policy_revision}
        revision = str(time.time_ns() // 1000)
        catalog.put_table(
            txn, catalog.replace(meta, resource_policy=document, policy_revision=revision)
        )
    return {"RevisionId": revision}


def get_resource_policy(ctx: Context, body: Body) -> Body:
    arn = body["ResourceArn"]
    with ctx.store.read() as txn:
        meta = _resource(ctx, txn, arn)
    if meta.resource_policy is None:
        raise _not_found(arn)
    return {"Policy": meta.resource_policy, "RevisionId": meta.policy_revision}


def delete_resource_policy(ctx: Context, body: Body) -> Body:
    arn = body["ResourceArn"]
    with ctx.store.write() as txn:
        meta = _resource(ctx, txn, arn)
        if meta.resource_policy is None:
            raise _not_found(arn)
        _check_revision(meta, arn, body.get("ExpectedRevisionId"))
        revision = str(time.time_ns() // 1000)
        catalog.put_table(txn, catalog.replace(meta, resource_policy=None, policy_revision=None))
    return {"RevisionId": revision}
