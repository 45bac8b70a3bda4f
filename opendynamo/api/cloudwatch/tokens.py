"""CloudWatch's NextToken: the position a listing stopped at, with a MAC under the server's
secrets key (`engine/secrets.Sealer.sign`) over it and its purpose, which names the listing
and the caller's namespace; base64 (URL-safe) on the wire. A token made up, altered, or made
for another listing or namespace is refused (InvalidNextToken)."""

from __future__ import annotations

import base64
import binascii

from opendynamo import errors
from opendynamo.api.request.context import Context
from opendynamo.engine.secrets import Sealer


def make(ctx: Context, listing: str, position: str) -> str:
    signed = _sealer(ctx).sign(position.encode(), _purpose(ctx, listing))
    return base64.urlsafe_b64encode(signed).decode()


def position(ctx: Context, listing: str, token: str | None) -> str | None:
    """The position `token` holds (None for no token); InvalidNextToken for any token this
    server did not make for this listing and namespace."""
    if token is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raw = b""
    data = _sealer(ctx).verify(raw, _purpose(ctx, listing)) if raw else None
    try:
        if data is not None:
            return data.decode()
    except UnicodeDecodeError:
        pass
    raise errors.invalid_next_token(token)


def _purpose(ctx: Context, listing: str) -> str:
    return f"cloudwatch {listing} {ctx.account} {ctx.region}"


def _sealer(ctx: Context) -> Sealer:
    assert ctx.sealer is not None, "the server gives every request the secrets key"
    return ctx.sealer
