"""The IAM API, part two: inline policies of users, groups and roles; managed policies and
their attachments; roles with their trust policies.

Every document is validated with the policy grammar (`iam/policy`) before it is stored, so a
malformed one is refused with MalformedPolicyDocument and changes nothing. IAM returns policy
documents URL-encoded; boto3 decodes them back into dictionaries.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote

from opendynamo import errors
from opendynamo.api.iam.common import (
    Operation,
    Params,
    Result,
    caller,
    check_no_policies,
    create_entity,
    entity,
    listing,
    name,
    new_id,
    now_iso,
    page,
    path,
    required,
    tags,
    target,
)
from opendynamo.api.request.context import Context
from opendynamo.authz.policy.identity import AWS_MANAGED_ACCOUNT, managed_owner_and_name
from opendynamo.authz.policy.language import PolicyError, parse_policy
from opendynamo.authz.policy.managed import AWS_MANAGED
from opendynamo.engine import directory
from opendynamo.storage.base import ReadTxn, WriteTxn

Kind = Literal["user", "group", "role"]
# Inline policy size quotas (characters, whitespace excluded), per entity kind.
INLINE_QUOTA = {"user": 2048, "group": 5120, "role": 10240}
MANAGED_QUOTA = 6144
_MEMBER = {
    "user": ("UserName", "userName"),
    "group": ("GroupName", "groupName"),
    "role": ("RoleName", "roleName"),
}


def checked_document(
    params: Params,
    member: str,
    field: str,
    kind: Literal["identity", "resource", "trust"] = "identity",
) -> str:
    document = required(params, member, field)
    try:
        parse_policy(document, kind=kind)
    except PolicyError as exc:
        raise errors.malformed_policy(exc.message) from None
    return document


def size_of(document: str) -> int:
    """A policy's size as IAM counts it for quotas: characters other than white space."""
    return sum(1 for char in document if not char.isspace())


def encoded(document: str) -> str:
    return quote(document, safe="")


# --- inline policies (users, groups, roles) ------------------------------------------------


def _owner(txn: ReadTxn, ctx: Context, kind: Kind) -> tuple[str, dict[str, Any]]:
    """(name, row) of the user, group or role the action was authorized on."""
    owner = target(ctx)
    assert owner.kind == kind
    return owner.name, entity(txn, owner.account, kind, owner.name)


def put_inline(kind: Kind) -> Operation:
    def operation(ctx: Context, params: Params) -> Result:
        policy_name = name(params, "PolicyName", "policyName", 128)
        document = checked_document(params, "PolicyDocument", "policyDocument")
        with ctx.store.write() as txn:
            owner_name, owner = _owner(txn, ctx, kind)
            policies = owner.setdefault("Policies", {})
            policies[policy_name] = document
            if sum(size_of(text) for text in policies.values()) > INLINE_QUOTA[kind]:
                raise errors.quota_exceeded(
                    f"Maximum policy size of {INLINE_QUOTA[kind]} bytes exceeded "
                    f"for {kind} {owner_name}"
                )
            directory.put_entity(txn, caller(ctx).account, kind, owner_name.lower(), owner)
        return None

    return operation


def get_inline(kind: Kind) -> Operation:
    def operation(ctx: Context, params: Params) -> Result:
        policy_name = name(params, "PolicyName", "policyName", 128)
        with ctx.store.read() as txn:
            _, owner = _owner(txn, ctx, kind)
        document = owner.get("Policies", {}).get(policy_name)
        if document is None:
            raise errors.no_such_entity(
                f"The {kind} policy with name {policy_name} cannot be found."
            )
        member = _MEMBER[kind][0]
        return {
            member: owner[member],
            "PolicyName": policy_name,
            "PolicyDocument": encoded(document),
        }

    return operation


def list_inline(kind: Kind) -> Operation:
    def operation(ctx: Context, params: Params) -> Result:
        with ctx.store.read() as txn:
            _, owner = _owner(txn, ctx, kind)
        return page(params, sorted(owner.get("Policies", {})), "PolicyNames")

    return operation


def delete_inline(kind: Kind) -> Operation:
    def operation(ctx: Context, params: Params) -> Result:
        policy_name = name(params, "PolicyName", "policyName", 128)
        with ctx.store.write() as txn:
            owner_name, owner = _owner(txn, ctx, kind)
            if owner.get("Policies", {}).pop(policy_name, None) is None:
                raise errors.no_such_entity(
                    f"The {kind} policy with name {policy_name} cannot be found."
                )
            directory.put_entity(txn, caller(ctx).account, kind, owner_name.lower(), owner)
        return None

    return operation


# --- managed policies ----------------------------------------------------------------------


def policy_view(row: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "PolicyName",
        "PolicyId",
        "Arn",
        "Path",
        "DefaultVersionId",
        "AttachmentCount",
        "PermissionsBoundaryUsageCount",
        "IsAttachable",
        "Description",
        "CreateDate",
        "UpdateDate",
        "Tags",
    )
    return {key: row[key] for key in keys if row.get(key) not in (None, [])}


