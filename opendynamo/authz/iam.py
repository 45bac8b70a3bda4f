"""What an IAM or STS request asks permission for, and the entity it acts on.

Each served action is declared once in `IAM_SPECS`/`STS_SPECS`: the kind of entity it acts on
(a user, group, role or managed policy), the one parameter that names it, whether the caller
itself is meant when that parameter is absent (or always, for ChangePassword), and its
condition keys; the account's password policy is no entity (resource "*"). `resolve` reads the
decoded request by that declaration alone and returns the `Entity` the action was authorized
on; the operation receives it (`Context.target`) and never reads a name of its own, so a
stray `PolicyArn` or `GroupName` can neither change the decision nor the entity acted on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from opendynamo import errors
from opendynamo.api.iam.common import NON_USER, Entity, EntityKind, name, path, required
from opendynamo.api.iam.sts import role_arn_parts
from opendynamo.authz.access import Access, Spec, tag_keys
from opendynamo.authz.policy.identity import Identity, compiled, managed_owner_and_name
from opendynamo.authz.policy.managed import AWS_MANAGED
from opendynamo.engine import directory, passwords
from opendynamo.storage.base import ReadTxn


@dataclass(frozen=True, slots=True)
class IamSpec:
    """How an IAM action names its entity: `member` (and its wire `field` and longest
    length), `caller` when an absent member means the calling user (with no member: always
    the calling user). Without a member nor `caller`, no entity: a listing (AWS names the
    resource `<kind>/<path prefix>`), or with `account` a setting of the account ("*")."""

    kind: EntityKind
    member: str | None
    field: str = ""
    longest: int = 128
    caller: bool = False
    keys: tuple[str, ...] = ()
    creates: bool = False
    account: bool = False

    @property
    def spec(self) -> Spec:
        if self.member is None and not self.caller:
            return Spec((), ("*",), self.keys)
        return Spec((), (self.kind,), self.keys + _RESOURCE_KEYS.get(self.kind, ()))


_TAGS = ("aws:RequestTag/${TagKey}", "aws:TagKeys")
_POLICY_ARN = ("iam:PolicyARN",)
_RESOURCE_KEYS: dict[str, tuple[str, ...]] = {
    "user": ("aws:ResourceTag/${TagKey}", "iam:ResourceTag/${TagKey}"),
    "role": ("aws:ResourceTag/${TagKey}", "iam:ResourceTag/${TagKey}"),
    "policy": ("aws:ResourceTag/${TagKey}",),
}


def _user(**more: Any) -> IamSpec:
    return IamSpec("user", "UserName", "userName", **more)


def _group(**more: Any) -> IamSpec:
    return IamSpec("group", "GroupName", "groupName", **more)


def _role(**more: Any) -> IamSpec:
    return IamSpec("role", "RoleName", "roleName", **more)


def _policy(**more: Any) -> IamSpec:
    return IamSpec("policy", "PolicyArn", "policyArn", **more)


# The account's password policy: no entity, so the kind only fills the field.
_ACCOUNT = IamSpec("user", None, account=True)


IAM_SPECS: dict[str, IamSpec] = {
    "CreateUser": _user(longest=64, keys=_TAGS, creates=True),
    "GetUser": _user(caller=True),
    "ListUsers": IamSpec("user", None),
    "DeleteUser": _user(),
    "TagUser": _user(keys=_TAGS),
    "UntagUser": _user(keys=("aws:TagKeys",)),
    "ListUserTags": _user(),
    "CreateAccessKey": _user(caller=True),
    "ListAccessKeys": _user(caller=True),
    "UpdateAccessKey": _user(caller=True),
    "DeleteAccessKey": _user(caller=True),
    "CreateLoginProfile": _user(longest=64, caller=True),
    "GetLoginProfile": _user(longest=64, caller=True),
    "UpdateLoginProfile": _user(longest=64),
    "DeleteLoginProfile": _user(longest=64, caller=True),
    "ChangePassword": IamSpec("user", None, caller=True),
    "CreateGroup": _group(creates=True),
    "GetGroup": _group(),
    "ListGroups": IamSpec("group", None),
    "DeleteGroup": _group(),
    "AddUserToGroup": _group(),
    "RemoveUserFromGroup": _group(),
    "ListGroupsForUser": _user(),
    "PutUserPolicy": _user(),
    "GetUserPolicy": _user(),
    "ListUserPolicies": _user(),
    "DeleteUserPolicy": _user(),
    "PutGroupPolicy": _group(),
    "GetGroupPolicy": _group(),
    "ListGroupPolicies": _group(),
    "DeleteGroupPolicy": _group(),
    "PutRolePolicy": _role(),
    "GetRolePolicy": _role(),
    "ListRolePolicies": _role(),
    "DeleteRolePolicy": _role(),
    "CreatePolicy": IamSpec("policy", "PolicyName", "policyName", keys=_TAGS, creates=True),
    "GetPolicy": _policy(),
    "GetPolicyVersion": _policy(),
    "ListPolicyVersions": _policy(),
    "CreatePolicyVersion": _policy(),
    "SetDefaultPolicyVersion": _policy(),
    "DeletePolicyVersion": _policy(),
    "ListPolicies": IamSpec("policy", None),
    "DeletePolicy": _policy(),
    "AttachUserPolicy": _user(keys=_POLICY_ARN),
    "DetachUserPolicy": _user(keys=_POLICY_ARN),
    "ListAttachedUserPolicies": _user(),
    "AttachGroupPolicy": _group(keys=_POLICY_ARN),
    "DetachGroupPolicy": _group(keys=_POLICY_ARN),
    "ListAttachedGroupPolicies": _group(),
    "AttachRolePolicy": _role(keys=_POLICY_ARN),
    "DetachRolePolicy": _role(keys=_POLICY_ARN),
    "ListAttachedRolePolicies": _role(),
    "CreateRole": _role(longest=64, keys=_TAGS, creates=True),
    "GetRole": _role(),
    "ListRoles": IamSpec("role", None),
    "UpdateAssumeRolePolicy": _role(),
    "DeleteRole": _role(),
    "ListInstanceProfilesForRole": _role(),
    "GetAccountPasswordPolicy": _ACCOUNT,
    "UpdateAccountPasswordPolicy": _ACCOUNT,
    "DeleteAccountPasswordPolicy": _ACCOUNT,
}
# What an account's password policy with AllowUsersToChangePassword lets each of its IAM users
# do beside their own policies (`with_account_grants`).
OWN_PASSWORD_ACTIONS = frozenset({"ChangePassword", "GetAccountPasswordPolicy"})
ASSUME_ROLE_KEYS = (
    "sts:RoleSessionName",
    "sts:ExternalId",
    "sts:SourceIdentity",
    "aws:RequestTag/${TagKey}",
    "aws:TagKeys",
    "sts:TransitiveTagKeys",
    "aws:ResourceTag/${TagKey}",
    "iam:ResourceTag/${TagKey}",
)
# GetCallerIdentity and GetSessionToken need no permission: IAM policies cannot deny them.
STS_SPECS: dict[str, Spec] = {
    "AssumeRole": Spec(("sts:AssumeRole",), ("role",), ASSUME_ROLE_KEYS),
    "GetSessionToken": Spec((), ()),
    "GetCallerIdentity": Spec((), ()),
}


def resolve(txn: ReadTxn, who: Identity, action: str, params: dict[str, Any]) -> Entity | None:
    """The entity `action` acts on, as its declaration names it (None for a listing);
    ValidationError for a malformed name, and for an action on "the caller" by a caller that
    is no IAM user (a role session)."""
    spec = IAM_SPECS[action]
    account = who.account
    if spec.member is None:
        return _own_user(txn, who) if spec.caller else None
    if spec.kind == "policy":
        if spec.creates:
            policy_name = name(params, "PolicyName", "policyName", 128)
            arn = f"arn:aws:iam::{account}:policy{path(params)}{policy_name}"
            return Entity(account, "policy", policy_name, arn)
        arn = required(params, "PolicyArn", "policyArn")
        return Entity(account, "policy", arn, arn, _policy_row(txn, account, arn))
    if params.get(spec.member) is None and spec.caller:
        return _caller(txn, who)
    entity_name = name(params, spec.member, spec.field, spec.longest)
    row = directory.get_entity(txn, account, spec.kind, entity_name.lower())
    if row is not None:
        return Entity(account, spec.kind, entity_name, str(row["Arn"]), row)
    entity_path = path(params) if spec.creates else "/"
    return Entity(
        account,
        spec.kind,
        entity_name,
        f"arn:aws:iam::{account}:{spec.kind}{entity_path}{entity_name}",
    )


def _caller(txn: ReadTxn, who: Identity) -> Entity:
    """The calling user itself; the account's root for root. A role session is no IAM user."""
    if who.name is not None:
        row = directory.get_entity(txn, who.account, "user", who.name.lower())
        return Entity(who.account, "user", who.name, who.arn, row)
    if who.is_root:
        return Entity(who.account, "root", who.account, who.arn)
    raise errors.invalid_input(NON_USER)


