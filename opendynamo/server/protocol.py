"""The parts of AWS's JSON 1.0 protocol that are not DynamoDB-specific: targets and request
ids (the Authorization header is `server/sigv4`'s)."""

from __future__ import annotations

import os
import random

from opendynamo import errors

DYNAMODB_PREFIX = "DynamoDB_20120810"
STREAMS_PREFIX = "DynamoDBStreams_20120810"
TARGET_PREFIXES = (DYNAMODB_PREFIX.encode() + b".", STREAMS_PREFIX.encode() + b".")

DEFAULT_REGION = "us-east-1"


def new_request_id() -> str:
    """A 52-character upper-case id, the shape AWS gives its request ids (hex: base32 of
    the same randomness costs ten times as much). An id needs to be unique, not secret:
    Python's generator (seeded from the system's) spares every request a system call."""
    return f"{_ids.getrandbits(208):052X}"


_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)  # a forked worker draws ids of its own


def split_target(target: str | None) -> tuple[str, str]:
    """(prefix, operation) of an X-Amz-Target header; UnknownOperationException when malformed."""
    if target:
        prefix, dot, operation = target.partition(".")
        if dot and operation and "." not in operation:
            return prefix, operation
    raise errors.unknown_operation()
