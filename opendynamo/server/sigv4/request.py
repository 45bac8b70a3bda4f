"""What SigV4 verification reads from a request: its headers grouped by name (`HeaderIndex`),
its query string (`parse_query`) and its signature parameters (`Auth`), which `parse_auth`
takes from the Authorization header or the query string, making checks 1-3 of DynamoDB's order
(listed in the package docstring); and `Credential`, who signed a verified request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from opendynamo import errors

_QUERY_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders")
_SEPARATORS = re.compile(r"[\s,]+")

Headers = Sequence[tuple[bytes, bytes]]


class HeaderIndex:
    """A request's headers grouped by lower-cased name, built once per verification: every
    check looks headers up by name, and the canonical request needs all values of each."""

    __slots__ = ("grouped",)

    def __init__(self, headers: Headers) -> None:
        grouped: dict[bytes, list[bytes]] = {}
        for key, value in headers:
            grouped.setdefault(key.lower(), []).append(value)
        self.grouped = grouped


def indexed(headers: Headers | HeaderIndex) -> HeaderIndex:
    return headers if isinstance(headers, HeaderIndex) else HeaderIndex(headers)


@dataclass(frozen=True, slots=True)
class Credential:
    """Who signed a verified request, from its credential scope."""

    access_key: str
    date: str
    region: str
    service: str
    session_token: str | None


@dataclass(frozen=True, slots=True)
class Auth:
    """The signature parameters of a request, from its Authorization header or query string."""

    algorithm: str
    credential: str
    signed_headers: tuple[str, ...]
    signature: str
    date: str
    from_date_header: bool
    session_token: str | None
    expires: str | None
    presigned: bool


def parse_query(query: str) -> list[tuple[bytes, bytes]]:
    """The query string's (key, value) pairs, percent-decoded to bytes, in order."""
    pairs = []
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((unquote_to_bytes(key), unquote_to_bytes(value)))
    return pairs


def parse_auth(params: list[tuple[bytes, bytes]], headers: Headers | HeaderIndex) -> Auth:
    """Checks 1-3: which form the request uses, and that each required part is present."""
    headers = indexed(headers)
    header = first_value(headers, b"authorization")
    is_presigned = any(key == b"X-Amz-Algorithm" for key, _ in params)
    if header is not None and is_presigned:
        raise errors.invalid_signature(
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
        )
    if is_presigned:
        return _query_auth(params, headers)
    if header is None or not header.strip().startswith("AWS4-"):
        raise errors.missing_authentication_token()
    return _header_auth(header, headers)


def _header_auth(header: str, headers: HeaderIndex) -> Auth:
    # AWS accepts the parameters with or without spaces after the commas.
    algorithm, *parts = _SEPARATORS.split(header.strip())
    values = {name: value for name, _, value in (part.partition("=") for part in parts)}
    amz_date = first_value(headers, b"x-amz-date")
    date = amz_date if amz_date is not None else first_value(headers, b"date")
    problems = "".join(
        f"Authorization header requires '{name}' parameter. "
        for name in ("Credential", "Signature", "SignedHeaders")
        if not values.get(name)
    )
    if not date:
        problems += (
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        )
    if problems or not date:
        raise errors.incomplete_signature(problems + "Authorization=" + header)
    return Auth(
        algorithm=algorithm,
        credential=values["Credential"],
        signed_headers=tuple(values["SignedHeaders"].split(";")),
        signature=values["Signature"],
        date=date,
        from_date_header=amz_date is None,
        session_token=first_value(headers, b"x-amz-security-token"),
        expires=None,
        presigned=False,
    )


def _query_auth(params: list[tuple[bytes, bytes]], headers: HeaderIndex) -> Auth:
    values: dict[str, str] = {}
    for key, value in params:  # the first occurrence of a parameter counts
        values.setdefault(key.decode("utf-8", "replace"), value.decode("utf-8", "replace"))
    problems = "".join(
        f"AWS query-string parameters must include '{name}'. "
        for name in (*_QUERY_PARAMS, "X-Amz-Date")
        if not values.get(name)
    )
    if problems:
        raise errors.incomplete_signature(problems + "Re-examine the query-string parameters.")
    token = values.get("X-Amz-Security-Token")
    return Auth(
        algorithm=values["X-Amz-Algorithm"],
        credential=values["X-Amz-Credential"],
        signed_headers=tuple(values["X-Amz-SignedHeaders"].split(";")),
        signature=values["X-Amz-Signature"],
        date=values["X-Amz-Date"],
        from_date_header=False,
        session_token=token if token is not None else first_value(headers, b"x-amz-security-token"),
        expires=values.get("X-Amz-Expires"),
        presigned=True,
    )


def first_value(headers: HeaderIndex, name: bytes) -> str | None:
    """The first value of a header, or None."""
    values = headers.grouped.get(name)
    return None if values is None else values[0].decode("utf-8", "surrogateescape")
