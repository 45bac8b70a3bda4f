"""Console passwords (`engine/passwords`) on a real SQLite store: scrypt hashes with their
parameters inside, AWS's default rules and a policy's, reuse prevention over the kept hashes,
expiry, the account password policy's validation, and console sign-ins whose work does not
depend on which part was wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from opendynamo import errors
from opendynamo.engine import directory, passwords
from opendynamo.engine.passwords import DEFAULT_RULES, Rules, SignIn
from opendynamo.storage.base import Store
from opendynamo.storage.sqlite import open_store

ACCOUNT = "000000000000"
NOW = 1_700_000_000.0
GOOD = "Corr3ct-horse"


@pytest.fixture
def cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    """New hashes at scrypt's least cost, so a test can make many (what is verified is read
    from each hash, so the rules under test are the same)."""
    monkeypatch.setattr(passwords, "LOG2_N", 4)


@pytest.fixture
def store() -> Iterator[Store]:
    store = open_store(None)
    with store.write() as txn:
        for name in ("alice", "bob"):
            row = {"UserName": name, "UserId": f"AIDA{name.upper()}", "Arn": f"arn:{name}"}
            directory.put_entity(txn, ACCOUNT, "user", name, row)
    yield store
    store.close()


def user(store: Store, name: str = "alice") -> dict[str, Any]:
    with store.read() as txn:
        row = directory.get_entity(txn, ACCOUNT, "user", name)
    assert row is not None
    return row


def give_password(store: Store, password: str, name: str = "alice", now: float = NOW) -> None:
    """What CreateLoginProfile and UpdateLoginProfile do: check, hash, then store."""
    with store.read() as txn:
        rules = passwords.rules(txn, ACCOUNT)
    new = passwords.check_new_password(rules, user(store, name), ACCOUNT, password)
    with store.write() as txn:
        passwords.store_new_password(txn, ACCOUNT, name, new, now, reset_required=None)


def set_policy(store: Store, **values: int | bool) -> None:
    with store.write() as txn:
        passwords.put_password_policy(txn, ACCOUNT, passwords.new_policy(values))


def violation(call: Any, *args: Any) -> None:
    with pytest.raises(errors.ServiceError) as excinfo:
        call(*args)
    assert excinfo.value.code == "PasswordPolicyViolation"
    assert excinfo.value.message == "Password does not conform to the account password policy."


# --- hashes ------------------------------------------------------------------------------------


def test_a_hash_carries_its_parameters_and_a_fresh_salt() -> None:
    first, second = passwords.hash_password(GOOD), passwords.hash_password(GOOD)
    assert first.startswith("$scrypt$ln=14,r=8,p=1$") and first != second
    assert GOOD not in first
    assert passwords.verify_password(first, GOOD) and passwords.verify_password(second, GOOD)
    assert not passwords.verify_password(first, GOOD.upper())
    assert not passwords.verify_password(first, "")


def test_hashes_made_with_other_parameters_still_verify(cheap: None) -> None:
    """The cost can change: a hash is verified with the parameters written in it."""
    older = passwords.hash_password("éphémère 1")
    assert older.startswith("$scrypt$ln=4,")
    assert passwords.verify_password(older, "éphémère 1")
    assert not passwords.verify_password(older, "ephemere 1")


@pytest.mark.parametrize(
    "stored",
    ["", "plain", "$scrypt$ln=14,r=8$c2FsdA$a2V5", "$scrypt$ln=99,r=8,p=1$c2FsdA$a2V5",
     "$bcrypt$ln=14,r=8,p=1$c2FsdA$a2V5", "$scrypt$ln=4,r=8,p=1$!!$a2V5"],
)  # fmt: skip
def test_a_malformed_hash_matches_nothing(stored: str) -> None:
    assert not passwords.verify_password(stored, "anything")


def test_the_dummy_hash_costs_what_a_real_one_does() -> None:
    """A sign-in for a user without a password verifies against it: same parameters as the
    hashes made now, so the same time."""
    made = passwords.hash_password(GOOD).split("$")[2]
    assert passwords._DUMMY.split("$")[2] == made
    assert passwords._parse(passwords._DUMMY) is not None


# --- rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password, ok",
    [
        ("Passw0rd", True),  # upper, lower, digit
        ("passw0r!", True),  # lower, digit, symbol
        ("PASSWORD!1", True),
        ("password", False),  # one kind
        ("Password", False),  # two kinds
        ("Pass w0rd", True),
        ("Pa!1", False),  # too short
        ("Pa!1xyz", False),  # 7 characters
        ("Alice!123", True),
    ],
)
def test_aws_default_rules(password: str, ok: bool) -> None:
    assert passwords.conforms(DEFAULT_RULES, password, "bob") is ok


def test_default_rules_refuse_the_user_name() -> None:
    assert not passwords.conforms(DEFAULT_RULES, "Alice.1234", "alice.1234")
    assert passwords.conforms(DEFAULT_RULES, "Alice.1234", "alice")


def test_a_policy_replaces_the_default_rules() -> None:
    rules = passwords.rules_of(passwords.new_policy({"MinimumPasswordLength": 6}))
    assert passwords.conforms(rules, "simple", "alice")  # one kind is enough now
    assert not passwords.conforms(rules, "short", "alice")
    strict = passwords.rules_of(
        passwords.new_policy(
            {
                "MinimumPasswordLength": 10,
                "RequireSymbols": True,
                "RequireNumbers": True,
                "RequireUppercaseCharacters": True,
                "RequireLowercaseCharacters": True,
            }
        )
    )
    assert passwords.conforms(strict, "Abcdefgh1!", "alice")
    for missing in ("abcdefgh1!", "ABCDEFGH1!", "Abcdefghi!", "Abcdefgh12", "Abcdef1!"):
        assert not passwords.conforms(strict, missing, "alice"), missing


def test_new_policy_defaults_and_view() -> None:
    row = passwords.new_policy({})
    assert passwords.policy_view(row) == {
        "MinimumPasswordLength": 6,
        "RequireSymbols": False,
        "RequireNumbers": False,
        "RequireUppercaseCharacters": False,
        "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False,
        "ExpirePasswords": False,
        "HardExpiry": False,
    }
    view = passwords.policy_view(
        passwords.new_policy({"MaxPasswordAge": 90, "PasswordReusePrevention": 5})
    )
    assert (view["ExpirePasswords"], view["MaxPasswordAge"], view["PasswordReusePrevention"]) == (
        True,
        90,
        5,
    )
    assert passwords.rules_of(passwords.new_policy({})).users_may_change is False


def test_new_policy_lists_every_number_out_of_range() -> None:
    with pytest.raises(errors.ServiceError) as excinfo:
        passwords.new_policy(
            {"MaxPasswordAge": 1096, "MinimumPasswordLength": 129, "PasswordReusePrevention": 25}
        )
    assert excinfo.value.code == "ValidationError"
    assert excinfo.value.message == (
        "3 validation errors detected: "
        "Value '129' at 'minimumPasswordLength' failed to satisfy constraint: "
        "Member must have value less than or equal to 128; "
        "Value '25' at 'passwordReusePrevention' failed to satisfy constraint: "
        "Member must have value less than or equal to 24; "
        "Value '1096' at 'maxPasswordAge' failed to satisfy constraint: "
        "Member must have value less than or equal to 1095"
    )
    with pytest.raises(errors.ServiceError) as excinfo:
        passwords.new_policy({"MinimumPasswordLength": 5})
    assert excinfo.value.message == (
        "1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy "
        "constraint: Member must have value greater than or equal to 6"
    )


def test_expiry_counts_days_since_the_last_change() -> None:
    profile = {"PasswordLastChanged": NOW}
    rules = Rules(8, max_age_days=30)
    assert not passwords.expired(profile, rules, NOW + 30 * 86_400 - 1)
    assert passwords.expired(profile, rules, NOW + 30 * 86_400)
    assert not passwords.expired(profile, DEFAULT_RULES, NOW + 10_000 * 86_400)


def test_the_account_password_policy_row(store: Store) -> None:
    with store.read() as txn:
        with pytest.raises(errors.ServiceError) as excinfo:
            passwords.password_policy(txn, ACCOUNT)
    assert excinfo.value.message == (
        f"The Password Policy with domain name {ACCOUNT} cannot be found."
    )
    set_policy(store, AllowUsersToChangePassword=True)
    with store.read() as txn:
        assert passwords.rules(txn, ACCOUNT).users_may_change
    with store.write() as txn:
        passwords.delete_password_policy(txn, ACCOUNT)
    with store.read() as txn:
        assert passwords.rules(txn, ACCOUNT) == DEFAULT_RULES
    with store.write() as txn, pytest.raises(errors.ServiceError):
        passwords.delete_password_policy(txn, ACCOUNT)


# --- login profiles ----------------------------------------------------------------------------


def test_a_profile_stores_hashes_only(store: Store) -> None:
    give_password(store, GOOD)
    row = user(store)
    profile = row["LoginProfile"]
    assert GOOD not in repr(row)
    assert passwords.verify_password(profile["PasswordHashes"][0], GOOD)
    assert profile["PasswordResetRequired"] is False and profile["PasswordLastChanged"] == NOW
    assert passwords.profile_view(row) == {
        "UserName": "alice",
        "CreateDate": "2023-11-14T22:13:20Z",
        "PasswordResetRequired": False,
    }


def test_default_rules_apply_without_a_policy(store: Store) -> None:
    rules = DEFAULT_RULES
    violation(passwords.check_new_password, rules, user(store), ACCOUNT, "alllowercase")
    violation(passwords.check_new_password, rules, user(store), ACCOUNT, "Alice")
    assert user(store).get("LoginProfile") is None


def test_reuse_prevention_compares_with_the_last_passwords(store: Store, cheap: None) -> None:
    set_policy(store, PasswordReusePrevention=2)
    for password in ("first-1", "second-2", "third-3"):
        give_password(store, password)
    with store.read() as txn:
        rules = passwords.rules(txn, ACCOUNT)
    violation(passwords.check_new_password, rules, user(store), ACCOUNT, "third-3")  # current
    violation(passwords.check_new_password, rules, user(store), ACCOUNT, "second-2")
    assert passwords.check_new_password(rules, user(store), ACCOUNT, "first-1")  # 3rd last
    no_prevention = Rules(6)
    assert passwords.check_new_password(no_prevention, user(store), ACCOUNT, "third-3")


def test_the_history_keeps_the_last_24(store: Store, cheap: None) -> None:
    set_policy(store, MinimumPasswordLength=6)
    for number in range(26):
        give_password(store, f"password-{number}")
    hashes = user(store)["LoginProfile"]["PasswordHashes"]
    assert len(hashes) == passwords.HISTORY == 24
    assert passwords.verify_password(hashes[0], "password-25")
    assert passwords.verify_password(hashes[-1], "password-2")


def test_a_password_checked_against_a_changed_profile_is_refused(store: Store, cheap: None) -> None:
    """Between the check and the write someone else changed the password (or the policy):
    the write is refused, to be made again."""
    set_policy(store, MinimumPasswordLength=6)
    give_password(store, "first-1")
    with store.read() as txn:
        rules = passwords.rules(txn, ACCOUNT)
    late = passwords.check_new_password(rules, user(store), ACCOUNT, "late-one")
    give_password(store, "second-2")
    with store.write() as txn, pytest.raises(errors.ServiceError) as excinfo:
        passwords.store_new_password(txn, ACCOUNT, "alice", late, NOW, None)
    assert excinfo.value.code == "EntityTemporarilyUnmodifiable"
    stale = passwords.check_new_password(rules, user(store), ACCOUNT, "third-3")
    set_policy(store, MinimumPasswordLength=7)
    with store.write() as txn, pytest.raises(errors.ServiceError) as excinfo:
        passwords.store_new_password(txn, ACCOUNT, "alice", stale, NOW, None)
    assert excinfo.value.code == "EntityTemporarilyUnmodifiable"


def test_set_password_applies_the_policy_and_clears_the_reset(store: Store, cheap: None) -> None:
    set_policy(store, MinimumPasswordLength=8, PasswordReusePrevention=1)
    with store.write() as txn, pytest.raises(errors.ServiceError) as excinfo:
        passwords.set_password(txn, ACCOUNT, "alice", "whatever-1", NOW)
    assert excinfo.value.message == "Login Profile for User alice cannot be found."
    with store.write() as txn, pytest.raises(errors.ServiceError) as excinfo:
        passwords.set_password(txn, ACCOUNT, "nobody", "whatever-1", NOW)
    assert excinfo.value.message == "The user with name nobody cannot be found."
    give_password(store, "first-one")
    with store.write() as txn:
        passwords.set_reset_required(txn, ACCOUNT, "alice", True)
    with store.write() as txn:
        violation(passwords.set_password, txn, ACCOUNT, "alice", "short", NOW)
    with store.write() as txn:
        violation(passwords.set_password, txn, ACCOUNT, "alice", "first-one", NOW)
    with store.write() as txn:
        passwords.set_password(txn, ACCOUNT, "alice", "second-one", NOW + 5)
    profile = user(store)["LoginProfile"]
    assert profile["PasswordResetRequired"] is False and profile["PasswordLastChanged"] == NOW + 5
    assert len(profile["PasswordHashes"]) == 2


def test_the_old_password_must_be_right(store: Store, cheap: None) -> None:
    with pytest.raises(errors.ServiceError) as excinfo:
        passwords.check_old_password(user(store), GOOD)
    assert excinfo.value.code == "NoSuchEntity"
    give_password(store, GOOD)
    passwords.check_old_password(user(store), GOOD)
    with pytest.raises(errors.ServiceError) as excinfo:
        passwords.check_old_password(user(store), "not it")
    assert (excinfo.value.code, excinfo.value.status) == ("AccessDenied", 403)


def test_deleting_a_profile_drops_its_history(store: Store, cheap: None) -> None:
    give_password(store, GOOD)
    with store.write() as txn:
        passwords.delete_login_profile(txn, ACCOUNT, "alice")
    assert "LoginProfile" not in user(store)
    with store.write() as txn, pytest.raises(errors.ServiceError) as excinfo:
        passwords.delete_login_profile(txn, ACCOUNT, "alice")
    assert excinfo.value.message == "Login Profile for User alice cannot be found."


# --- signing in --------------------------------------------------------------------------------


def sign_in(store: Store, name: str, password: str, now: float = NOW) -> SignIn:
    with store.read() as txn:
        return passwords.check_sign_in(txn, ACCOUNT, name, password, now)


def test_sign_in_with_the_right_password(store: Store, cheap: None) -> None:
    give_password(store, GOOD)
    signed = sign_in(store, "ALICE", GOOD)  # user names are case-insensitive
    assert signed.ok and not signed.reset_required
    assert signed.user is not None and signed.user["UserName"] == "alice"
    assert "LoginProfile" not in signed.user  # no hash leaves the engine


def test_failed_sign_ins_are_all_alike(store: Store, cheap: None) -> None:
    give_password(store, GOOD)
    refused = SignIn(False, None, False)
    assert sign_in(store, "alice", "wrong") == refused
    assert sign_in(store, "bob", GOOD) == refused  # no login profile
    assert sign_in(store, "nobody", GOOD) == refused


@pytest.mark.parametrize("case", ["unknown user", "no profile", "wrong password", "right"])
def test_a_sign_in_verifies_one_hash_whatever_is_wrong(
    store: Store, cheap: None, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """The work, and so the time, is the same: one scrypt verification each time, against a
    dummy hash of the same cost when there is no password to check."""
    give_password(store, GOOD)
    seen: list[str] = []
    real = passwords.verify_password

    def spy(stored: str, password: str) -> bool:
        seen.append(stored)
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify_password", spy)
    name, password = {
        "unknown user": ("nobody", GOOD),
        "no profile": ("bob", GOOD),
        "wrong password": ("alice", "wrong"),
        "right": ("alice", GOOD),
    }[case]
    sign_in(store, name, password)
    dummy = case in ("unknown user", "no profile")
    assert len(seen) == 1 and (seen[0] == passwords._DUMMY) is dummy


def test_sign_in_asks_for_a_reset(store: Store, cheap: None) -> None:
    give_password(store, GOOD)
    with store.write() as txn:
        passwords.set_reset_required(txn, ACCOUNT, "alice", True)
    signed = sign_in(store, "alice", GOOD)
    assert signed.ok and signed.reset_required


def test_an_expired_password_must_be_reset(store: Store, cheap: None) -> None:
    set_policy(store, MaxPasswordAge=30, MinimumPasswordLength=6)
    give_password(store, GOOD)
    assert not sign_in(store, "alice", GOOD, NOW + 29 * 86_400).reset_required
    late = sign_in(store, "alice", GOOD, NOW + 31 * 86_400)
    assert late.ok and late.reset_required
    set_policy(store, MaxPasswordAge=30, HardExpiry=True)
    assert sign_in(store, "alice", GOOD, NOW + 31 * 86_400) == SignIn(False, None, True)
    assert sign_in(store, "alice", "wrong", NOW + 31 * 86_400) == SignIn(False, None, False)


def test_note_sign_in_records_password_last_used(store: Store) -> None:
    with store.write() as txn:
        passwords.note_sign_in(txn, ACCOUNT, "Alice", NOW)
        passwords.note_sign_in(txn, ACCOUNT, "nobody", NOW)  # gone meanwhile: nothing
    assert user(store)["PasswordLastUsed"] == "2023-11-14T22:13:20Z"
    with store.read() as txn:
        assert directory.get_entity(txn, ACCOUNT, "user", "nobody") is None
