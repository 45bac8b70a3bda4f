"""DynamoDB's checks of a request's date and credential scope, in its words: the date's
format (check 4 of the order the package docstring lists), the time window of 15 minutes
either way or a presigned request's X-Amz-Expires (check 5), and the credential's five parts
and the scope they name (checks 8 and 9).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from opendynamo import errors
from opendynamo.server.sigv4.request import Auth, Credential
from opendynamo.server.sigv4.signing import TERMINATOR

ISO_BASIC = "%Y%m%dT%H%M%SZ"
MAX_SKEW = timedelta(minutes=15)
MAX_EXPIRES = 604800  # one week, SigV4's limit for presigned requests
ISO_BASIC_RE = re.compile(r"\d{8}T\d{6}Z")
REGION_RE = re.compile(r"[a-z0-9-]+")


def request_time_of(date: str) -> datetime:
    return datetime(
        int(date[0:4]), int(date[4:6]), int(date[6:8]),
        int(date[9:11]), int(date[11:13]), int(date[13:15]), tzinfo=UTC,
    )  # fmt: skip


def request_time(auth: Auth) -> datetime:
    """Check 4: X-Amz-Date in ISO-8601 basic format (a Date header may also be RFC 1123)."""
    date = auth.date
    if ISO_BASIC_RE.fullmatch(date):
        try:  # by hand: strptime costs more than the rest of the check
            return request_time_of(date)
        except ValueError:
            pass
    elif auth.from_date_header:
        import email.utils  # rarely needed: imported then, not at every server's start

        try:
            return email.utils.parsedate_to_datetime(auth.date).astimezone(UTC)
        except (TypeError, ValueError):
            pass
    raise errors.incomplete_signature(
        f"Date must be in ISO-8601 'basic format'. Got '{auth.date}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def check_time(auth: Auth, when: datetime, now: datetime) -> None:
    """Check 5: DynamoDB allows 15 minutes of clock skew either way; a presigned request with
    X-Amz-Expires is good from 15 minutes before its date until that many seconds after it."""
    now = (now if now.tzinfo else now.replace(tzinfo=UTC)).replace(microsecond=0)
    if auth.expires is not None:
        _check_expires(auth.expires, when, now)
    elif when < now - MAX_SKEW:
        raise errors.invalid_signature(
            f"Signature expired: {_iso(when)} is now earlier than {_iso(now - MAX_SKEW)} "
            f"({_iso(now)} - 15 min.)"
        )
    if when > now + MAX_SKEW:
        raise errors.invalid_signature(
            f"Signature not yet current: {_iso(when)} is still later than {_iso(now + MAX_SKEW)} "
            f"({_iso(now)} + 15 min.)"
        )


def _check_expires(expires: str, when: datetime, now: datetime) -> None:
    # DynamoDB's wording for a presigned request past its expiry is not recorded; this follows
    # its clock-skew message with the client's window, and S3's messages for a bad X-Amz-Expires.
    if not expires.isdigit():
        raise errors.incomplete_signature("X-Amz-Expires should be a number")
    seconds = int(expires)
    if seconds > MAX_EXPIRES:
        raise errors.incomplete_signature(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given "
            f"X-Amz-Expires must be less than {MAX_EXPIRES} seconds"
        )
    limit = now - timedelta(seconds=seconds)
    if when < limit:
        raise errors.invalid_signature(
            f"Signature expired: {_iso(when)} is now earlier than {_iso(limit)} "
            f"({_iso(now)} - {seconds} sec.)"
        )


def _iso(moment: datetime) -> str:
    return moment.strftime(ISO_BASIC)


def stamp(auth: Auth, when: datetime) -> str:
    """The request time in ISO-8601 basic format: X-Amz-Date as sent, else formatted."""
    return when.strftime(ISO_BASIC) if auth.from_date_header else auth.date


def _day(auth: Auth, when: datetime) -> str:
    return when.strftime("%Y%m%d") if auth.from_date_header else auth.date[:8]


def scope_parts(auth: Auth) -> list[str]:
    """Check 8: the credential has five slash-separated parts (trailing slashes ignored)."""
    parts = auth.credential.rstrip("/").split("/")
    if len(parts) != 5:
        raise errors.incomplete_signature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{auth.credential}'"
        )
    return parts


def check_scope(auth: Auth, when: datetime, service: str) -> Credential:
    """Checks 8-9. Trailing slashes are ignored; any lower-case region name is accepted, since
    a local server has no region of its own (NoSQL Workbench signs for `localhost`)."""
    access_key, date, region, scoped_service, terminator = scope_parts(auth)
    problems = ""
    if not REGION_RE.fullmatch(region):
        problems += f"Credential should be scoped to a valid region, not '{region}'. "
    if scoped_service != service:
        problems += f"Credential should be scoped to correct service: '{service}'. "
    if terminator != TERMINATOR:
        problems += (
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{terminator}'. "
        )
    if date != _day(auth, when):
        problems += (
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{date}' != '{_day(auth, when)}', from '{auth.date}'."
        )
    if problems:
        raise errors.invalid_signature(problems)
    return Credential(access_key, date, region, scoped_service, auth.session_token)
