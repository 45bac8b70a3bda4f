"""Console passwords: IAM users' login profiles and the account password policy's rules.

A user's login profile is the `LoginProfile` member of its directory row: CreateDate,
PasswordResetRequired, PasswordLastChanged (epoch seconds) and PasswordHashes, the hashes of
its current and previous passwords, newest first (`HISTORY` of them, enough for the largest
PasswordReusePrevention). A password is kept only as a scrypt hash with a random 16-byte salt,
its parameters written in the hash (`$scrypt$ln=14,r=8,p=1$<salt>$<key>`, base64 without
padding) so that they can change without invalidating the hashes already stored. The account's
password policy is a directory row of its own, in GetAccountPasswordPolicy's members.

Without a policy, AWS's default rules apply to a new password: 8 to 128 characters, three of
the four kinds (upper case, lower case, digits, symbols), not the user's name. A policy
replaces them with its own (MinimumPasswordLength, Require..., PasswordReusePrevention) and
sets how long a password lasts (MaxPasswordAge, HardExpiry).

Hashing is the slow part (about 50 ms, on purpose): a writer checks and hashes a new password
before its write transaction (`check_new_password`) and stores it inside
(`store_new_password`), which refuses it if the user's password or the policy changed
meanwhile.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opendynamo import errors
from opendynamo.engine import directory
from opendynamo.storage.base import ReadTxn, WriteTxn

Row = dict[str, Any]

PROFILE = "LoginProfile"  # the member of a user's row that holds its login profile
HISTORY = 24  # hashes kept per user: PasswordReusePrevention is at most 24
DAY = 86_400.0

# scrypt's cost: 2**14 blocks of 128 * 8 bytes (16 MiB), about 50 ms on a server core.
LOG2_N, BLOCK_SIZE, PARALLELISM = 14, 8, 1
_SALT_BYTES, _KEY_BYTES = 16, 32
# What a sign-in verifies against when the user or its login profile does not exist, so that
# it takes as long as a real check: the hash of a password nobody knows, with the same cost.
_DUMMY = "$scrypt$ln=14,r=8,p=1$55vdix1VoL/YsUWvwfjGJw$5D4bi/TOVYcTdjpj8GYoJ6AbaOFj3u6BfcpCwc4kBps"

# AWS's symbols for RequireSymbols and for the default policy's fourth kind of character.
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")


# --- hashes -----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """The stored form of a password: scrypt with a new random salt, parameters included."""
    salt = os.urandom(_SALT_BYTES)
    key = _scrypt(password, salt, LOG2_N, BLOCK_SIZE, PARALLELISM)
    params = f"ln={LOG2_N},r={BLOCK_SIZE},p={PARALLELISM}"
    return f"$scrypt${params}${_b64(salt)}${_b64(key)}"


def verify_password(stored: str, password: str) -> bool:
    """Whether `password` is the one `stored` was made from (compared in constant time). A
    malformed stored hash matches nothing."""
    parsed = _parse(stored)
    if parsed is None:
        return False
    log2_n, block_size, parallelism, salt, key = parsed
    derived = _scrypt(password, salt, log2_n, block_size, parallelism, len(key))
    return hmac.compare_digest(derived, key)


def _scrypt(
    password: str, salt: bytes, log2_n: int, r: int, p: int, length: int = _KEY_BYTES
) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r * p, dklen=length
    )


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 5 or parts[:2] != ["", "scrypt"]:
        return None
    try:
        params = dict(item.split("=", 1) for item in parts[2].split(","))
        log2_n, r, p = int(params["ln"]), int(params["r"]), int(params["p"])
        salt, key = _unb64(parts[3]), _unb64(parts[4])
    except (KeyError, ValueError):
        return None
    if not (1 <= log2_n <= 20 and 1 <= r <= 32 and 1 <= p <= 16 and salt and key):
        return None
    return log2_n, r, p, salt, key


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


# --- the account password policy ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rules:
    """What a new password must satisfy and how long it lasts: the account's password policy,
    or AWS's default rules (`DEFAULT_RULES`) when it has none."""

    minimum_length: int
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase: bool = False
    require_lowercase: bool = False
    three_kinds: bool = False  # the default rules: three of the four kinds of characters
    not_the_name: bool = False  # the default rules: not the user's name
    reuse_prevention: int = 0
    max_age_days: int = 0
    hard_expiry: bool = False
    users_may_change: bool = False


