"""Whether a caller may do one action on one resource: IAM's evaluation logic (IAM User Guide,
"Policy evaluation logic").

1. An explicit Deny in any policy that applies (identity, session or resource-based) refuses.
2. Within one account, an Allow from an identity-based policy, or from a resource policy that
   names the caller itself, grants, provided the session policy (if any) allows too (a
   resource policy naming only the account delegates to the identity policies). Root is
   allowed everything in its own account.
3. Across accounts, both sides must allow: the caller's identity (root allows itself) and the
   resource-based policy of the resource's owner.
A refusal carries AWS's reason, worded as in AccessDeniedException messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from opendynamo.authz.policy.identity import Identity
from opendynamo.authz.policy.language import Policy, Principal, Request, matches

EXPLICIT_IDENTITY_DENY = "with an explicit deny in an identity-based policy"
EXPLICIT_RESOURCE_DENY = "with an explicit deny in a resource-based policy"


def refusal(
    identity: Identity,
    request: Request,
    resource_account: str,
    resource_policy: Policy | None = None,
    *,
    cross_account: bool = True,
    trust: bool = False,
) -> str | None:
    """None when `request` is allowed, else the reason AWS gives for refusing it.

    A resource policy that names the caller itself (its ARN, its role for a role session, or
    everyone) grants within the account without an identity policy; one that names only the
    caller's account delegates to that account's identity policies, which must then allow
    too. Across accounts both sides must allow, and only where `cross_account` (the resource
    policy can open the resource to another account at all). A role's trust policy (`trust`)
    must always allow the caller."""
    identity_allow, identity_deny = _any(identity.policies, request)
    if identity_deny:
        return EXPLICIT_IDENTITY_DENY
    session_allow = True
    if identity.session_policy is not None:
        session_allow, session_deny = _any((identity.session_policy,), request)
        if session_deny:
            return "with an explicit deny in a session policy"
    resource_allow = named = False
    if resource_policy is not None:
        resource_allow, resource_deny = matches(resource_policy, request, identity.principal)
        if resource_deny:
            return EXPLICIT_RESOURCE_DENY
        if resource_allow:
            named, _ = matches(resource_policy, request, Principal(identity.arn, account=""))
    identity_allow = identity_allow or identity.is_root
    action = request.action
    if not session_allow:
        return f"because no session policy allows the {action} action"
    if trust and not resource_allow:
        return f"because no resource-based policy allows the {action} action"
    if resource_account == identity.account:
        if identity_allow or named:
            return None
        return f"because no identity-based policy allows the {action} action"
    if not identity_allow:
        return f"because no identity-based policy allows the {action} action"
    if not (resource_allow and cross_account):
        return f"because no resource-based policy allows the {action} action"
    return None


def _any(policies: Sequence[Policy], request: Request) -> tuple[bool, bool]:
    allow = deny = False
    for policy in policies:
        allows, denies = matches(policy, request)
        allow = allow or allows
        deny = deny or denies
        if deny:
            break
    return allow, deny


def denial_message(identity: Identity, request: Request, reason: str) -> str:
    """AccessDeniedException's message (IAM User Guide, "Troubleshoot access denied error
    messages")."""
    return (
        f"User: {identity.arn} is not authorized to perform: {request.action} "
        f"on resource: {request.resource} {reason}"
    )
