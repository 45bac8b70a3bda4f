"""The entry points `server/` calls once per request: a DynamoDB or Streams request, an IAM
action, an STS action, a CloudWatch operation, each decided and its grants handed to the
operation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from opendynamo import errors
from opendynamo.api.iam.common import Entity
from opendynamo.api.iam.sts import assume_refused, checked_assume_role
from opendynamo.api.request.context import Context
from opendynamo.authz import cloudwatch, dynamodb, iam
from opendynamo.authz.access import Access
from opendynamo.authz.decide import as_decided, refused
from opendynamo.authz.policy.evaluate import denial_message, refusal
from opendynamo.authz.policy.identity import Identity, compiled
from opendynamo.authz.policy.language import Request

Record = Callable[[list[Access]], None]


def dynamodb_request(
    mode: str,
    ctx: Context,
    operation: str,
    body: Any,
    context: Mapping[str, Any],
    record: Record,
) -> list[Access]:
    """The accesses a DynamoDB or Streams request needs (shown to `record` first, for the
    audit trail), once allowed; AccessDeniedException for the first that is not. Under `off`
    and for a `sigv4` request within its own account nothing needs deciding, so no condition
    key is computed and no table read."""
    identity = _identity(ctx)
    needed = dynamodb.accesses(ctx, operation, body, full=mode == "iam")
    if mode == "sigv4" and any(a.account not in (None, identity.account) for a in needed):
        needed = dynamodb.accesses(ctx, operation, body)  # with the resource policies
    _decide(mode, identity, needed, context, record, errors.access_denied)
    return needed


def iam_request(
    mode: str,
    ctx: Context,
    action: str,
    params: dict[str, Any],
    context: Mapping[str, Any],
    record: Record,
) -> Entity | None:
    """The entity an IAM action acts on and its accesses, once allowed; AccessDenied (403)
    otherwise. Session credentials from GetSessionToken (without MFA) may not call IAM."""
    identity = _identity(ctx)
    if identity.kind in ("user-session", "root-session"):
        raise errors.unrecognized_client()
    with ctx.store.read() as txn:
        target = iam.resolve(txn, identity, action, params)
        identity = iam.with_account_grants(txn, identity, action)
    needed = iam.accesses(identity, action, params, target)
    _decide(mode, identity, needed, context, record, errors.service_access_denied)
    return target


def sts_request(
    mode: str,
    ctx: Context,
    action: str,
    params: dict[str, Any],
    context: Mapping[str, Any],
    record: Record,
) -> Entity | None:
    """AssumeRole's role, once its trust policy and the caller's policies allow it (IAM's
    rules for roles, `policy/evaluate.refusal` with `trust`); the other STS actions need no
    permission (policies cannot deny GetCallerIdentity or GetSessionToken)."""
    if action != "AssumeRole":
        return None
    who = _identity(ctx)
    checked_assume_role(params)
    if who.is_root:
        raise errors.service_access_denied("Roles may not be assumed by root accounts.")
    with ctx.store.read() as txn:
        role = iam.assume_role_target(txn, who, params)
    if role is None or role.row is None:
        record([Access("sts:AssumeRole", str(params["RoleArn"]))])
        raise assume_refused(who, str(params["RoleArn"]))
    request = Request(
        "sts:AssumeRole",
        role.arn,
        {**context, **who.variables(), **iam.assume_role_context(params, role)},
    )
    record([Access("sts:AssumeRole", role.arn, role, dict(request.context))])
    trust = compiled(role.row["AssumeRolePolicyDocument"], "trust")
    if refusal(as_decided(mode, who), request, role.account, trust, trust=True) is not None:
        raise assume_refused(who, role.arn)
    return role


def cloudwatch_request(
    mode: str,
    ctx: Context,
    operation: str,
    params: dict[str, Any],
    context: Mapping[str, Any],
    record: Record,
) -> list[Access]:
    """The accesses a CloudWatch operation needs (`authz/cloudwatch`), once allowed;
    CloudWatch's AccessDenied (403) for the first that is not. Alarms' tags are read only
    when IAM's policies decide (`iam`): otherwise nothing depends on them."""
    identity = _identity(ctx)
    if mode == "iam":
        with ctx.store.read() as txn:
            needed = cloudwatch.accesses(txn, identity.account, ctx.region, operation, params)
    else:
        needed = cloudwatch.accesses(None, identity.account, ctx.region, operation, params)
    _decide(mode, identity, needed, context, record, errors.service_access_denied)
    return needed


def _decide(
    mode: str,
    identity: Identity,
    needed: list[Access],
    context: Mapping[str, Any],
    record: Record,
    denied: Callable[[str], Exception],
) -> None:
    """Show the accesses to `record`, then refuse the first one not allowed (`denied`: the
    service's AccessDenied error, made from AWS's message)."""
    record(needed)
    refusal_found = refused(mode, identity, needed, context)
    if refusal_found is not None:
        raise denied(denial_message(identity, *refusal_found))


def _identity(ctx: Context) -> Identity:
    assert ctx.identity is not None, "the server authenticates before it authorizes"
    return ctx.identity
