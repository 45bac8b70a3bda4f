"""The audit trail: one JSON line per request, with CloudTrail's field names where it has one.

Lines go to a file opened for appending (each line is one write, so the workers sharing the
file never interleave within a line) or to standard output. Secrets never appear: a request is
described by its operation, principal and resources, not by its body.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson


class AuditLog:
    def __init__(self, target: str) -> None:
        if target == "-":
            self._fd = sys.stdout.fileno()
            self._owned = False
        else:
            self._fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._owned = True

    def record(
        self,
        *,
        request_id: str,
        source: str,
        operation: str,
        region: str | None,
        source_ip: str | None,
        user_agent: str | None,
        identity: dict[str, Any] | None,
        resources: Sequence[str],
        error_code: str | None,
        console: bool = False,
    ) -> None:
        event = {
            "eventTime": datetime.fromtimestamp(time.time(), UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "eventSource": f"{source}.amazonaws.com",
            "eventName": operation,
            "awsRegion": region,
            "requestID": request_id,
            "sourceIPAddress": source_ip,
            "userAgent": user_agent,
            "userIdentity": identity,
            "resources": [{"ARN": arn} for arn in resources],
            "decision": "Deny"
            if error_code == "AccessDeniedException" or error_code == "AccessDenied"
            else "Allow",
            "errorCode": error_code,
        }
        if console:  # CloudTrail's mark of a call made from the console
            event["sessionCredentialFromConsole"] = "true"
        os.write(self._fd, orjson.dumps(event) + b"\n")

    def close(self) -> None:
        if self._owned:
            os.close(self._fd)
