"""The STS API: GetCallerIdentity, GetSessionToken and AssumeRole.

Session credentials are an access key (ASIA…), its secret and a session token; the key row
keeps the secret sealed and only a digest of the token, plus the expiry; a user's session
keys carry the user's unique id, so they end with the user. Whether AssumeRole is allowed is
decided with every other request (`authz`): the role's trust policy must allow the caller,
and unless it names the caller itself, the caller's identity policies too (always across
accounts); an explicit deny anywhere refuses.
"""

from __future__ import annotations

import base64
import os
import re
import time
from datetime import UTC, datetime
from typing import Any

from opendynamo import errors
from opendynamo.api.iam.common import Params, Result, caller, new_id, new_secret, now_iso, required
from opendynamo.api.iam.entities import issue_key
from opendynamo.api.iam.policies import checked_document
from opendynamo.api.request.context import Context
from opendynamo.authz.policy.identity import Identity
from opendynamo.engine import tuning
from opendynamo.engine.secrets import token_digest

_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
_ROLE_ARN = re.compile(r"arn:aws:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]+)")


def get_caller_identity(ctx: Context, params: Params) -> Result:
    who = caller(ctx)
    return {"UserId": who.user_id, "Account": who.account, "Arn": who.arn}


def get_session_token(ctx: Context, params: Params) -> Result:
    who = caller(ctx)
    if who.is_session:
        raise errors.service_access_denied("Cannot call GetSessionToken with session credentials")
    longest = 3600 if who.is_root else 129600
    duration = _duration(params, 43200 if not who.is_root else 3600, longest)
    row = {
        "Account": who.account,
        "Kind": "root-session" if who.is_root else "user-session",
        "UserName": who.name,
        "UserId": None if who.is_root else who.user_id,  # the user, not whoever has its name
    }
    return {"Credentials": _issue(ctx, row, duration)}


def assume_role(ctx: Context, params: Params) -> Result:
    """Credentials of a session of the role the authorizer resolved and decided on
    (`authz.sts`: the role's trust policy, and the caller's identity policies, allowed it)."""
    session_name, session_policy = checked_assume_role(params)
    role = ctx.target
    assert role is not None and role.row is not None, "authz resolves the role to assume"
    row = role.row
    who = caller(ctx)
    longest = 3600 if who.kind == "role-session" else row["MaxSessionDuration"]
    duration = _duration(params, 3600, longest, role=True)
    key_row = {
        "Account": role.account,
        "Kind": "role-session",
        "RoleName": row["RoleName"],
        "RoleId": row["RoleId"],
        "SessionName": session_name,
        "SessionPolicy": session_policy,
    }
    credentials = _issue(ctx, key_row, duration)
    return {
        "Credentials": credentials,
        "AssumedRoleUser": {
            "AssumedRoleId": f"{row['RoleId']}:{session_name}",
            "Arn": f"arn:aws:sts::{role.account}:assumed-role/{row['RoleName']}/{session_name}",
        },
        "PackedPolicySize": 0 if session_policy is None else min(100, len(session_policy) // 20),
    }


def checked_assume_role(params: Params) -> tuple[str, str | None]:
    """(RoleSessionName, session policy) of a valid AssumeRole request; ValidationError or
    MalformedPolicyDocument, as STS answers, for an invalid one."""
    required(params, "RoleArn", "roleArn")
    session_name = required(params, "RoleSessionName", "roleSessionName")
    if not _SESSION_NAME.fullmatch(session_name):
        raise errors.invalid_input(
            f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )
    session_policy = None
    if params.get("Policy") is not None:
        session_policy = checked_document(params, "Policy", "policy")
    return session_name, session_policy


def role_arn_parts(role_arn: str) -> tuple[str, str] | None:
    """(account, role name) of a role ARN, or None when it is none."""
    found = _ROLE_ARN.fullmatch(role_arn)
    return None if found is None else (found[1], found[2])


def assume_refused(who: Identity, role_arn: str) -> errors.ServiceError:
    return errors.service_access_denied(
        f"User: {who.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
    )


def _duration(params: Params, default: int, longest: int, role: bool = False) -> int:
    duration = int(params.get("DurationSeconds", default))
    shortest = tuning.current.min_session_seconds
    if duration < shortest:
        raise errors.invalid_input(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value greater than or equal to {shortest}"
        )
    if duration > longest:
        if role:
            raise errors.invalid_input(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
        raise errors.invalid_input(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to "
            f"satisfy constraint: Member must have value less than or equal to {longest}"
        )
    return duration


def _issue(ctx: Context, row: dict[str, Any], duration: int) -> dict[str, Any]:
    key_id, secret = new_id("ASIA", 20), new_secret()
    token = base64.b64encode(os.urandom(96)).decode()
    expires = int(time.time()) + duration
    with ctx.store.write() as txn:
        issue_key(
            ctx,
            txn,
            key_id,
            secret,
            {
                **row,
                "Status": "Active",
                "CreateDate": now_iso(),
                "TokenDigest": token_digest(token),
                "Expires": expires,
            },
        )
    return {
        "AccessKeyId": key_id,
        "SecretAccessKey": secret,
        "SessionToken": token,
        "Expiration": datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
