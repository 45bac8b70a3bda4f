"""The parts of AWS's JSON 1.0 protocol that are not DynamoDB-specific: targets and request
ids (the Authorization header is `server/sigv4`'s)."""

from __future__ import annotations

import os

from opendynamo import errors

DYNAMODB_PREFIX = "DynamoDB_20120810"
STREAMS_PREFIX = "DynamoDBStreams_20120810"
TARGET_PREFIXES = (DYNAMODB_PREFIX.encode() + b".", STREAMS_PREFIX.encode() + b".")

DEFAULT_REGION = "us-east-1"


def new_request_id() -> str:
    """A 52-character upper-case id, the shape AWS gives its request ids (hex: base32 of
    the same randomness costs ten times as much)."""
    return os.urandom(26).hex().upper()


def split_target(target: str | None) -> tuple[str, str]:
    """(prefix, operation) of an X-Amz-Target header; UnknownOperationException when malformed."""
    if target:
        prefix, dot, operation = target.partition(".")
        if dot and operation and "." not in operation:
            return prefix, operation
    raise errors.unknown_operation()
