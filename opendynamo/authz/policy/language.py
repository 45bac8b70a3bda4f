"""The IAM policy language: documents validated as IAM validates them, compiled once, and
matched against requests (IAM User Guide, "IAM JSON policy element reference").

parse_policy() checks a document in the order IAM does and raises PolicyError carrying the text
IAM puts in MalformedPolicyDocument: the grammar first ("Syntax errors in policy."), then IAM's
"legacy parser" (case-sensitive Effect, date values, resource ARN shapes), unique statement
ids, actions present, resource ARN formats, action vendors, and finally what the policy kind
requires (identity policies need resources and may not name a principal; resource and trust
policies need one; trust policies may not name resources).

Every wildcard pattern is compiled when the policy is parsed, so matches(), which runs on every
request, only runs regexes and reads the request context. Policy variables (Version 2012-10-17
only) are the one per-request work: a Resource or condition value holding one is rendered from
the request's context and its pattern compiled through an LRU cache.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from opendynamo.authz.policy import conditions
from opendynamo.authz.policy.conditions import Context as Context
from opendynamo.authz.policy.conditions import Entry, Template

Kind = Literal["identity", "resource", "trust"]
Effect = Literal["Allow", "Deny"]
CURRENT_VERSION = "2012-10-17"
DEFAULT_VERSION = "2008-10-17"  # what a document without Version is; it has no policy variables

# Condition operators IAM knows, before the ForAllValues:/ForAnyValue: qualifiers and the
# IfExists suffix (which every operator but Null takes).
KNOWN_OPERATORS: tuple[str, ...] = tuple(sorted(conditions.BASE_OPERATORS))

# MalformedPolicyDocument messages, worded as IAM words them.
SYNTAX_ERROR = "Syntax errors in policy."
LEGACY_PARSING = "The policy failed legacy parsing"
DUPLICATE_SID = "Statement IDs (SID) in a single policy must be unique."
SID_FORMAT = (
    "Statement IDs (SID) must be alpha-numeric. "
    "Check that your input satisfies the regular expression [0-9A-Za-z]*"
)
MISSING_ACTIONS = "Policy statement must contain actions."
MISSING_RESOURCES = "Policy statement must contain resources."
NO_VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."
PRINCIPAL_FORBIDDEN = "Policy document should not specify a principal."
PRINCIPAL_REQUIRED = "Missing required field Principal"
RESOURCE_PROHIBITED = "Has prohibited field Resource"
NO_PRINCIPALS = (
    "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: "
    "The passed in policy has a statement with no principals!"
)
# Not raised by parse_policy (which accepts 2008-10-17 and documents without a Version, as
# inline and resource policies may be): for callers that insist on the current version.
VERSION_TOO_OLD = "Policy document must be version 2012-10-17 or greater."

_TOP_ELEMENTS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    }
)
_PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
_PARTITIONS = frozenset(
    {
        "aws",
        "aws-cn",
        "aws-us-gov",
        "aws-iso",
        "aws-iso-b",
        "aws-iso-e",
        "aws-iso-f",
        "aws-eusc",
        "*",
    }
)
_IAM_PATHS = (
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
)
_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR = re.compile(r"[a-zA-Z0-9.\-]+")
_ACCOUNT = re.compile(r"(\d{12})")
_ROOT_ARN = re.compile(r"arn:[^:]+:iam::(\d{12}):root")
_ROLE_ARN = re.compile(r"arn:[^:]+:iam::(\d{12}):role/(?:.*/)?([^/]+)")
_SESSION_ARN = re.compile(r"arn:[^:]+:sts::(\d{12}):assumed-role/([^/]+)/.*")


class PolicyError(Exception):
    """A policy document IAM would refuse; `message` is IAM's MalformedPolicyDocument text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    """Validate a policy document as IAM does and compile it; raises PolicyError."""
    data = _load(document)
    raw_statements = _syntax(data)
    resource_error = _check_legacy(raw_statements)
    _check_sids(raw_statements, kind)
    for statement in raw_statements:
        if not _present(statement, "Action", "NotAction"):
            raise PolicyError(MISSING_ACTIONS)
    if resource_error is not None:
        raise PolicyError(resource_error)
    for statement in raw_statements:
        for action in _listed(statement.get("Action", statement.get("NotAction"))):
            _check_action(action)
    for statement in raw_statements:
        _check_kind(statement, kind)
    version = data.get("Version", DEFAULT_VERSION)
    substitute = version == CURRENT_VERSION
    statements = tuple(_compile(statement, substitute) for statement in raw_statements)
    identifier = data.get("Id")
    return Policy(str(version), statements, None if identifier is None else str(identifier))


