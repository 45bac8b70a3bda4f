"""Paging tokens handed to clients and handed back: authenticated, and bound to what they page.

A token holds the position (the last ARN or id listed) with a MAC under the server's secrets
key (`engine/secrets.Sealer.sign`) over that position and its purpose, which names the
listing and the caller's namespace. A token made up, altered, or made for another listing or
account is refused as DynamoDB refuses an invalid one. The text looks like DynamoDB's: lower
hex, in groups of 16 digits, at least 112.
"""

from __future__ import annotations

from opendynamo.api.request.context import Context
from opendynamo.engine.secrets import Sealer

MIN_DIGITS = 112


def make(ctx: Context, listing: str, position: str) -> str:
    payload = position.encode()
    signed = _sealer(ctx).sign(bytes((len(payload),)) + payload, _purpose(ctx, listing))
    text = signed.hex()
    width = max(MIN_DIGITS, -(-len(text) // 16) * 16)
    return text.ljust(width, "0")


def position(ctx: Context, listing: str, token: str) -> str | None:
    """The position a token of this server for this listing holds; None for any other."""
    try:
        raw = bytes.fromhex(token)
    except ValueError:
        return None
    if not raw or len(raw) < 1 + raw[0] + 16:
        return None
    data = _sealer(ctx).verify(raw[: 1 + raw[0] + 16], _purpose(ctx, listing))
    if data is None:
        return None
    try:
        return data[1:].decode()
    except UnicodeDecodeError:
        return None


def _purpose(ctx: Context, listing: str) -> str:
    return f"{listing} {ctx.account} {ctx.region}"


def _sealer(ctx: Context) -> Sealer:
    assert ctx.sealer is not None, "the server gives every request the secrets key"
    return ctx.sealer
