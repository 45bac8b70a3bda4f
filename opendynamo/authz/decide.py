"""The decision on a request's accesses, by mode (`--auth off|sigv4|iam`).

- `off`: nothing is decided; every caller is the default account's root.
- `sigv4`: every verified key may do anything in its own account, as if its identity policies
  allowed everything; a resource of another account (a table, stream, backup, bucket, role)
  still needs that resource's policy, and explicit denies there still refuse.
- `iam`: IAM's evaluation logic (`authz/policy/evaluate`) over the caller's policies and the
  resource's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from opendynamo.authz.access import Access
from opendynamo.authz.policy.evaluate import refusal
from opendynamo.authz.policy.identity import Identity, compiled
from opendynamo.authz.policy.language import Policy, Request, parse_policy


@lru_cache(maxsize=1)
def _allow_all() -> Policy:
    document = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'
    return parse_policy(document, kind="identity")


def as_decided(mode: str, identity: Identity) -> Identity:
    """The identity whose policies the decision weighs: under `sigv4`, one allowed every
    action (in its own account: across accounts the resource's policy still decides)."""
    if mode == "sigv4":
        return dataclasses.replace(identity, policies=(_allow_all(),), session_policy=None)
    return identity


def refused(
    mode: str, identity: Identity, accesses: Iterable[Access], context: Mapping[str, Any]
) -> tuple[Request, str] | None:
    """The first access the caller may not have, with AWS's reason; None when all are
    allowed."""
    if mode == "off":
        return None
    if mode == "sigv4":  # its own account allowed: decide only what lies beyond it
        accesses = [a for a in accesses if (a.account or identity.account) != identity.account]
        if not accesses:
            return None
    decided = as_decided(mode, identity)
    variables = {**context, **identity.variables()}
    for access in accesses:
        owner = access.account or identity.account
        request = Request(access.action, access.resource, {**variables, **access.context})
        policy = access.resource_policy
        reason = refusal(
            decided,
            request,
            owner,
            None if policy is None else compiled(policy, "resource"),
            cross_account=access.cross_account,
        )
        if reason is not None:
            return request, reason
    return None