DEFAULT_RULES = Rules(8, three_kinds=True, not_the_name=True)

# UpdateAccountPasswordPolicy's numbers: (member, wire field, least, greatest), in the order
# IAM lists their validation errors.
POLICY_NUMBERS = (
    ("MinimumPasswordLength", "minimumPasswordLength", 6, 128),
    ("PasswordReusePrevention", "passwordReusePrevention", 1, 24),
    ("MaxPasswordAge", "maxPasswordAge", 1, 1095),
)
POLICY_FLAGS = (
    "RequireSymbols",
    "RequireNumbers",
    "RequireUppercaseCharacters",
    "RequireLowercaseCharacters",
    "AllowUsersToChangePassword",
    "HardExpiry",
)
DEFAULT_MINIMUM_LENGTH = 6  # a policy's, when UpdateAccountPasswordPolicy leaves it out


def new_policy(values: Mapping[str, int | bool | None]) -> Row:
    """The policy UpdateAccountPasswordPolicy sets from its members (None when absent). It
    replaces the whole policy: a member left out takes its default (length 6, every flag off,
    no expiry, no reuse prevention). ValidationError, every out-of-range number listed."""
    problems = []
    for member, wire, least, greatest in POLICY_NUMBERS:
        value = values.get(member)
        if value is None:
            continue
        if int(value) < least:
            problems.append(_out_of_range(value, wire, f"greater than or equal to {least}"))
        elif int(value) > greatest:
            problems.append(_out_of_range(value, wire, f"less than or equal to {greatest}"))
    if problems:
        count = f"{len(problems)} validation error{'s' if len(problems) > 1 else ''}"
        raise errors.invalid_input(f"{count} detected: {'; '.join(problems)}")
    length = values.get("MinimumPasswordLength")
    row: Row = {"MinimumPasswordLength": DEFAULT_MINIMUM_LENGTH if length is None else int(length)}
    row.update((flag, bool(values.get(flag))) for flag in POLICY_FLAGS)
    for member in ("MaxPasswordAge", "PasswordReusePrevention"):
        if values.get(member) is not None:
            row[member] = int(values[member] or 0)
    return row


def _out_of_range(value: int | bool, wire: str, bound: str) -> str:
    return (
        f"Value '{int(value)}' at '{wire}' failed to satisfy constraint: "
        f"Member must have value {bound}"
    )


def policy_view(row: Row) -> Row:
    """GetAccountPasswordPolicy's PasswordPolicy: the stored members with ExpirePasswords
    (whether MaxPasswordAge is set), the optional numbers only when set."""
    view: Row = {"MinimumPasswordLength": row["MinimumPasswordLength"]}
    for flag in POLICY_FLAGS[:5]:
        view[flag] = row[flag]
    view["ExpirePasswords"] = bool(row.get("MaxPasswordAge"))
    for member in ("MaxPasswordAge", "PasswordReusePrevention"):
        if row.get(member):
            view[member] = row[member]
    view["HardExpiry"] = row["HardExpiry"]
    return view


def password_policy(txn: ReadTxn, account: str) -> Row:
    """The account's password policy; NoSuchEntity, worded as IAM does, when it has none."""
    row = directory.get_password_policy(txn, account)
    if row is None:
        raise errors.no_such_entity(
            f"The Password Policy with domain name {account} cannot be found."
        )
    return row


def put_password_policy(txn: WriteTxn, account: str, row: Row) -> None:
    directory.put_password_policy(txn, account, row)


def delete_password_policy(txn: WriteTxn, account: str) -> None:
    password_policy(txn, account)
    directory.delete_password_policy(txn, account)


def rules_of(policy: Row | None) -> Rules:
    if policy is None:
        return DEFAULT_RULES
    return Rules(
        policy["MinimumPasswordLength"],
        require_symbols=policy["RequireSymbols"],
        require_numbers=policy["RequireNumbers"],
        require_uppercase=policy["RequireUppercaseCharacters"],
        require_lowercase=policy["RequireLowercaseCharacters"],
        reuse_prevention=policy.get("PasswordReusePrevention", 0),
        max_age_days=policy.get("MaxPasswordAge", 0),
        hard_expiry=policy["HardExpiry"],
        users_may_change=policy["AllowUsersToChangePassword"],
    )


