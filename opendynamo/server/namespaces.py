"""Which namespace a request's tables live in (`--namespace`).

The engine keeps every table, stream, backup, alarm and metric of one (account, region)
together; this module maps a request's (account, access key, region) onto that pair, once per
request (`server/app` builds the request's `Context` with it), so nothing below the edge knows
there is more than one way to choose:

- `region` (serve's default, as AWS): one namespace per account and region; with `--auth off`
  every key is the one default account, so every key shares the tables of a region.
- `shared` (DynamoDB Local's `-sharedDb`): one namespace per account for every region, kept
  under the default region, `us-east-1`, which is the region its ARNs show.
- `key-region` (DynamoDB Local without `-sharedDb`): one namespace per access key and region.
  The key stands in for an account of its own: a twelve-digit number derived from the key
  (the same every time), which is the account its ARNs show. A request signed with no key at
  all lands in the default account. It needs `--auth off` (`cli/serve` refuses it otherwise):
  with verified keys tables belong to accounts, and IAM policies name accounts' resources.

IAM and STS are not namespaced: users, roles and keys belong to the caller's account.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Literal

from opendynamo.engine.directory import DEFAULT_ACCOUNT

Mode = Literal["shared", "region", "key-region"]
MODES: tuple[Mode, ...] = ("shared", "region", "key-region")
SHARED_REGION = "us-east-1"  # the one region of a `shared` namespace (its ARNs show it)


def namespace(mode: str, account: str, access_key: str, region: str) -> tuple[str, str]:
    """The (account, region) the engine keeps the request's tables under."""
    if mode == "region":
        return account, region
    if mode == "shared":
        return account, SHARED_REGION
    return key_account(access_key), region


@functools.lru_cache(maxsize=4096)
def key_account(access_key: str) -> str:
    """The account an access key stands for under `key-region`: twelve digits of a hash of
    the key, so every process of a server (and every restart) derives the same one."""
    if not access_key:
        return DEFAULT_ACCOUNT
    digest = hashlib.sha256(access_key.encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**12:012d}"


def describe(mode: str, access_key: str, account: str, region: str) -> str:
    """The namespace a request landed in, in words for the debug log: which key and region
    chose it, and the account and region its ARNs show."""
    if mode == "shared":
        return f"namespace shared (account {account}, {region} in ARNs)"
    if mode == "key-region":
        return f"namespace key {access_key or '-'} in {region} (account {account} in ARNs)"
    return f"namespace account {account} in {region}"