def create_policy(ctx: Context, params: Params) -> Result:
    policy_name = target(ctx).name
    policy_path = path(params)
    document = checked_document(params, "PolicyDocument", "policyDocument")
    if size_of(document) > MANAGED_QUOTA:
        raise errors.quota_exceeded(f"Cannot exceed quota for PolicySize: {MANAGED_QUOTA}")
    account = caller(ctx).account
    created = now_iso()
    row = {
        "PolicyName": policy_name,
        "PolicyId": new_id("ANPA"),
        "Arn": f"arn:aws:iam::{account}:policy{policy_path}{policy_name}",
        "Path": policy_path,
        "DefaultVersionId": "v1",
        "AttachmentCount": 0,
        "PermissionsBoundaryUsageCount": 0,
        "IsAttachable": True,
        "Description": params.get("Description"),
        "CreateDate": created,
        "UpdateDate": created,
        "Tags": tags(params),
        "Document": document,
    }
    with ctx.store.write() as txn:
        if directory.get_entity(txn, account, "policy", policy_name.lower()) is not None:
            raise errors.entity_already_exists(
                f"A policy called {policy_name} already exists. Duplicate names are not allowed."
            )
        directory.put_entity(txn, account, "policy", policy_name.lower(), row)
    return {"Policy": policy_view(row)}


def managed_row(txn: ReadTxn, ctx: Context, arn: str) -> dict[str, Any]:
    """A managed policy of the caller's account or of AWS, or NoSuchEntity."""
    owner, policy_name = managed_owner_and_name(arn)
    if owner == AWS_MANAGED_ACCOUNT and policy_name in AWS_MANAGED:
        return {
            "PolicyName": policy_name,
            "PolicyId": "ANPA" + policy_name.upper()[:17],
            "Arn": arn,
            "Path": "/",
            "DefaultVersionId": "v1",
            "AttachmentCount": _attachments(txn, caller(ctx).account, arn),
            "IsAttachable": True,
            "Document": AWS_MANAGED[policy_name],
            "CreateDate": "2015-02-06T18:40:00Z",
            "UpdateDate": "2015-02-06T18:40:00Z",
        }
    row = None
    if owner == caller(ctx).account:
        row = directory.get_entity(txn, owner, "policy", policy_name.lower())
    if row is None or row["Arn"] != arn:
        raise errors.no_such_entity(f"Policy {arn} was not found.")
    return row


def _attachments(txn: ReadTxn, account: str, arn: str) -> int:
    """How many of the account's users, groups and roles an AWS managed policy is attached to
    (AWS managed policies are shared by every account, so the count is per account)."""
    return sum(
        arn in row.get("Attached", ())
        for kind in ("user", "group", "role")
        for row in directory.entities(txn, account, kind)
    )


def get_policy(ctx: Context, params: Params) -> Result:
    with ctx.store.read() as txn:
        row = managed_row(txn, ctx, target(ctx).arn)
    return {"Policy": policy_view(row)}


def list_policies(ctx: Context, params: Params) -> Result:
    scope = params.get("Scope", "All")
    rows: list[dict[str, Any]] = []
    if scope in ("All", "AWS"):
        with ctx.store.read() as txn:
            rows += [
                policy_view(managed_row(txn, ctx, f"arn:aws:iam::aws:policy/{policy}"))
                for policy in sorted(AWS_MANAGED)
            ]
    if scope in ("All", "Local"):
        with ctx.store.read() as txn:
            rows += [
                policy_view(row) for row in directory.entities(txn, caller(ctx).account, "policy")
            ]
    if params.get("OnlyAttached") == "true":
        rows = [row for row in rows if row.get("AttachmentCount")]
    return page(params, rows, "Policies")


def delete_policy(ctx: Context, params: Params) -> Result:
    arn = target(ctx).arn
    with ctx.store.write() as txn:
        row = managed_row(txn, ctx, arn)
        if managed_owner_and_name(arn)[0] == AWS_MANAGED_ACCOUNT:
            raise errors.service_access_denied(
                f"User: {caller(ctx).arn} is not authorized to perform: iam:DeletePolicy "
                f"on resource: policy {arn}"
            )
        if row["AttachmentCount"]:
            raise errors.delete_conflict("Cannot delete a policy attached to entities.")
        if len(row.get("Versions") or ()) > 1:
            raise errors.delete_conflict(
                "This policy has more than one version. Before you delete a policy, you must "
                "delete the policy's versions. The default version is deleted with the policy."
            )
        directory.delete_entity(txn, caller(ctx).account, "policy", row["PolicyName"].lower())
    return None