def rules(txn: ReadTxn, account: str) -> Rules:
    """The rules the account's passwords follow now."""
    return rules_of(directory.get_password_policy(txn, account))


def conforms(rules: Rules, password: str, user_name: str) -> bool:
    """Whether a new password satisfies `rules` (its history aside)."""
    kinds = {
        "upper": any("A" <= c <= "Z" for c in password),
        "lower": any("a" <= c <= "z" for c in password),
        "digit": any("0" <= c <= "9" for c in password),
        "symbol": any(c in SYMBOLS for c in password),
    }
    required = (
        (rules.require_uppercase, "upper"),
        (rules.require_lowercase, "lower"),
        (rules.require_numbers, "digit"),
        (rules.require_symbols, "symbol"),
    )
    return (
        len(password) >= rules.minimum_length
        and all(kinds[kind] for wanted, kind in required if wanted)
        and (not rules.three_kinds or sum(kinds.values()) >= 3)
        and not (rules.not_the_name and password.casefold() == user_name.casefold())
    )


def reused(history: list[str], password: str, count: int) -> bool:
    """Whether `password` is one of the last `count` passwords (each hash verified)."""
    return any(verify_password(stored, password) for stored in history[:count])


def expired(profile: Row, rules: Rules, now: float) -> bool:
    """Whether the password is older than the policy's MaxPasswordAge (in days)."""
    if not rules.max_age_days:
        return False
    return now - float(profile["PasswordLastChanged"]) >= rules.max_age_days * DAY


# --- login profiles ------------------------------------------------------------------------------


def login_profile(user: Row) -> Row | None:
    profile = user.get(PROFILE)
    return profile if isinstance(profile, dict) else None


def profile_view(user: Row) -> Row:
    """The LoginProfile IAM answers: never the hashes."""
    profile = login_profile(user)
    assert profile is not None
    return {
        "UserName": user["UserName"],
        "CreateDate": profile["CreateDate"],
        "PasswordResetRequired": profile["PasswordResetRequired"],
    }


def no_login_profile(user_name: str) -> errors.ServiceError:
    return errors.no_such_entity(f"Login Profile for User {user_name} cannot be found.")


@dataclass(frozen=True, slots=True)
class NewPassword:
    """A password checked against the rules and the user's recent passwords, and hashed.
    `replaces` is the user's current hash and `rules` the rules it was checked with:
    `store_new_password` refuses it when either changed since."""

    hash: str = field(repr=False)
    replaces: str | None = field(repr=False)
    rules: Rules


def check_new_password(rules: Rules, user: Row, account: str, password: str) -> NewPassword:
    """`password` as the user's next one, hashed; PasswordPolicyViolation when it breaks
    `rules` or is one of the user's last PasswordReusePrevention passwords. Slow (one hash,
    and one more per password compared): call it before the write transaction."""
    history = _history(user)
    if not conforms(rules, password, user["UserName"]) or reused(
        history, password, rules.reuse_prevention
    ):
        raise errors.password_policy_violation()
    return NewPassword(hash_password(password), history[0] if history else None, rules)


def store_new_password(
    txn: WriteTxn,
    account: str,
    user_name: str,
    new: NewPassword,
    now: float,
    reset_required: bool | None,
) -> None:
    """Make `new` the password of the user's login profile (making the profile when it has
    none), with PasswordResetRequired set to `reset_required` unless that is None.
    EntityTemporarilyUnmodifiable when the password or the policy changed since
    `check_new_password`: the request is to be made again."""
    user = _user(txn, account, user_name)
    history = _history(user)
    if (history[0] if history else None) != new.replaces or rules(txn, account) != new.rules:
        raise errors.entity_temporarily_unmodifiable(
            f"Login Profile for User {user['UserName']} changed while the request was "
            "being processed. Try again."
        )
    profile = login_profile(user) or {
        "CreateDate": _iso(now),
        "PasswordResetRequired": False,
    }
    if reset_required is not None:
        profile["PasswordResetRequired"] = reset_required
    profile["PasswordLastChanged"] = now
    profile["PasswordHashes"] = [new.hash, *history][:HISTORY]
    _save(txn, account, {**user, PROFILE: profile})


