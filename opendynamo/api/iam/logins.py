"""The IAM API, part three: console passwords. Users' login profiles (CreateLoginProfile,
GetLoginProfile, UpdateLoginProfile, DeleteLoginProfile), a user's change of its own password
(ChangePassword) and the account password policy. The rules and the hashing are
`engine/passwords`'; a password is checked and hashed before the write transaction, so the
slow hash never holds the store's write lock.

A password never appears in an answer, an error message or the store: validation errors name
the member without its value, as IAM does for its sensitive members.
"""

from __future__ import annotations

import re

from opendynamo import errors
from opendynamo.api.iam.common import (
    NON_USER,
    Params,
    Result,
    caller,
    entity,
    required,
    target,
)
from opendynamo.api.request.context import Context
from opendynamo.engine import passwords

MAX_PASSWORD = 128
_PASSWORD_RE = re.compile(r"[\t\n\r\u0020-\u00ff]+")
_PASSWORD_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"


def password(params: Params, member: str, field: str) -> str:
    """A password member: 1 to 128 characters of IAM's set; never echoed in an error."""
    value = required(params, member, field)
    if not value:
        _invalid(field, "Member must have length greater than or equal to 1")
    if len(value) > MAX_PASSWORD:
        _invalid(field, f"Member must have length less than or equal to {MAX_PASSWORD}")
    if not _PASSWORD_RE.fullmatch(value):
        _invalid(field, f"Member must satisfy regular expression pattern: {_PASSWORD_PATTERN}")
    return value


def _invalid(field: str, constraint: str) -> None:
    raise errors.invalid_input(
        f"1 validation error detected: Value at '{field}' failed to satisfy constraint: "
        f"{constraint}"
    )


def boolean(params: Params, member: str, field: str) -> bool | None:
    """A boolean member as the Query protocol sends it ("true"/"false"); None when absent."""
    value = params.get(member)
    if value is None:
        return None
    if str(value).lower() not in ("true", "false"):
        raise errors.invalid_input(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            "constraint: Member must be a boolean"
        )
    return str(value).lower() == "true"


def integer(params: Params, member: str, field: str) -> int | None:
    value = params.get(member)
    if value is None:
        return None
    try:
        return int(str(value))
    except ValueError:
        raise errors.invalid_input(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            "constraint: Member must be an integer"
        ) from None


# --- login profiles ------------------------------------------------------------------------


def _user_name(ctx: Context) -> str:
    """The user the action was authorized on; the account's root has no login profile here."""
    user = target(ctx)
    if user.kind != "user":
        raise errors.invalid_input(NON_USER)
    return user.name


def create_login_profile(ctx: Context, params: Params) -> Result:
    user_name = _user_name(ctx)
    account = target(ctx).account
    new_password = password(params, "Password", "password")
    reset_required = bool(boolean(params, "PasswordResetRequired", "passwordResetRequired"))
    with ctx.store.read() as txn:
        user = entity(txn, account, "user", user_name)
        _check_absent(user)
        rules = passwords.rules(txn, account)
    new = passwords.check_new_password(rules, user, account, new_password)
    with ctx.store.write() as txn:
        _check_absent(entity(txn, account, "user", user_name))
        passwords.store_new_password(txn, account, user_name, new, ctx.store.now(), reset_required)
        user = entity(txn, account, "user", user_name)
    return {"LoginProfile": passwords.profile_view(user)}


def _check_absent(user: passwords.Row) -> None:
    if passwords.login_profile(user) is not None:
        raise errors.entity_already_exists(
            f"Login Profile for user {user['UserName']} already exists."
        )


def get_login_profile(ctx: Context, params: Params) -> Result:
    user_name = _user_name(ctx)
    with ctx.store.read() as txn:
        user = entity(txn, target(ctx).account, "user", user_name)
    if passwords.login_profile(user) is None:
        raise passwords.no_login_profile(user["UserName"])
    return {"LoginProfile": passwords.profile_view(user)}


def update_login_profile(ctx: Context, params: Params) -> Result:
    """A new password (the policy applies, PasswordResetRequired is kept unless given), a new
    PasswordResetRequired, both or neither."""
    user_name = _user_name(ctx)
    account = target(ctx).account
    given = params.get("Password")
    new_password = None if given is None else password(params, "Password", "password")
    reset_required = boolean(params, "PasswordResetRequired", "passwordResetRequired")
    with ctx.store.read() as txn:
        user = entity(txn, account, "user", user_name)
        if passwords.login_profile(user) is None:
            raise passwords.no_login_profile(user["UserName"])
        rules = passwords.rules(txn, account)
    if new_password is not None:
        new = passwords.check_new_password(rules, user, account, new_password)
        with ctx.store.write() as txn:
            now = ctx.store.now()
            passwords.store_new_password(txn, account, user_name, new, now, reset_required)
    elif reset_required is not None:
        with ctx.store.write() as txn:
            passwords.set_reset_required(txn, account, user_name, reset_required)
    return None


def delete_login_profile(ctx: Context, params: Params) -> Result:
    user_name = _user_name(ctx)
    with ctx.store.write() as txn:
        passwords.delete_login_profile(txn, target(ctx).account, user_name)
    return None


def change_password(ctx: Context, params: Params) -> Result:
    """The calling IAM user's own password (the authorizer refused any other caller, and
    decided whether the user may: its policies, or the policy's AllowUsersToChangePassword).
    The old password must be right; the new one follows the policy; PasswordResetRequired is
    cleared, as `passwords.set_password` does for the console."""
    user_name = _user_name(ctx)
    account = target(ctx).account
    old_password = password(params, "OldPassword", "oldPassword")
    new_password = password(params, "NewPassword", "newPassword")
    with ctx.store.read() as txn:
        user = entity(txn, account, "user", user_name)
        rules = passwords.rules(txn, account)
    passwords.check_old_password(user, old_password)
    new = passwords.check_new_password(rules, user, account, new_password)
    with ctx.store.write() as txn:
        passwords.store_new_password(
            txn, account, user_name, new, ctx.store.now(), reset_required=False
        )
    return None


# --- the account password policy -----------------------------------------------------------

_NUMBERS = {member: wire for member, wire, _, _ in passwords.POLICY_NUMBERS}


def get_account_password_policy(ctx: Context, params: Params) -> Result:
    with ctx.store.read() as txn:
        row = passwords.password_policy(txn, caller(ctx).account)
    return {"PasswordPolicy": passwords.policy_view(row)}


def update_account_password_policy(ctx: Context, params: Params) -> Result:
    values: dict[str, int | bool | None] = {
        member: integer(params, member, wire) for member, wire in _NUMBERS.items()
    }
    for flag in passwords.POLICY_FLAGS:
        values[flag] = boolean(params, flag, flag[0].lower() + flag[1:])
    row = passwords.new_policy(values)
    with ctx.store.write() as txn:
        passwords.put_password_policy(txn, caller(ctx).account, row)
    return None


def delete_account_password_policy(ctx: Context, params: Params) -> Result:
    with ctx.store.write() as txn:
        passwords.delete_password_policy(txn, caller(ctx).account)
    return None