def _own_user(txn: ReadTxn, who: Identity) -> Entity:
    """The calling IAM user, for an action only a user can take on itself (ChangePassword):
    InvalidUserType for root and for a role session."""
    if who.name is None:
        raise errors.invalid_user_type("Only IAM users can change their own password.")
    return _caller(txn, who)


def with_account_grants(txn: ReadTxn, who: Identity, action: str) -> Identity:
    """The caller with what its account grants beside its own policies: under a password
    policy with AllowUsersToChangePassword, every IAM user may change its own password and
    read the policy, as if IAMUserChangePassword were attached to it (AWS applies it at the
    account level). Explicit denies in the user's policies still refuse."""
    if action not in OWN_PASSWORD_ACTIONS or who.kind != "user":
        return who
    if not passwords.rules(txn, who.account).users_may_change:
        return who
    grant = compiled(AWS_MANAGED["IAMUserChangePassword"])
    return dataclasses.replace(who, policies=(*who.policies, grant))


def _policy_row(txn: ReadTxn, account: str, arn: str) -> dict[str, Any] | None:
    owner, policy_name = managed_owner_and_name(arn)
    if owner != account:
        return None
    row = directory.get_entity(txn, account, "policy", policy_name.lower())
    return row if row is not None and row["Arn"] == arn else None