def set_reset_required(txn: WriteTxn, account: str, user_name: str, reset_required: bool) -> None:
    """Set PasswordResetRequired of an existing login profile (NoSuchEntity without one)."""
    user = _user(txn, account, user_name)
    profile = login_profile(user)
    if profile is None:
        raise no_login_profile(user["UserName"])
    _save(txn, account, {**user, PROFILE: {**profile, "PasswordResetRequired": reset_required}})


def delete_login_profile(txn: WriteTxn, account: str, user_name: str) -> None:
    """Remove the user's login profile, its password history with it."""
    user = _user(txn, account, user_name)
    if login_profile(user) is None:
        raise no_login_profile(user["UserName"])
    _save(txn, account, {key: value for key, value in user.items() if key != PROFILE})


def set_password(
    txn: WriteTxn, account: str, user_name: str, new_password: str, now: float
) -> None:
    """The user's own change of its password (ChangePassword, the console's reset): the
    policy's rules and reuse prevention apply (PasswordPolicyViolation), the user must have a
    login profile (NoSuchEntity), and PasswordResetRequired is cleared. The hashing happens in
    `txn`: a caller that can should use `check_new_password` before its write transaction and
    `store_new_password` inside it, as ChangePassword does."""
    user = _user(txn, account, user_name)
    if login_profile(user) is None:
        raise no_login_profile(user["UserName"])
    new = check_new_password(rules(txn, account), user, account, new_password)
    store_new_password(txn, account, user_name, new, now, reset_required=False)


def check_old_password(user: Row, password: str) -> None:
    """ChangePassword's OldPassword: NoSuchEntity without a login profile, AccessDenied when
    it is not the current password."""
    history = _history(user)
    if not history:
        raise no_login_profile(user["UserName"])
    if not verify_password(history[0], password):
        raise errors.service_access_denied("The old password is incorrect.")


# --- signing in ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignIn:
    """A console sign-in's outcome. `ok` False for an unknown user, a user without a login
    profile or a wrong password (`user` None, `reset_required` False, all alike); also, with
    `reset_required` True, for the right password when it has expired under HardExpiry (the
    user cannot sign in until an administrator sets a new one). When `ok`, `user` is the user's
    directory row without its login profile, and `reset_required` tells whether the user must
    choose a new password first (PasswordResetRequired, or older than MaxPasswordAge)."""

    ok: bool
    user: dict[str, Any] | None
    reset_required: bool


def check_sign_in(txn: ReadTxn, account: str, user_name: str, password: str, now: float) -> SignIn:
    """Check a console sign-in. The same work is done whether or not the user and its login
    profile exist (one hash verified, against a dummy when there is none), so the time taken
    does not tell which part was wrong."""
    user = directory.get_entity(txn, account, "user", user_name.lower())
    history = [] if user is None else _history(user)
    matched = verify_password(history[0] if history else _DUMMY, password)
    if user is None or not history or not matched:
        return SignIn(False, None, False)
    profile = login_profile(user)
    assert profile is not None
    current = rules(txn, account)
    too_old = expired(profile, current, now)
    if too_old and current.hard_expiry:
        return SignIn(False, None, True)
    shown = {key: value for key, value in user.items() if key != PROFILE}
    return SignIn(True, shown, bool(profile["PasswordResetRequired"]) or too_old)


def note_sign_in(txn: WriteTxn, account: str, user_name: str, now: float) -> None:
    """Record a successful sign-in: GetUser's PasswordLastUsed. Nothing for a user that is
    gone (deleted since its sign-in was checked)."""
    user = directory.get_entity(txn, account, "user", user_name.lower())
    if user is not None:
        _save(txn, account, {**user, "PasswordLastUsed": _iso(now)})


# --- the user's row ------------------------------------------------------------------------------


def _user(txn: ReadTxn, account: str, user_name: str) -> Row:
    user = directory.get_entity(txn, account, "user", user_name.lower())
    if user is None:
        raise errors.no_such_entity(f"The user with name {user_name} cannot be found.")
    return user


def _history(user: Row) -> list[str]:
    profile = login_profile(user)
    return [] if profile is None else list(profile.get("PasswordHashes", []))


def _save(txn: WriteTxn, account: str, user: Row) -> None:
    directory.put_entity(txn, account, "user", str(user["UserName"]).lower(), user)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
