"""The operation tables of the IAM and STS APIs served beside DynamoDB's, by action name.

The README's list of supported IAM and STS actions is checked against these tables by a test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opendynamo.api import iam, iam_versions, sts
from opendynamo.api import iam_policies as policies
from opendynamo.api.context import Context

QueryHandler = Callable[[Context, dict[str, Any]], "dict[str, Any] | None"]

IAM_OPERATIONS: dict[str, QueryHandler] = {
    "CreateUser": iam.create_user,
    "GetUser": iam.get_user,
    "ListUsers": iam.list_users,
    "DeleteUser": iam.delete_user,
    "TagUser": iam.tag_user,
    "UntagUser": iam.untag_user,
    "ListUserTags": iam.list_user_tags,
    "CreateAccessKey": iam.create_access_key,
    "ListAccessKeys": iam.list_access_keys,
    "UpdateAccessKey": iam.update_access_key,
    "DeleteAccessKey": iam.delete_access_key,
    "CreateGroup": iam.create_group,
    "GetGroup": iam.get_group,
    "ListGroups": iam.list_groups,
    "DeleteGroup": iam.delete_group,
    "AddUserToGroup": iam.add_user_to_group,
    "RemoveUserFromGroup": iam.remove_user_from_group,
    "ListGroupsForUser": iam.list_groups_for_user,
    "PutUserPolicy": policies.put_inline("user"),
    "GetUserPolicy": policies.get_inline("user"),
    "ListUserPolicies": policies.list_inline("user"),
    "DeleteUserPolicy": policies.delete_inline("user"),
    "PutGroupPolicy": policies.put_inline("group"),
    "GetGroupPolicy": policies.get_inline("group"),
    "ListGroupPolicies": policies.list_inline("group"),
    "DeleteGroupPolicy": policies.delete_inline("group"),
    "PutRolePolicy": policies.put_inline("role"),
    "GetRolePolicy": policies.get_inline("role"),
    "ListRolePolicies": policies.list_inline("role"),
    "DeleteRolePolicy": policies.delete_inline("role"),
    "CreatePolicy": policies.create_policy,
    "GetPolicy": policies.get_policy,
    "GetPolicyVersion": iam_versions.get_policy_version,
    "ListPolicyVersions": iam_versions.list_policy_versions,
    "CreatePolicyVersion": iam_versions.create_policy_version,
    "SetDefaultPolicyVersion": iam_versions.set_default_policy_version,
    "DeletePolicyVersion": iam_versions.delete_policy_version,
    "ListPolicies": policies.list_policies,
    "DeletePolicy": policies.delete_policy,
    "AttachUserPolicy": policies.attach("user"),
    "DetachUserPolicy": policies.detach("user"),
    "ListAttachedUserPolicies": policies.list_attached("user"),
    "AttachGroupPolicy": policies.attach("group"),
    "DetachGroupPolicy": policies.detach("group"),
    "ListAttachedGroupPolicies": policies.list_attached("group"),
    "AttachRolePolicy": policies.attach("role"),
    "DetachRolePolicy": policies.detach("role"),
    "ListAttachedRolePolicies": policies.list_attached("role"),
    "CreateRole": policies.create_role,
    "GetRole": policies.get_role,
    "ListRoles": policies.list_roles,
    "UpdateAssumeRolePolicy": policies.update_assume_role_policy,
    "DeleteRole": policies.delete_role,
    "ListInstanceProfilesForRole": policies.list_instance_profiles_for_role,
}

STS_OPERATIONS: dict[str, QueryHandler] = {
    "GetCallerIdentity": sts.get_caller_identity,
    "GetSessionToken": sts.get_session_token,
    "AssumeRole": sts.assume_role,
}
