"""The STS API: GetCallerIdentity, GetSessionToken and AssumeRole.

Session credentials are an access key (ASIA…), its secret and a session token; the key row
keeps the secret sealed and only a digest of the token, plus the expiry. AssumeRole follows
IAM's rule for roles: the role's trust policy must allow the caller, and unless it names the
caller's own ARN, the caller's identity policies must also allow sts:AssumeRole on the role
(`--auth sigv4` allows every identity everything, so there the trust policy alone decides).
"""

from __future__ import annotations

import base64
import os
import re
import time
from datetime import UTC, datetime
from typing import Any

from opendynamo import errors
from opendynamo.api.context import Context
from opendynamo.api.iam import issue_key
from opendynamo.api.iam_common import Params, Result, caller, new_id, new_secret, now_iso, required
from opendynamo.api.iam_policies import checked_document
from opendynamo.engine import directory
from opendynamo.engine.secrets import token_digest
from opendynamo.iam.decide import refusal
from opendynamo.iam.identity import Identity, compiled
from opendynamo.iam.policy import Principal, Request, matches

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
    }
    return {"Credentials": _issue(ctx, row, duration)}


def assume_role(ctx: Context, params: Params) -> Result:
    who = caller(ctx)
    role_arn = required(params, "RoleArn", "roleArn")
    session_name = required(params, "RoleSessionName", "roleSessionName")
    if not _SESSION_NAME.fullmatch(session_name):
        raise errors.invalid_input(
            f"1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )
    session_policy = None
    if params.get("Policy") is not None:
        session_policy = checked_document(params, "Policy", "policy")
    if who.is_root:
        raise errors.service_access_denied("Roles may not be assumed by root accounts.")
    role = _role(ctx, role_arn)
    _check_trust(ctx, who, role)
    longest = 3600 if who.kind == "role-session" else role["MaxSessionDuration"]
    duration = _duration(params, 3600, longest, role=True)
    row = {
        "Account": role["Account"],
        "Kind": "role-session",
        "RoleName": role["RoleName"],
        "RoleId": role["RoleId"],
        "SessionName": session_name,
        "SessionPolicy": session_policy,
    }
    credentials = _issue(ctx, row, duration)
    return {
        "Credentials": credentials,
        "AssumedRoleUser": {
            "AssumedRoleId": f"{role['RoleId']}:{session_name}",
            "Arn": f"arn:aws:sts::{role['Account']}:assumed-role/{role['RoleName']}/{session_name}",
        },
        "PackedPolicySize": 0 if session_policy is None else min(100, len(session_policy) // 20),
    }


def _role(ctx: Context, role_arn: str) -> dict[str, Any]:
    found = _ROLE_ARN.fullmatch(role_arn)
    row = None
    if found:
        with ctx.store.read() as txn:
            row = directory.get_entity(txn, found[1], "role", found[2].lower())
    if row is None or row["Arn"] != role_arn:
        who = caller(ctx)
        raise errors.service_access_denied(
            f"User: {who.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        )
    return {**row, "Account": found[1] if found else ""}


def _check_trust(ctx: Context, who: Identity, role: dict[str, Any]) -> None:
    request = Request("sts:AssumeRole", role["Arn"], _context(who))
    trust = compiled(role["AssumeRolePolicyDocument"], "trust")
    allowed, denied = matches(trust, request, who.principal)
    if allowed and not denied and ctx.authorize:
        # Only a trust policy naming the caller itself grants without an identity policy.
        named, _ = matches(trust, request, Principal(arn=who.arn, account=""))
        allowed = named or refusal(who, request, who.account) is None
    if not allowed or denied:
        raise errors.service_access_denied(
            f"User: {who.arn} is not authorized to perform: sts:AssumeRole on resource: "
            f"{role['Arn']}"
        )


def _context(who: Identity) -> dict[str, Any]:
    return {**who.variables(), "aws:CurrentTime": now_iso(), "aws:EpochTime": int(time.time())}


def _duration(params: Params, default: int, longest: int, role: bool = False) -> int:
    duration = int(params.get("DurationSeconds", default))
    shortest = int(os.environ.get("OPENDYNAMO_MIN_SESSION_SECONDS", "900"))  # tests shorten it
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
