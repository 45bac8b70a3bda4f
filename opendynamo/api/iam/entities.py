"""The IAM API, part one: users, their access keys and tags, and groups (AWS Query protocol;
`server/awsquery` decodes the form and renders the XML). Policies and roles are in
`api/iam/policies`, login profiles and the password policy in `api/iam/logins`. Rows live in
the directory (`engine/directory`); names are unique without regard to case, as IAM's are,
so rows are keyed by the lower-cased name.
"""

from __future__ import annotations

from typing import Any

from opendynamo import errors
from opendynamo.api.iam.common import (
    Params,
    Result,
    caller,
    check_no_policies,
    create_entity,
    entity,
    listing,
    merge_tags,
    name,
    new_id,
    new_secret,
    now_iso,
    page,
    path,
    required,
    tags,
    target,
)
from opendynamo.api.request.context import Context
from opendynamo.engine import directory, passwords
from opendynamo.storage.base import ReadTxn, WriteTxn

MAX_ACCESS_KEYS = 2
ROOT = "root"  # the account's own row (kind "account"): its root access keys


# --- users -------------------------------------------------------------------------------


def user_view(row: dict[str, Any], with_tags: bool = False) -> dict[str, Any]:
    view = {key: row[key] for key in ("Path", "UserName", "UserId", "Arn", "CreateDate")}
    if row.get("PasswordLastUsed"):  # the last console sign-in (`engine/passwords`)
        view["PasswordLastUsed"] = row["PasswordLastUsed"]
    if with_tags and row.get("Tags"):
        view["Tags"] = row["Tags"]
    return view


def create_user(ctx: Context, params: Params) -> Result:
    user_name = target(ctx).name
    user_path = path(params)
    account = caller(ctx).account
    row = {
        "UserName": user_name,
        "UserId": new_id("AIDA"),
        "Arn": f"arn:aws:iam::{account}:user{user_path}{user_name}",
        "Path": user_path,
        "CreateDate": now_iso(),
        "Tags": tags(params),
    }
    create_entity(ctx, "user", user_name, row)
    return {"User": user_view(row, with_tags=True)}


def get_user(ctx: Context, params: Params) -> Result:
    user = target(ctx)
    if user.kind == "root":
        return {"User": _root_view(user.account)}
    with ctx.store.read() as txn:
        row = entity(txn, user.account, "user", user.name)
    return {"User": user_view(row, with_tags=True)}


def _root_view(account: str) -> dict[str, Any]:
    return {
        "Path": "/",
        "UserName": account,
        "UserId": account,
        "Arn": f"arn:aws:iam::{account}:root",
        "CreateDate": "1970-01-01T00:00:00Z",
    }


def list_users(ctx: Context, params: Params) -> Result:
    return listing(ctx, params, "user", user_view, "Users")


def delete_user(ctx: Context, params: Params) -> Result:
    user_name = target(ctx).name
    account = caller(ctx).account
    with ctx.store.write() as txn:
        row = entity(txn, account, "user", user_name)
        if passwords.login_profile(row) is not None:
            raise errors.delete_conflict("Cannot delete entity, must delete login profile first.")
        if row.get("AccessKeys"):
            raise errors.delete_conflict("Cannot delete entity, must delete access keys first.")
        check_no_policies(row)
        if row.get("Groups"):
            raise errors.delete_conflict(
                "Cannot delete entity, must remove user from all groups first."
            )
        directory.delete_entity(txn, account, "user", user_name.lower())
    return None


def tag_user(ctx: Context, params: Params) -> Result:
    user_name = target(ctx).name
    account = caller(ctx).account
    with ctx.store.write() as txn:
        row = entity(txn, account, "user", user_name)
        row["Tags"] = merge_tags(row.get("Tags", []), tags(params))
        directory.put_entity(txn, account, "user", user_name.lower(), row)
    return None


