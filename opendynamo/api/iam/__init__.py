"""IAM and STS, served beside DynamoDB in the AWS query protocol, and their operation tables
by action name.

The README's list of supported IAM and STS actions is checked against these tables by a test.
"""

from __future__ import annotations

from opendynamo.api.iam import entities, logins, policies, sts, versions
from opendynamo.api.request.context import QueryHandler

IAM_OPERATIONS: dict[str, QueryHandler] = {
    "CreateUser": entities.create_user,
    "GetUser": entities.get_user,
    "ListUsers": entities.list_users,
    "DeleteUser": entities.delete_user,
    "TagUser": entities.tag_user,
    "UntagUser": entities.untag_user,
    "ListUserTags": entities.list_user_tags,
    "CreateAccessKey": entities.create_access_key,
    "ListAccessKeys": entities.list_access_keys,
    "UpdateAccessKey": entities.update_access_key,
    "DeleteAccessKey": entities.delete_access_key,
    "CreateLoginProfile": logins.create_login_profile,
    "GetLoginProfile": logins.get_login_profile,
    "UpdateLoginProfile": logins.update_login_profile,
    "DeleteLoginProfile": logins.delete_login_profile,
    "ChangePassword": logins.change_password,
    "CreateGroup": entities.create_group,
    "GetGroup": entities.get_group,
    "ListGroups": entities.list_groups,
    "DeleteGroup": entities.delete_group,
    "AddUserToGroup": entities.add_user_to_group,
    "RemoveUserFromGroup": entities.remove_user_from_group,
    "ListGroupsForUser": entities.list_groups_for_user,
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
    "GetPolicyVersion": versions.get_policy_version,
    "ListPolicyVersions": versions.list_policy_versions,
    "CreatePolicyVersion": versions.create_policy_version,
    "SetDefaultPolicyVersion": versions.set_default_policy_version,
    "DeletePolicyVersion": versions.delete_policy_version,
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
    "GetAccountPasswordPolicy": logins.get_account_password_policy,
    "UpdateAccountPasswordPolicy": logins.update_account_password_policy,
    "DeleteAccountPasswordPolicy": logins.delete_account_password_policy,
}

STS_OPERATIONS: dict[str, QueryHandler] = {
    "GetCallerIdentity": sts.get_caller_identity,
    "GetSessionToken": sts.get_session_token,
    "AssumeRole": sts.assume_role,
}
