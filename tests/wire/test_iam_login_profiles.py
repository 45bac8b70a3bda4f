"""IAM console passwords over the wire: boto3's `iam` client against a server started with
`--auth iam`, so every request is signed and authorized by IAM's logic.

Pinned, as AWS documents and answers it: CreateLoginProfile / GetLoginProfile /
UpdateLoginProfile / DeleteLoginProfile with their codes and messages (EntityAlreadyExists
409, NoSuchEntity 404 "Login Profile for User bob cannot be found."); AWS's default password
rules without an account password policy, the policy's own with one (PasswordPolicyViolation
400) and PasswordReusePrevention; the account password policy (UpdateAccountPasswordPolicy
replaces the whole policy; ValidationError lists every number out of range; NoSuchEntity "The
Password Policy with domain name 000000000000 cannot be found."); ChangePassword for the
calling IAM user only (InvalidUserType for root and role sessions), allowed by the user's
policies or by the policy's AllowUsersToChangePassword; DeleteUser refused (DeleteConflict)
while the user has a login profile; and a password that never appears in an answer, the
server's output or any byte of the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import Backend, Server, creds_of, stored_bytes, unique_name
from tests.wire.test_iam_sts import (
    ACCOUNT,
    AUTH_ARGS,
    IAM_ARN,
    ROOT_CREDS,
    Creds,
    denied,
    doc,
    expect,
    trust,
)

POLICY_VIOLATION = "Password does not conform to the account password policy."
NO_POLICY = f"The Password Policy with domain name {ACCOUNT} cannot be found."
READ_ONLY_IAM = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
CHANGE_OWN = "arn:aws:iam::aws:policy/IAMUserChangePassword"
GOOD = "Corr3ct-horse"  # three kinds of characters: AWS's default rules accept it


def no_profile(name: str) -> str:
    return f"Login Profile for User {name} cannot be found."


@dataclass
class Env:
    """The module's server, root's IAM client, and every answer body the clients received."""

    server: Server
    iam: Any
    answers: list[bytes] = field(default_factory=list)

    def client(self, service: str, creds: Creds) -> Any:
        return self.recorded(self.server.client(service, **creds))

    def unchecked_iam(self) -> Any:
        """Root's IAM client without botocore's own parameter checks, to reach the server's."""
        unchecked = Config(parameter_validation=False, retries={"total_max_attempts": 1})
        client = boto3.client(
            "iam",
            endpoint_url=self.server.endpoint,
            region_name="us-east-1",
            config=unchecked,
            **ROOT_CREDS,
        )
        return self.recorded(client)

    def recorded(self, client: Any) -> Any:
        def keep(http_response: Any, **_: Any) -> None:
            self.answers.append(bytes(http_response.content))

        client.meta.events.register("after-call", keep)
        return client

    def new_user(self, *attached: str, inline: str | None = None) -> tuple[str, Creds]:
        name = unique_name("u")
        self.iam.create_user(UserName=name)
        for arn in attached:
            self.iam.attach_user_policy(UserName=name, PolicyArn=arn)
        if inline is not None:
            self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=inline)
        return name, creds_of(self.iam.create_access_key(UserName=name)["AccessKey"])

    def user_arn(self, name: str) -> str:
        return f"{IAM_ARN}:user/{name}"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Env]:
    server = Server(
        tmp_path_factory.mktemp("logins"), workers=2, extra_args=AUTH_ARGS + backend()
    ).start()
    try:
        env = Env(server, None)
        env.iam = env.recorded(server.client("iam", **ROOT_CREDS))
        yield env
    finally:
        server.stop()


@pytest.fixture
def policy(env: Env) -> Iterator[Any]:
    """Sets the account password policy for one test (`policy(**members)`), and removes it
    after, so the other tests see AWS's default rules."""

    def put(**members: Any) -> None:
        env.iam.update_account_password_policy(**members)

    yield put
    try:
        env.iam.delete_account_password_policy()
    except env.iam.exceptions.NoSuchEntityException:
        pass


# --- login profiles --------------------------------------------------------------------------


def test_login_profile_lifecycle(env: Env) -> None:
    name, _ = env.new_user()
    made = env.iam.create_login_profile(UserName=name, Password=GOOD, PasswordResetRequired=True)
    profile = made["LoginProfile"]
    assert (profile["UserName"], profile["PasswordResetRequired"]) == (name, True)
    assert set(profile) == {"UserName", "CreateDate", "PasswordResetRequired"}
    got = env.iam.get_login_profile(UserName=name)["LoginProfile"]
    assert got == profile
    env.iam.update_login_profile(UserName=name, PasswordResetRequired=False)
    assert (
        env.iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    )
    env.iam.update_login_profile(UserName=name, Password="An0ther-one")  # the flag stays
    assert (
        env.iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    )
    env.iam.update_login_profile(UserName=name)  # nothing to change
    env.iam.delete_login_profile(UserName=name)
    for call in (env.iam.get_login_profile, env.iam.delete_login_profile):
        expect(call, "NoSuchEntity", 404, no_profile(name), UserName=name)
    params = {"UserName": name, "Password": GOOD}
    expect(env.iam.update_login_profile, "NoSuchEntity", 404, no_profile(name), **params)
    assert env.iam.create_login_profile(**params)["LoginProfile"]["PasswordResetRequired"] is False