def untag_user(ctx: Context, params: Params) -> Result:
    user_name = target(ctx).name
    removed = {str(key) for key in params.get("TagKeys") or []}
    account = caller(ctx).account
    with ctx.store.write() as txn:
        row = entity(txn, account, "user", user_name)
        row["Tags"] = [tag for tag in row.get("Tags", []) if tag["Key"] not in removed]
        directory.put_entity(txn, account, "user", user_name.lower(), row)
    return None


def list_user_tags(ctx: Context, params: Params) -> Result:
    user_name = target(ctx).name
    with ctx.store.read() as txn:
        row = entity(txn, caller(ctx).account, "user", user_name)
    return page(params, row.get("Tags", []), "Tags")


# --- access keys ---------------------------------------------------------------------------


def _key_owner(txn: ReadTxn, ctx: Context) -> tuple[str, dict[str, Any]]:
    """(kind, row) whose keys a request manages: the user the authorizer resolved (the named
    one, else the calling user), or for root calling without a name, the account's root keys
    (a role session is no user: the authorizer refused it)."""
    owner = target(ctx)
    if owner.kind == "user":
        return "user", entity(txn, owner.account, "user", owner.name)
    assert owner.kind == "root"
    row = directory.get_entity(txn, owner.account, "account", ROOT) or {"AccessKeys": []}
    return "account", row


def _save_owner(txn: WriteTxn, account: str, kind: str, row: dict[str, Any]) -> None:
    key = row["UserName"].lower() if kind == "user" else ROOT
    directory.put_entity(txn, account, kind, key, row)


def create_access_key(ctx: Context, params: Params) -> Result:
    account = caller(ctx).account
    with ctx.store.write() as txn:
        kind, owner = _key_owner(txn, ctx)
        held = owner.setdefault("AccessKeys", [])
        if len(held) >= MAX_ACCESS_KEYS:
            raise errors.quota_exceeded(
                f"Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}"
            )
        key_id, secret = new_id("AKIA", 20), new_secret()
        created = now_iso()
        issue_key(
            ctx,
            txn,
            key_id,
            secret,
            {
                "Account": account,
                "Kind": "user" if kind == "user" else "root",
                "UserName": owner.get("UserName"),
                "Status": "Active",
                "CreateDate": created,
            },
        )
        held.append(key_id)
        _save_owner(txn, account, kind, owner)
    result = {
        "AccessKeyId": key_id,
        "Status": "Active",
        "SecretAccessKey": secret,
        "CreateDate": created,
    }
    return {"AccessKey": {"UserName": owner.get("UserName", account), **result}}


def issue_key(ctx: Context, txn: WriteTxn, key_id: str, secret: str, row: dict[str, Any]) -> None:
    """Store a new access key with its secret sealed (never the secret itself)."""
    assert ctx.sealer is not None, "the server gives IAM and STS the secrets key"
    directory.put_key(txn, key_id, {**row, "Secret": ctx.sealer.seal(secret, key_id)})


def list_access_keys(ctx: Context, params: Params) -> Result:
    with ctx.store.read() as txn:
        _, owner = _key_owner(txn, ctx)
        metadata = []
        for key_id in owner.get("AccessKeys", []):
            row = directory.get_key(txn, key_id)
            if row is not None:
                metadata.append(
                    {
                        "UserName": owner.get("UserName", caller(ctx).account),
                        "AccessKeyId": key_id,
                        "Status": row["Status"],
                        "CreateDate": row["CreateDate"],
                    }
                )
    return page(params, metadata, "AccessKeyMetadata")


def update_access_key(ctx: Context, params: Params) -> Result:
    key_id = required(params, "AccessKeyId", "accessKeyId")
    status = required(params, "Status", "status")
    if status not in ("Active", "Inactive"):
        raise errors.invalid_input(
            f"1 validation error detected: Value '{status}' at 'status' failed to satisfy "
            "constraint: Member must satisfy enum value set: [Active, Inactive]"
        )
    with ctx.store.write() as txn:
        row = _owned_key(txn, ctx, key_id)
        row["Status"] = status
        directory.put_key(txn, key_id, row)
    return None


