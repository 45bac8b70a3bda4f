"""The IAM policy language: documents validated as IAM validates them, compiled once, and
matched against requests (IAM User Guide, "IAM JSON policy element reference").

parse_policy() checks a document in the order IAM does (`document.validate`), raising
PolicyError with the text IAM puts in MalformedPolicyDocument, and compiles what passes.

Every wildcard pattern is compiled when the policy is parsed, so matches(), which runs on every
request, only runs regexes and reads the request context. Policy variables (Version 2012-10-17
only) are the one per-request work: a Resource or condition value holding one is rendered from
the request's context and its pattern compiled through an LRU cache.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from opendynamo.authz.policy import conditions
from opendynamo.authz.policy.conditions import Context as Context
from opendynamo.authz.policy.conditions import Entry, Template
from opendynamo.authz.policy.document import (
    ACCOUNT,
    CURRENT_VERSION,
    DEFAULT_VERSION,
    ROOT_ARN,
    Kind,
    listed,
    validate,
)

# The language's public face: what parse_policy raises, and the names callers check against.
from opendynamo.authz.policy.document import KNOWN_OPERATORS as KNOWN_OPERATORS
from opendynamo.authz.policy.document import PolicyError as PolicyError

_ROLE_ARN = re.compile(r"arn:[^:]+:iam::(\d{12}):role/(?:.*/)?([^/]+)")
_SESSION_ARN = re.compile(r"arn:[^:]+:sts::(\d{12}):assumed-role/([^/]+)/.*")

Effect = Literal["Allow", "Deny"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, to match against a resource or trust policy's Principal element."""

    arn: str  # arn:aws:iam::<acct>:user/alice, arn:aws:sts::<acct>:assumed-role/R/s, ...:root
    account: str


@dataclass(frozen=True, slots=True)
class Request:
    """One action on one resource; `context` holds condition keys and policy variables."""

    action: str
    resource: str  # an ARN, or "*" for actions without a resource type
    context: Context


# ---------------------------------------------------------------- compiled statements


@dataclass(frozen=True, slots=True)
class _Resources:
    """A Resource/NotResource list: one regex for the entries without variables, and the
    entries with variables, rendered per request."""

    pattern: re.Pattern[str] | None
    templates: tuple[Template, ...]

    def matches(self, resource: str, context: Context) -> bool:
        if self.pattern is not None and self.pattern.fullmatch(resource):
            return True
        rendered = (conditions.render(template, context) for template in self.templates)
        return any(
            conditions.compile_pattern(pieces, "resource").fullmatch(resource)
            for pieces in rendered
            if pieces is not None
        )


@dataclass(frozen=True, slots=True)
class _Principals:
    """A Principal/NotPrincipal element reduced to what an AWS principal can match: anyone,
    whole accounts, exact ARNs, and roles (whose sessions a role ARN also names)."""

    anyone: bool
    accounts: frozenset[str]
    arns: frozenset[str]
    roles: frozenset[tuple[str, str]]

    def matches(self, principal: Principal | None) -> bool:
        if self.anyone:
            return True
        if principal is None:
            return False
        if principal.account in self.accounts or principal.arn in self.arns:
            return True
        session = _SESSION_ARN.fullmatch(principal.arn) if self.roles else None
        return session is not None and (session.group(1), session.group(2)) in self.roles


@dataclass(frozen=True, slots=True)
class Statement:
    """A compiled statement. `resources`/`principals` are None when the element is absent,
    which matches every resource (trust policies) or every principal (identity policies)."""

    sid: str | None
    effect: Effect
    actions: re.Pattern[str]
    not_action: bool
    resources: _Resources | None
    not_resource: bool
    principals: _Principals | None
    not_principal: bool
    conditions: tuple[Entry, ...]

    def applies(self, request: Request, principal: Principal | None) -> bool:
        if (self.actions.fullmatch(request.action) is None) != self.not_action:
            return False
        resources = self.resources
        if resources is not None and (
            resources.matches(request.resource, request.context) == self.not_resource
        ):
            return False
        if self.principals is not None and (
            self.principals.matches(principal) == self.not_principal
        ):
            return False
        return all(condition.holds(request.context) for condition in self.conditions)


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed, validated policy document."""

    version: str
    statements: tuple[Statement, ...]
    id: str | None = None


# ---------------------------------------------------------------- matching


def matches(
    policy: Policy, request: Request, principal: Principal | None = None
) -> tuple[bool, bool]:
    """(some Allow statement applies, some Deny statement applies) to `request`."""
    allow = deny = False
    for statement in policy.statements:
        if statement.effect == "Deny":
            deny = deny or statement.applies(request, principal)
        else:
            allow = allow or statement.applies(request, principal)
    return allow, deny


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, `*` any run and `?` one character."""
    return conditions.compile_pattern(((pattern, True),), "action").fullmatch(action) is not None