def accesses(
    who: Identity, action: str, params: dict[str, Any], target: Entity | None
) -> list[Access]:
    """The one permission an IAM action needs: `iam:<Action>` on its entity (or, for a
    listing, on `<kind>/<PathPrefix>` as IAM names it), with the action's condition keys."""
    spec = IAM_SPECS[action]
    if target is None and spec.account:
        return [Access(f"iam:{action}", "*", None)]
    if target is None:
        prefix = str(params.get("PathPrefix", "/"))
        if spec.kind == "policy":
            resource = f"policy path {prefix}"  # IAM's own wording, not an ARN
        else:
            resource = f"arn:aws:iam::{who.account}:{spec.kind}{prefix}"
        return [Access(f"iam:{action}", resource, None)]
    return [Access(f"iam:{action}", target.arn, target, _iam_context(spec, params, target))]


def _iam_context(spec: IamSpec, params: dict[str, Any], target: Entity) -> dict[str, Any]:
    context: dict[str, Any] = {}
    if "iam:PolicyARN" in spec.keys:
        context["iam:PolicyARN"] = required(params, "PolicyArn", "policyArn")
    if "aws:RequestTag/${TagKey}" in spec.keys:
        context.update(request_tags(params.get("Tags") or []))
    elif "aws:TagKeys" in spec.keys:
        context["aws:TagKeys"] = [str(key) for key in params.get("TagKeys") or []]
    context.update(resource_tags(target.kind, target.row))
    return context


def request_tags(tags: list[Any]) -> dict[str, Any]:
    given = {str(tag["Key"]): str(tag.get("Value", "")) for tag in tags}
    return {**tag_keys("aws:RequestTag", given), "aws:TagKeys": sorted(given)}


def resource_tags(kind: str, row: dict[str, Any] | None) -> dict[str, str]:
    """aws:ResourceTag/… (and iam:ResourceTag/… for users and roles) of an entity's tags."""
    if row is None or kind not in _RESOURCE_KEYS:
        return {}
    tags = {tag["Key"]: tag["Value"] for tag in row.get("Tags") or ()}
    context = tag_keys("aws:ResourceTag", tags)
    if kind in ("user", "role"):
        context.update(tag_keys("iam:ResourceTag", tags))
    return context


# --- STS AssumeRole --------------------------------------------------------------------------


def assume_role_target(txn: ReadTxn, who: Identity, params: dict[str, Any]) -> Entity | None:
    """The role AssumeRole names, in the account its ARN names (None when there is none)."""
    role_arn = required(params, "RoleArn", "roleArn")
    parts = role_arn_parts(role_arn)
    if parts is None:
        return None
    account, role_name = parts
    row = directory.get_entity(txn, account, "role", role_name.lower())
    if row is None or row["Arn"] != role_arn:
        return None
    return Entity(account, "role", str(row["RoleName"]), role_arn, row)


def assume_role_context(params: dict[str, Any], role: Entity) -> dict[str, Any]:
    """AssumeRole's condition keys (sts:…, session tags, the role's tags)."""
    context: dict[str, Any] = {"sts:RoleSessionName": params.get("RoleSessionName")}
    for member, key in (("ExternalId", "sts:ExternalId"), ("SourceIdentity", "sts:SourceIdentity")):
        if params.get(member) is not None:
            context[key] = str(params[member])
    if params.get("Tags"):
        context.update(request_tags(params["Tags"]))
    if params.get("TransitiveTagKeys"):
        context["sts:TransitiveTagKeys"] = [str(k) for k in params["TransitiveTagKeys"]]
    context.update(resource_tags("role", role.row))
    return context