def delete_access_key(ctx: Context, params: Params) -> Result:
    key_id = required(params, "AccessKeyId", "accessKeyId")
    account = caller(ctx).account
    with ctx.store.write() as txn:
        _owned_key(txn, ctx, key_id)
        kind, owner = _key_owner(txn, ctx)
        owner["AccessKeys"] = [held for held in owner["AccessKeys"] if held != key_id]
        _save_owner(txn, account, kind, owner)
        directory.delete_key(txn, key_id)
    return None


def _owned_key(txn: ReadTxn, ctx: Context, key_id: str) -> dict[str, Any]:
    _, owner = _key_owner(txn, ctx)
    row = directory.get_key(txn, key_id)
    if row is None or key_id not in owner.get("AccessKeys", []):
        raise errors.no_such_entity(f"The Access Key with id {key_id} cannot be found.")
    return row


# --- groups --------------------------------------------------------------------------------


def group_view(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("Path", "GroupName", "GroupId", "Arn", "CreateDate")}


def create_group(ctx: Context, params: Params) -> Result:
    group_name = target(ctx).name
    group_path = path(params)
    account = caller(ctx).account
    row = {
        "GroupName": group_name,
        "GroupId": new_id("AGPA"),
        "Arn": f"arn:aws:iam::{account}:group{group_path}{group_name}",
        "Path": group_path,
        "CreateDate": now_iso(),
        "Members": [],
    }
    create_entity(ctx, "group", group_name, row)
    return {"Group": group_view(row)}


def get_group(ctx: Context, params: Params) -> Result:
    group_name = target(ctx).name
    account = caller(ctx).account
    with ctx.store.read() as txn:
        group = entity(txn, account, "group", group_name)
        users = [
            directory.get_entity(txn, account, "user", member.lower())
            for member in group.get("Members", [])
        ]
    listing = page(params, [user_view(user) for user in users if user is not None], "Users")
    return {"Group": group_view(group), **listing}


def list_groups(ctx: Context, params: Params) -> Result:
    return listing(ctx, params, "group", group_view, "Groups")


def delete_group(ctx: Context, params: Params) -> Result:
    group_name = target(ctx).name
    account = caller(ctx).account
    with ctx.store.write() as txn:
        group = entity(txn, account, "group", group_name)
        if group.get("Members"):
            raise errors.delete_conflict(
                "Cannot delete entity, must remove users from group first."
            )
        check_no_policies(group)
        directory.delete_entity(txn, account, "group", group_name.lower())
    return None


def add_user_to_group(ctx: Context, params: Params) -> Result:
    _membership(ctx, params, add=True)
    return None


def remove_user_from_group(ctx: Context, params: Params) -> Result:
    _membership(ctx, params, add=False)
    return None


def _membership(ctx: Context, params: Params, *, add: bool) -> None:
    group_name = target(ctx).name  # the group is the resource IAM authorizes on
    user_name = name(params, "UserName", "userName", 128)
    account = caller(ctx).account
    with ctx.store.write() as txn:
        group = entity(txn, account, "group", group_name)
        user = entity(txn, account, "user", user_name)
        members = [m for m in group.get("Members", []) if m.lower() != user_name.lower()]
        groups = [g for g in user.get("Groups", []) if g.lower() != group_name.lower()]
        if add:
            members.append(user["UserName"])
            groups.append(group["GroupName"])
        group["Members"], user["Groups"] = members, groups
        directory.put_entity(txn, account, "group", group_name.lower(), group)
        directory.put_entity(txn, account, "user", user_name.lower(), user)


def list_groups_for_user(ctx: Context, params: Params) -> Result:
    user_name = target(ctx).name
    account = caller(ctx).account
    with ctx.store.read() as txn:
        user = entity(txn, account, "user", user_name)
        groups = [
            directory.get_entity(txn, account, "group", g.lower()) for g in user.get("Groups", [])
        ]
    return page(params, [group_view(g) for g in groups if g is not None], "Groups")
