"""AWS Signature Version 4 verification, as DynamoDB performs it (AWS General Reference,
"Signature Version 4 signing process").

`verify` takes the request as it arrived (method, wire path, raw query string, ASGI-style header
pairs, body bytes) and either returns the signer's `Credential` or raises the `errors.py` error
DynamoDB answers, checking in DynamoDB's order (as recorded against DynamoDB by dynalite's
test suite):

 1. both header and query-string auth          InvalidSignature
 2. no auth at all, or a header not `AWS4-…`     MissingAuthenticationToken
 3. missing parameters or date                   IncompleteSignature
 4. date not ISO-8601 basic format               IncompleteSignature
 5. outside ±15 minutes (or past X-Amz-Expires)  InvalidSignature
 6. `host` not signed                            InvalidSignature
 7. algorithm other than AWS4-HMAC-SHA256        IncompleteSignature
 8. credential not 5 slash-separated parts       IncompleteSignature
 9. bad scope: region, service, terminator, date InvalidSignature (all problems at once)
10. unknown access key id                        UnrecognizedClient
11. signature mismatch                           InvalidSignature

The session token is returned, not judged: checking it (unknown, expired) is the caller's.
Pure functions only; the canonicalisation helpers are public so tests can compare them with the
official test-suite files.

`request` makes checks 1-3, `checks` makes 4-5 and 8-9, and `verification` runs them in order
and makes the rest; `signing` builds the canonical request and the signature check 11 compares.
`check_shape` runs checks 1-9 only, everything but the key and the signature: `--auth off`
accepts a request that passes them, so a malformed or stale signature is refused there too.
"""

from __future__ import annotations

from opendynamo.server.sigv4.checks import ISO_BASIC, MAX_EXPIRES, MAX_SKEW
from opendynamo.server.sigv4.request import (
    Credential,
    HeaderIndex,
    Headers,
    parse_auth,
    parse_query,
)
from opendynamo.server.sigv4.signing import (
    ALGORITHM,
    TERMINATOR,
    UNSIGNED_PAYLOAD,
    canonical_headers,
    canonical_query,
    canonical_request,
    canonical_uri,
    payload_hash,
    signature,
    signing_key,
    string_to_sign,
)
from opendynamo.server.sigv4.verification import (
    SIGNATURE_MISMATCH,
    SecretLookup,
    check_shape,
    scope_of,
    verify,
)

__all__ = [
    "ALGORITHM",
    "ISO_BASIC",
    "MAX_EXPIRES",
    "MAX_SKEW",
    "SIGNATURE_MISMATCH",
    "TERMINATOR",
    "UNSIGNED_PAYLOAD",
    "Credential",
    "HeaderIndex",
    "Headers",
    "SecretLookup",
    "canonical_headers",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "check_shape",
    "parse_auth",
    "parse_query",
    "payload_hash",
    "scope_of",
    "signature",
    "signing_key",
    "string_to_sign",
    "verify",
]