def test_a_second_login_profile_is_refused(env: Env) -> None:
    name, _ = env.new_user()
    env.iam.create_login_profile(UserName=name, Password=GOOD)
    exists = f"Login Profile for user {name} already exists."
    params = {"UserName": name, "Password": "Diff3rent-one"}
    expect(env.iam.create_login_profile, "EntityAlreadyExists", 409, exists, **params)


def test_login_profiles_of_missing_users(env: Env) -> None:
    missing = unique_name("nobody")
    gone = f"The user with name {missing} cannot be found."
    expect(env.iam.create_login_profile, "NoSuchEntity", 404, gone, UserName=missing, Password=GOOD)
    expect(env.iam.get_login_profile, "NoSuchEntity", 404, gone, UserName=missing)
    expect(env.iam.delete_login_profile, "NoSuchEntity", 404, gone, UserName=missing)


def test_get_login_profile_without_a_name_is_the_callers(env: Env) -> None:
    name, creds = env.new_user(
        inline=doc("iam:GetLoginProfile", f"{IAM_ARN}:user/${{aws:username}}")
    )
    env.iam.create_login_profile(UserName=name, Password=GOOD)
    assert env.client("iam", creds).get_login_profile()["LoginProfile"]["UserName"] == name
    non_user = "Must specify userName when calling with non-User credentials"
    expect(env.iam.get_login_profile, "ValidationError", 400, non_user)  # root has none here


def test_delete_user_is_refused_while_it_has_a_login_profile(env: Env) -> None:
    name = unique_name("u")
    env.iam.create_user(UserName=name)
    env.iam.create_login_profile(UserName=name, Password=GOOD)
    conflict = "Cannot delete entity, must delete login profile first."
    expect(env.iam.delete_user, "DeleteConflict", 409, conflict, UserName=name)
    env.iam.delete_login_profile(UserName=name)
    env.iam.delete_user(UserName=name)


def test_password_members_are_validated_without_echoing_them(env: Env) -> None:
    name, _ = env.new_user()
    iam = env.unchecked_iam()
    long = "L0ng-" + "x" * 124
    too_long = (
        "1 validation error detected: Value at 'password' failed to satisfy constraint: "
        "Member must have length less than or equal to 128"
    )
    params = {"UserName": name, "Password": long}
    assert long not in expect(iam.create_login_profile, "ValidationError", 400, too_long, **params)
    pattern = r"Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+"
    params = {"UserName": name, "Password": "Ab1\u0101xyz!"}
    assert expect(iam.create_login_profile, "ValidationError", 400, **params).endswith(pattern)
    expect(iam.get_login_profile, "NoSuchEntity", 404, no_profile(name), UserName=name)


# --- the rules -------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Short-1", "all-lower-case", "NoDigitsOrSymbols", "name"])
def test_aws_default_rules_apply_without_a_policy(env: Env, password: str) -> None:
    """8 characters at least, three of upper case, lower case, digits and symbols, not the
    user's name."""
    expect(env.iam.get_account_password_policy, "NoSuchEntity", 404, NO_POLICY)
    name = unique_name("Same")  # upper and lower case, digits, a symbol
    env.iam.create_user(UserName=name)
    params = {"UserName": name, "Password": name if password == "name" else password}
    expect(env.iam.create_login_profile, "PasswordPolicyViolation", 400, POLICY_VIOLATION, **params)
    expect(env.iam.get_login_profile, "NoSuchEntity", 404, no_profile(name), UserName=name)
    env.iam.create_login_profile(UserName=name, Password=GOOD)


def test_a_policy_replaces_the_default_rules(env: Env, policy: Any) -> None:
    policy(MinimumPasswordLength=12, RequireSymbols=True, RequireNumbers=True)
    name, _ = env.new_user()
    for weak in ("Sh0rt-pw", "long-enough-but-no-digit", "long enough 123"):
        params = {"UserName": name, "Password": weak}
        expect(
            env.iam.create_login_profile, "PasswordPolicyViolation", 400, POLICY_VIOLATION, **params
        )
    env.iam.create_login_profile(UserName=name, Password="lowercase-only-1")  # 3 kinds not needed
    params = {"UserName": name, "Password": "tiny-1"}
    expect(env.iam.update_login_profile, "PasswordPolicyViolation", 400, POLICY_VIOLATION, **params)