def resource_matches(pattern: str, resource: str) -> bool:
    """IAM resource matching: case-sensitive; `*` any run, but within its ARN component
    unless it ends the component; `"*"` alone matches everything."""
    compiled = conditions.compile_pattern(((pattern, True),), "resource")
    return compiled.fullmatch(resource) is not None


# ---------------------------------------------------------------- parsing


def parse_policy(document: str | Mapping[str, Any], *, kind: Kind) -> Policy:
    """Validate a policy document as IAM does (`document.validate`) and compile it; raises
    PolicyError."""
    data, raw_statements = validate(document, kind=kind)
    version = data.get("Version", DEFAULT_VERSION)
    substitute = version == CURRENT_VERSION
    statements = tuple(_compile(statement, substitute) for statement in raw_statements)
    identifier = data.get("Id")
    return Policy(str(version), statements, None if identifier is None else str(identifier))


# ---------------------------------------------------------------- compiling


def _compile(statement: Mapping[str, Any], substitute: bool) -> Statement:
    action_key = "Action" if "Action" in statement else "NotAction"
    resource_key = "Resource" if "Resource" in statement else "NotResource"
    principal_key = "Principal" if "Principal" in statement else "NotPrincipal"
    return Statement(
        sid=statement.get("Sid"),
        effect=statement["Effect"],
        actions=_alternation(listed(statement[action_key]), "action"),
        not_action=action_key == "NotAction",
        resources=(
            _resources(listed(statement[resource_key]), substitute)
            if resource_key in statement
            else None
        ),
        not_resource=resource_key == "NotResource",
        principals=(_principals(statement[principal_key]) if principal_key in statement else None),
        not_principal=principal_key == "NotPrincipal",
        conditions=conditions.compile_block(statement.get("Condition", {}), substitute),
    )


def _alternation(patterns: Sequence[str], style: conditions.Style) -> re.Pattern[str]:
    """One regex for a list of wildcard patterns; it matches nothing when the list is empty."""
    if not patterns:
        return re.compile(r"(?!)")
    body = "|".join(f"(?:{conditions.translate(p, style)})" for p in patterns)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if style == "action" else 0))


def _resources(entries: Sequence[str], substitute: bool) -> _Resources:
    templates = [conditions.parse_template(entry, substitute) for entry in entries]
    plain = [
        entry
        for entry, t in zip(entries, templates, strict=True)
        if not conditions.has_variables(t)
    ]
    return _Resources(
        pattern=_alternation(plain, "resource") if plain else None,
        templates=tuple(t for t in templates if conditions.has_variables(t)),
    )


def _principals(element: object) -> _Principals:
    if element == "*":
        return _Principals(True, frozenset(), frozenset(), frozenset())
    assert isinstance(element, Mapping)  # checked by document.validate, as what follows
    anyone = False
    accounts: set[str] = set()
    arns: set[str] = set()
    roles: set[tuple[str, str]] = set()
    for value in listed(element.get("AWS", ())):  # other principal types never match AWS ones
        root = ACCOUNT.fullmatch(value) or ROOT_ARN.fullmatch(value)
        if value == "*":
            anyone = True
        elif root is not None:
            accounts.add(root.group(1))
            arns.add(f"arn:aws:iam::{root.group(1)}:root")
        else:  # an ARN without wildcards: document.validate refused anything else
            arns.add(value)
            role = _ROLE_ARN.fullmatch(value)
            if role is not None:
                roles.add((role.group(1), role.group(2)))
    return _Principals(anyone, frozenset(accounts), frozenset(arns), frozenset(roles))
