"""The parts of AWS's JSON 1.0 protocol that are not DynamoDB-specific: targets, request ids,
the SigV4 Authorization header's shape (full verification lands with the auth issue)."""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass

from opendynamo import errors

DYNAMODB_PREFIX = "DynamoDB_20120810"
STREAMS_PREFIX = "DynamoDBStreams_20120810"
DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"
_SEPARATORS = re.compile(r"[\s,]+")


def new_request_id() -> str:
    """A 52-character upper-case id, the shape AWS gives its request ids."""
    return base64.b32encode(os.urandom(32)).decode()[:52]


def split_target(target: str | None) -> tuple[str, str]:
    """(prefix, operation) of an X-Amz-Target header; UnknownOperationException when malformed."""
    if target:
        prefix, dot, operation = target.partition(".")
        if dot and operation and "." not in operation:
            return prefix, operation
    raise errors.unknown_operation()


@dataclass(frozen=True, slots=True)
class Credential:
    access_key: str
    date: str
    region: str
    service: str


def parse_authorization(header: str | None, amz_date: str | None) -> Credential:
    """The credential scope of a SigV4 Authorization header, checked for shape as DynamoDB
    checks it: MissingAuthenticationToken when absent, IncompleteSignature when a part is
    missing. The signature itself is not verified until authentication lands."""
    if not header or not header.strip().startswith("AWS4-"):
        raise errors.missing_authentication_token()
    params: dict[str, str] = {}
    for part in _SEPARATORS.split(header.strip())[1:]:
        name, _, value = part.partition("=")
        params[name] = value
    problems = "".join(
        f"Authorization header requires '{name}' parameter. "
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    )
    if not amz_date:
        problems += (
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        )
    if problems:
        raise errors.incomplete_signature(problems + "Authorization=" + header)
    scope = params["Credential"].rstrip("/").split("/")
    if len(scope) != 5:
        raise errors.incomplete_signature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{params['Credential']}'"
        )
    return Credential(access_key=scope[0], date=scope[1], region=scope[2], service=scope[3])