def attach(kind: Kind) -> Operation:
    def operation(ctx: Context, params: Params) -> Result:
        arn = required(params, "PolicyArn", "policyArn")
        with ctx.store.write() as txn:
            owner_name, owner = _owner(txn, ctx, kind)
            try:
                policy = managed_row(txn, ctx, arn)
            except errors.ServiceError:
                raise errors.no_such_entity(
                    f"Policy {arn} does not exist or is not attachable."
                ) from None
            attached = owner.setdefault("Attached", [])
            if arn not in attached:
                attached.append(arn)
                _count(txn, ctx, policy, +1)
            directory.put_entity(txn, caller(ctx).account, kind, owner_name.lower(), owner)
        return None

    return operation


def detach(kind: Kind) -> Operation:
    def operation(ctx: Context, params: Params) -> Result:
        arn = required(params, "PolicyArn", "policyArn")
        with ctx.store.write() as txn:
            owner_name, owner = _owner(txn, ctx, kind)
            if arn not in owner.get("Attached", []):
                raise errors.no_such_entity(f"Policy {arn} was not found.")
            owner["Attached"].remove(arn)
            _count(txn, ctx, managed_row(txn, ctx, arn), -1)
            directory.put_entity(txn, caller(ctx).account, kind, owner_name.lower(), owner)
        return None

    return operation


def _count(txn: WriteTxn, ctx: Context, policy: dict[str, Any], change: int) -> None:
    owner, _ = managed_owner_and_name(policy["Arn"])
    if owner != AWS_MANAGED_ACCOUNT:
        policy["AttachmentCount"] += change
        directory.put_entity(txn, owner, "policy", policy["PolicyName"].lower(), policy)


def list_attached(kind: Kind) -> Operation:
    def operation(ctx: Context, params: Params) -> Result:
        with ctx.store.read() as txn:
            _, owner = _owner(txn, ctx, kind)
        rows = [
            {"PolicyName": managed_owner_and_name(arn)[1], "PolicyArn": arn}
            for arn in owner.get("Attached", [])
        ]
        return page(params, rows, "AttachedPolicies")

    return operation


# --- roles -----------------------------------------------------------------------------------


def role_view(row: dict[str, Any]) -> dict[str, Any]:
    view = {
        key: row[key]
        for key in (
            "Path",
            "RoleName",
            "RoleId",
            "Arn",
            "CreateDate",
            "Description",
            "MaxSessionDuration",
        )
        if row.get(key) is not None
    }
    view["AssumeRolePolicyDocument"] = encoded(row["AssumeRolePolicyDocument"])
    if row.get("Tags"):
        view["Tags"] = row["Tags"]
    return view


def create_role(ctx: Context, params: Params) -> Result:
    role_name = target(ctx).name
    role_path = path(params)
    trust = checked_document(
        params, "AssumeRolePolicyDocument", "assumeRolePolicyDocument", kind="trust"
    )
    duration = int(params.get("MaxSessionDuration", 3600))
    if not 3600 <= duration <= 43200:
        raise errors.invalid_input(
            f"1 validation error detected: Value '{duration}' at 'maxSessionDuration' failed "
            "to satisfy constraint: Member must have value less than or equal to 43200"
        )
    account = caller(ctx).account
    row = {
        "RoleName": role_name,
        "RoleId": new_id("AROA"),
        "Arn": f"arn:aws:iam::{account}:role{role_path}{role_name}",
        "Path": role_path,
        "CreateDate": now_iso(),
        "AssumeRolePolicyDocument": trust,
        "Description": params.get("Description"),
        "MaxSessionDuration": duration,
        "Tags": tags(params),
    }
    create_entity(ctx, "role", role_name, row)
    return {"Role": role_view(row)}


def get_role(ctx: Context, params: Params) -> Result:
    with ctx.store.read() as txn:
        _, row = _owner(txn, ctx, "role")
    return {"Role": role_view(row)}


def list_roles(ctx: Context, params: Params) -> Result:
    return listing(ctx, params, "role", role_view, "Roles")


def update_assume_role_policy(ctx: Context, params: Params) -> Result:
    trust = checked_document(params, "PolicyDocument", "policyDocument", kind="trust")
    with ctx.store.write() as txn:
        role_name, row = _owner(txn, ctx, "role")
        row["AssumeRolePolicyDocument"] = trust
        directory.put_entity(txn, caller(ctx).account, "role", role_name.lower(), row)
    return None


def delete_role(ctx: Context, params: Params) -> Result:
    with ctx.store.write() as txn:
        role_name, row = _owner(txn, ctx, "role")
        check_no_policies(row)
        directory.delete_entity(txn, caller(ctx).account, "role", role_name.lower())
    return None


def list_instance_profiles_for_role(ctx: Context, params: Params) -> Result:
    """Instance profiles are not served (there is no EC2 here), so a role is in none; Terraform
    asks before deleting a role."""
    with ctx.store.read() as txn:
        _owner(txn, ctx, "role")
    return page(params, [], "InstanceProfiles")