def test_reuse_prevention(env: Env, policy: Any) -> None:
    policy(MinimumPasswordLength=8, PasswordReusePrevention=2)
    name, _ = env.new_user()
    env.iam.create_login_profile(UserName=name, Password="first-pass-1")
    env.iam.update_login_profile(UserName=name, Password="second-pass-2")
    for recent in ("second-pass-2", "first-pass-1"):
        params = {"UserName": name, "Password": recent}
        expect(
            env.iam.update_login_profile, "PasswordPolicyViolation", 400, POLICY_VIOLATION, **params
        )
    env.iam.update_login_profile(UserName=name, Password="third-pass-3")
    env.iam.update_login_profile(UserName=name, Password="first-pass-1")  # 3 passwords ago


# --- the account password policy --------------------------------------------------------------


def test_account_password_policy_lifecycle(env: Env, policy: Any) -> None:
    expect(env.iam.get_account_password_policy, "NoSuchEntity", 404, NO_POLICY)
    expect(env.iam.delete_account_password_policy, "NoSuchEntity", 404, NO_POLICY)
    policy(
        MinimumPasswordLength=10,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
        MaxPasswordAge=60,
        PasswordReusePrevention=3,
        HardExpiry=True,
    )
    assert env.iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 10,
        "RequireSymbols": True,
        "RequireNumbers": True,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True,
        "ExpirePasswords": True,
        "MaxPasswordAge": 60,
        "PasswordReusePrevention": 3,
        "HardExpiry": True,
    }
    policy(RequireNumbers=True)  # no partial updates: everything else back to its default
    assert env.iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6,
        "RequireSymbols": False,
        "RequireNumbers": True,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": False,
        "HardExpiry": False,
    }
    env.iam.delete_account_password_policy()
    expect(env.iam.get_account_password_policy, "NoSuchEntity", 404, NO_POLICY)


def test_account_password_policy_validation(env: Env) -> None:
    iam = env.unchecked_iam()
    three = (
        "3 validation errors detected: "
        "Value '129' at 'minimumPasswordLength' failed to satisfy constraint: "
        "Member must have value less than or equal to 128; "
        "Value '25' at 'passwordReusePrevention' failed to satisfy constraint: "
        "Member must have value less than or equal to 24; "
        "Value '1096' at 'maxPasswordAge' failed to satisfy constraint: "
        "Member must have value less than or equal to 1095"
    )
    params = {"MaxPasswordAge": 1096, "MinimumPasswordLength": 129, "PasswordReusePrevention": 25}
    expect(iam.update_account_password_policy, "ValidationError", 400, three, **params)
    low = (
        "1 validation error detected: Value '0' at 'maxPasswordAge' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1"
    )
    expect(iam.update_account_password_policy, "ValidationError", 400, low, MaxPasswordAge=0)
    expect(iam.get_account_password_policy, "NoSuchEntity", 404, NO_POLICY)  # nothing set


# --- ChangePassword ---------------------------------------------------------------------------


def test_change_password_needs_permission_or_the_policy_flag(env: Env, policy: Any) -> None:
    name, creds = env.new_user()
    env.iam.create_login_profile(UserName=name, Password=GOOD, PasswordResetRequired=True)
    iam = env.client("iam", creds)
    change = {"OldPassword": GOOD, "NewPassword": "N3w-password"}
    why = denied(env.user_arn(name), "iam:ChangePassword", env.user_arn(name))
    expect(iam.change_password, "AccessDenied", 403, why, **change)
    expect(iam.get_account_password_policy, "AccessDenied", 403)
    policy(AllowUsersToChangePassword=True, MinimumPasswordLength=8)
    assert iam.get_account_password_policy()["PasswordPolicy"]["AllowUsersToChangePassword"]
    iam.change_password(**change)
    assert (
        env.iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    )
    policy(AllowUsersToChangePassword=False, MinimumPasswordLength=8)
    again = {"OldPassword": "N3w-password", "NewPassword": "Th1rd-password"}
    expect(iam.change_password, "AccessDenied", 403, why, **again)
    env.iam.attach_user_policy(UserName=name, PolicyArn=CHANGE_OWN)  # AWS's managed policy
    iam.change_password(**again)
    version = env.iam.get_policy_version(PolicyArn=CHANGE_OWN, VersionId="v1")["PolicyVersion"]
    assert "arn:aws:iam::*:user/${aws:username}" in json.dumps(version["Document"])


