"""Versions of customer managed policies: CreatePolicyVersion, GetPolicyVersion,
ListPolicyVersions, SetDefaultPolicyVersion and DeletePolicyVersion.

A policy keeps up to five versions (v1, v2, … never reused); the default one is the policy's
`Document`, which is what identities are evaluated with. AWS managed policies have one, v1.
"""

from __future__ import annotations

from typing import Any

from opendynamo import errors
from opendynamo.api.iam.common import Params, Result, caller, now_iso, page, required, target
from opendynamo.api.iam.policies import (
    MANAGED_QUOTA,
    checked_document,
    encoded,
    managed_row,
    size_of,
)
from opendynamo.api.request.context import Context
from opendynamo.authz.policy.identity import AWS_MANAGED_ACCOUNT, managed_owner_and_name
from opendynamo.engine import directory
from opendynamo.storage.base import WriteTxn

MAX_VERSIONS = 5


def _versions(row: dict[str, Any]) -> list[dict[str, Any]]:
    return list(
        row.get("Versions")
        or [
            {
                "VersionId": row["DefaultVersionId"],
                "Document": row["Document"],
                "CreateDate": row["CreateDate"],
            }
        ]
    )


def _view(row: dict[str, Any], version: dict[str, Any], with_document: bool) -> dict[str, Any]:
    view = {
        "VersionId": version["VersionId"],
        "IsDefaultVersion": version["VersionId"] == row["DefaultVersionId"],
        "CreateDate": version["CreateDate"],
    }
    if with_document:
        view = {"Document": encoded(version["Document"]), **view}
    return view


def _find(row: dict[str, Any], arn: str, version_id: str) -> dict[str, Any]:
    for version in _versions(row):
        if version["VersionId"] == version_id:
            return version
    raise errors.no_such_entity(
        f"Policy {arn} version {version_id} does not exist or is not attachable."
    )


def _editable(txn: WriteTxn, ctx: Context, arn: str) -> dict[str, Any]:
    """A customer managed policy to change (AWS managed policies are AWS's own)."""
    row = managed_row(txn, ctx, arn)
    if managed_owner_and_name(arn)[0] == AWS_MANAGED_ACCOUNT:
        raise errors.service_access_denied(
            f"User: {caller(ctx).arn} is not authorized to perform: iam:CreatePolicyVersion "
            f"on resource: policy {arn}"
        )
    return row


def _save(txn: WriteTxn, arn: str, row: dict[str, Any]) -> None:
    owner, name = managed_owner_and_name(arn)
    row["UpdateDate"] = now_iso()
    directory.put_entity(txn, owner, "policy", name.lower(), row)


def get_policy_version(ctx: Context, params: Params) -> Result:
    arn = target(ctx).arn
    version_id = required(params, "VersionId", "versionId")
    with ctx.store.read() as txn:
        row = managed_row(txn, ctx, arn)
    return {"PolicyVersion": _view(row, _find(row, arn, version_id), with_document=True)}


def list_policy_versions(ctx: Context, params: Params) -> Result:
    with ctx.store.read() as txn:
        row = managed_row(txn, ctx, target(ctx).arn)
    newest_first = sorted(_versions(row), key=lambda v: int(v["VersionId"][1:]), reverse=True)
    return page(params, [_view(row, v, with_document=False) for v in newest_first], "Versions")


def create_policy_version(ctx: Context, params: Params) -> Result:
    arn = target(ctx).arn
    document = checked_document(params, "PolicyDocument", "policyDocument")
    if size_of(document) > MANAGED_QUOTA:
        raise errors.quota_exceeded(f"Cannot exceed quota for PolicySize: {MANAGED_QUOTA}")
    with ctx.store.write() as txn:
        row = _editable(txn, ctx, arn)
        versions = _versions(row)
        if len(versions) >= MAX_VERSIONS:
            raise errors.quota_exceeded(
                f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a "
                "new version, you must delete an existing version."
            )
        number = row.get("NextVersion", len(versions) + 1)
        version = {"VersionId": f"v{number}", "Document": document, "CreateDate": now_iso()}
        row["Versions"], row["NextVersion"] = [*versions, version], number + 1
        if params.get("SetAsDefault") == "true":
            row["DefaultVersionId"], row["Document"] = version["VersionId"], document
        _save(txn, arn, row)
    return {"PolicyVersion": _view(row, version, with_document=False)}


def set_default_policy_version(ctx: Context, params: Params) -> Result:
    arn = target(ctx).arn
    version_id = required(params, "VersionId", "versionId")
    with ctx.store.write() as txn:
        row = _editable(txn, ctx, arn)
        version = _find(row, arn, version_id)
        row["Versions"] = _versions(row)
        row["DefaultVersionId"], row["Document"] = version_id, version["Document"]
        _save(txn, arn, row)
    return None


def delete_policy_version(ctx: Context, params: Params) -> Result:
    arn = target(ctx).arn
    version_id = required(params, "VersionId", "versionId")
    with ctx.store.write() as txn:
        row = _editable(txn, ctx, arn)
        _find(row, arn, version_id)
        if version_id == row["DefaultVersionId"]:
            raise errors.delete_conflict("Cannot delete the default version of a policy.")
        row["Versions"] = [v for v in _versions(row) if v["VersionId"] != version_id]
        _save(txn, arn, row)
    return None