def _load(document: str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(document, Mapping):
        return document
    try:
        data = json.loads(document, parse_constant=_refuse_constant)
    except ValueError:
        raise PolicyError(SYNTAX_ERROR) from None
    if not isinstance(data, dict):
        raise PolicyError(SYNTAX_ERROR)
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _syntax(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The statements, once the document's shape is IAM's grammar; else "Syntax errors"."""
    statements: object = data.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list | tuple):
        raise PolicyError(SYNTAX_ERROR)
    valid = (
        set(data) <= _TOP_ELEMENTS
        and data.get("Version", DEFAULT_VERSION) in (DEFAULT_VERSION, CURRENT_VERSION)
        and isinstance(data.get("Id", ""), str)
        and len(statements) > 0
        and all(isinstance(s, Mapping) and _statement_syntax(s) for s in statements)
    )
    if not valid:
        raise PolicyError(SYNTAX_ERROR)
    return list(statements)


def _statement_syntax(statement: Mapping[str, Any]) -> bool:
    effect = statement.get("Effect")
    return (
        set(statement) <= _STATEMENT_ELEMENTS
        and not ("Action" in statement and "NotAction" in statement)
        and not ("Resource" in statement and "NotResource" in statement)
        and not ("Principal" in statement and "NotPrincipal" in statement)
        and isinstance(effect, str)
        and effect.lower() in ("allow", "deny")
        and all(
            _string_or_list(statement.get(name, ""))
            for name in ("Action", "NotAction", "Resource", "NotResource")
        )
        and isinstance(statement.get("Sid", ""), str)
        and _condition_syntax(statement.get("Condition", {}))
        and all(
            _principal_syntax(statement[name])
            for name in ("Principal", "NotPrincipal")
            if name in statement
        )
    )


def _string_or_list(value: object) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)
    )


def _condition_syntax(block: object) -> bool:
    if not isinstance(block, Mapping):
        return False
    for name, entries in block.items():
        if not isinstance(entries, Mapping) or not all(map(_condition_value, entries.values())):
            return False
        if entries and conditions.parse_operator(str(name)) is None:
            return False  # IAM tolerates an unknown operator only with an empty block
    return True


def _condition_value(value: object) -> bool:
    if isinstance(value, list | tuple):
        return all(isinstance(item, str | bool | int | float) for item in value)
    return isinstance(value, str | bool | int | float)


def _principal_syntax(value: object) -> bool:
    if isinstance(value, str):
        return value == "*"
    return isinstance(value, Mapping) and all(
        name in _PRINCIPAL_TYPES and _string_or_list(ids) for name, ids in value.items()
    )


def _check_legacy(statements: Sequence[Mapping[str, Any]]) -> str | None:
    """IAM's older parser: Effect is case-sensitive, every Date condition value (without a
    policy variable) must be a date, and resource ARNs must have their colons. Returns the
    complaint about a resource ARN's format, which IAM reports only after later checks."""
    for statement in statements:
        if statement["Effect"] not in ("Allow", "Deny"):
            raise PolicyError(LEGACY_PARSING)
        for name, entries in statement.get("Condition", {}).items():
            operator = conditions.parse_operator(str(name))
            if operator is None or not operator.base.startswith("Date"):
                continue
            for value in conditions.flatten(entries.values()):
                text = conditions.value_text(value)
                if "${" not in text and conditions.parse_date(text) is None:
                    raise PolicyError(LEGACY_PARSING)
    return _resource_format_error(statements)


def _check_sids(statements: Sequence[Mapping[str, Any]], kind: Kind) -> None:
    seen: set[str] = set()
    for statement in statements:
        sid = statement.get("Sid")
        if sid:
            if sid in seen:
                raise PolicyError(DUPLICATE_SID)
            seen.add(sid)
    for statement in statements:
        if kind != "resource" and not _SID.fullmatch(statement.get("Sid", "")):
            raise PolicyError(SID_FORMAT)


def _resource_format_error(statements: Sequence[Mapping[str, Any]]) -> str | None:
    """IAM's complaint about a resource ARN, if any. As in IAM, the last bad ARN (of each
    list in reverse order) is the one reported, and a badly placed `::` (which IAM's legacy
    parser rejects) is only noticed while no other complaint is pending."""
    error: str | None = None
    for statement in statements:
        for name in ("Resource", "NotResource"):
            if name not in statement:
                continue
            for resource in sorted(_listed(statement[name]), reverse=True):
                error = _arn_error(resource) or error
            if error is None and not all(map(_legacy_arn, _listed(statement[name]))):
                raise PolicyError(LEGACY_PARSING)
    return error


def _legacy_arn(resource: str) -> bool:
    if resource == "*":
        return True
    parts = resource.split(":")
    return (resource.count(":") >= 5 or "::" not in resource) and len(parts) > 2 and parts[2] != ""


def _arn_error(resource: str) -> str | None:
    if resource == "*":
        return None
    if ":" not in resource:
        return f'Resource {resource} must be in ARN format or "*".'
    _, _, rest = resource.partition(":")
    partition, colon, rest = rest.partition(":")
    if partition not in _PARTITIONS:
        return _partition_error(partition, rest)
    if not colon:
        return "Resource vendor must be fully qualified and cannot contain regexes."
    service, _, after_service = rest.partition(":")
    path = after_service.split(":", 2)[2] if after_service.count(":") >= 2 else ""
    if service == "iam" and not after_service.startswith(":"):
        return f"IAM resource {resource} cannot contain region information."
    if service == "iam" and not path.startswith(_IAM_PATHS):
        return f'IAM resource path must either be "*" or start with {", ".join(_IAM_PATHS)}.'
    return None


def _partition_error(partition: str, rest: str) -> str:
    parts = rest.split(":") if rest else []
    fields = [*parts[:3], *["*"] * (3 - len(parts[:3]))]
    fields.append(":".join(parts[3:]) if len(parts) > 3 else "*")
    return (
        f'Partition "{partition}" is not valid for resource "arn:{partition}:{":".join(fields)}".'
    )


def _check_action(action: str) -> None:
    parts = action.split(":")
    if len(parts) == 1 and action != "*":
        raise PolicyError(NO_VENDOR)
    if len(parts) > 2:
        raise PolicyError(ONE_COLON)
    if parts[0] != "*" and not _VENDOR.fullmatch(parts[0]):
        raise PolicyError(f"Vendor {parts[0]} is not valid")


def _check_kind(statement: Mapping[str, Any], kind: Kind) -> None:
    """What each kind of policy requires: identity policies act for their holder (no
    principal, resources required); trust policies guard the role itself (no resources)."""
    names_principal = "Principal" in statement or "NotPrincipal" in statement
    if kind == "identity":
        if names_principal:
            raise PolicyError(PRINCIPAL_FORBIDDEN)
        if not _present(statement, "Resource", "NotResource"):
            raise PolicyError(MISSING_RESOURCES)
        return
    if not names_principal:
        raise PolicyError(PRINCIPAL_REQUIRED)
    if kind == "trust" and ("Resource" in statement or "NotResource" in statement):
        raise PolicyError(RESOURCE_PROHIBITED)
    _principals(statement.get("Principal", statement.get("NotPrincipal")))


def _present(statement: Mapping[str, Any], name: str, negated: str) -> bool:
    """The element is there, and not an empty list."""
    key = name if name in statement else negated
    return key in statement and statement[key] != [] and statement[key] != ()


# ---------------------------------------------------------------- compiling


def _compile(statement: Mapping[str, Any], substitute: bool) -> Statement:
    action_key = "Action" if "Action" in statement else "NotAction"
    resource_key = "Resource" if "Resource" in statement else "NotResource"
    principal_key = "Principal" if "Principal" in statement else "NotPrincipal"
    return Statement(
        sid=statement.get("Sid"),
        effect=statement["Effect"],
        actions=_alternation(_listed(statement[action_key]), "action"),
        not_action=action_key == "NotAction",
        resources=(
            _resources(_listed(statement[resource_key]), substitute)
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
    assert isinstance(element, Mapping)  # checked by _principal_syntax
    if not element or not all(_listed(ids) for ids in element.values()):
        raise PolicyError(NO_PRINCIPALS)
    anyone = False
    accounts: set[str] = set()
    arns: set[str] = set()
    roles: set[tuple[str, str]] = set()
    for value in _listed(element.get("AWS", ())):  # other principal types never match AWS ones
        root = _ACCOUNT.fullmatch(value) or _ROOT_ARN.fullmatch(value)
        if value == "*":
            anyone = True
        elif root is not None:
            accounts.add(root.group(1))
            arns.add(f"arn:aws:iam::{root.group(1)}:root")
        elif value.startswith("arn:") and value.count(":") >= 5 and not set(value) & set("*?"):
            arns.add(value)  # IAM allows no wildcard inside a principal ARN
            role = _ROLE_ARN.fullmatch(value)
            if role is not None:
                roles.add((role.group(1), role.group(2)))
        else:
            raise PolicyError(f'Invalid principal in policy: "AWS":"{value}"')
    return _Principals(anyone, frozenset(accounts), frozenset(arns), frozenset(roles))


def _listed(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return (
        [item for item in value if isinstance(item, str)] if isinstance(value, list | tuple) else []
    )