def test_an_explicit_deny_beats_the_policy_flag(env: Env, policy: Any) -> None:
    policy(AllowUsersToChangePassword=True)
    deny = doc("iam:ChangePassword", effect="Deny")
    name, creds = env.new_user(inline=deny)
    env.iam.create_login_profile(UserName=name, Password=GOOD)
    change = {"OldPassword": GOOD, "NewPassword": "N3w-password"}
    expect(env.client("iam", creds).change_password, "AccessDenied", 403, **change)


def test_change_password_checks_the_old_and_the_new(env: Env, policy: Any) -> None:
    own = doc("iam:ChangePassword", f"{IAM_ARN}:user/${{aws:username}}")
    name, creds = env.new_user(inline=own)
    iam = env.client("iam", creds)
    change = {"OldPassword": GOOD, "NewPassword": "N3w-password"}
    expect(iam.change_password, "NoSuchEntity", 404, no_profile(name), **change)
    env.iam.create_login_profile(UserName=name, Password=GOOD)
    wrong = {"OldPassword": "not-the-password", "NewPassword": "N3w-password"}
    expect(iam.change_password, "AccessDenied", 403, "The old password is incorrect.", **wrong)
    weak = {"OldPassword": GOOD, "NewPassword": "weak"}
    expect(iam.change_password, "PasswordPolicyViolation", 400, POLICY_VIOLATION, **weak)
    policy(MinimumPasswordLength=8, PasswordReusePrevention=1)
    same = {"OldPassword": GOOD, "NewPassword": GOOD}
    expect(iam.change_password, "PasswordPolicyViolation", 400, POLICY_VIOLATION, **same)
    iam.change_password(**change)
    expect(iam.change_password, "AccessDenied", 403, "The old password is incorrect.", **change)


def test_change_password_is_for_iam_users_only(env: Env) -> None:
    change = {"OldPassword": GOOD, "NewPassword": "N3w-password"}
    only_users = "Only IAM users can change their own password."
    expect(env.iam.change_password, "InvalidUserType", 400, only_users, **change)
    name, creds = env.new_user()
    role = unique_name("r")
    arn = env.iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust(env.user_arn(name)))[
        "Role"
    ]["Arn"]
    env.iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=doc("iam:*"))
    session = env.client("sts", creds).assume_role(RoleArn=arn, RoleSessionName="session")
    role_iam = env.client("iam", creds_of(session["Credentials"]))
    expect(role_iam.change_password, "InvalidUserType", 400, only_users, **change)


# --- authorization ----------------------------------------------------------------------------


def test_a_limited_user_may_not_create_login_profiles(env: Env) -> None:
    name, creds = env.new_user(READ_ONLY_IAM)
    other, _ = env.new_user()
    env.iam.create_login_profile(UserName=other, Password=GOOD)
    iam = env.client("iam", creds)
    profile = iam.get_login_profile(UserName=other)["LoginProfile"]  # IAMReadOnlyAccess: Get*
    assert profile["UserName"] == other
    expect(iam.get_account_password_policy, "NoSuchEntity", 404, NO_POLICY)  # allowed, none set
    why = denied(env.user_arn(name), "iam:CreateLoginProfile", env.user_arn(name))
    params = {"UserName": name, "Password": GOOD}
    expect(iam.create_login_profile, "AccessDenied", 403, why, **params)
    why = denied(env.user_arn(name), "iam:UpdateAccountPasswordPolicy", "*")
    expect(iam.update_account_password_policy, "AccessDenied", 403, why, MinimumPasswordLength=8)
    why = denied(env.user_arn(name), "iam:DeleteLoginProfile", env.user_arn(other))
    expect(iam.delete_login_profile, "AccessDenied", 403, why, UserName=other)
    assert env.iam.get_login_profile(UserName=other)["LoginProfile"]["UserName"] == other


# --- secrecy ----------------------------------------------------------------------------------


def test_no_answer_output_or_stored_byte_holds_a_password(env: Env, policy: Any) -> None:
    """Runs last in the module: every answer any test received is checked too."""
    policy(AllowUsersToChangePassword=True, PasswordReusePrevention=3)
    first, second = f"Pl41n-{unique_name('a')}", f"Pl41n-{unique_name('b')}"
    name, creds = env.new_user()
    env.iam.create_login_profile(UserName=name, Password=first)
    env.client("iam", creds).change_password(OldPassword=first, NewPassword=second)
    params = {"UserName": name, "Password": first}
    expect(env.iam.update_login_profile, "PasswordPolicyViolation", 400, **params)
    secrets = [GOOD, "N3w-password", "first-pass-1", first, second]
    for secret in secrets:
        raw = secret.encode()
        assert not any(raw in answer for answer in env.answers), secret
        assert secret not in env.server.output(), secret
        assert not any(raw in stored for stored in stored_bytes(env.server)), secret
    assert any(b"LoginProfile" in answer for answer in env.answers)  # the recording works
