"""Validating an IAM policy document as IAM does, in IAM's order, with the text IAM puts in
MalformedPolicyDocument: the grammar first ("Syntax errors in policy."), then IAM's "legacy
parser" (case-sensitive Effect, date values, resource ARN shapes), unique statement ids,
actions present, resource ARN formats, action vendors, and finally what the policy kind
requires (identity policies need resources and may not name a principal; resource and trust
policies need one; trust policies may not name resources). `language.parse_policy` compiles
what passes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from opendynamo.authz.policy import conditions

Kind = Literal["identity", "resource", "trust"]
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
ACCOUNT = re.compile(r"(\d{12})")
ROOT_ARN = re.compile(r"arn:[^:]+:iam::(\d{12}):root")


class PolicyError(Exception):
    """A policy document IAM would refuse; `message` is IAM's MalformedPolicyDocument text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validate(
    document: str | Mapping[str, Any], *, kind: Kind
) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
    """The document and its statements, once IAM would accept them as a `kind` policy;
    PolicyError (IAM's MalformedPolicyDocument text) otherwise."""
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
        for action in listed(statement.get("Action", statement.get("NotAction"))):
            _check_action(action)
    for statement in raw_statements:
        _check_kind(statement, kind)
    return data, raw_statements


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
            for resource in sorted(listed(statement[name]), reverse=True):
                error = _arn_error(resource) or error
            if error is None and not all(map(_legacy_arn, listed(statement[name]))):
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
    _check_principals(statement.get("Principal", statement.get("NotPrincipal")))


def _check_principals(element: object) -> None:
    """What IAM refuses in a Principal element: none named, or an AWS value that is neither
    "*", an account, nor an ARN without wildcards."""
    if element == "*":
        return
    assert isinstance(element, Mapping)  # checked by _principal_syntax
    if not element or not all(listed(ids) for ids in element.values()):
        raise PolicyError(NO_PRINCIPALS)
    for value in listed(element.get("AWS", ())):  # other principal types never match AWS ones
        if value == "*" or ACCOUNT.fullmatch(value) or ROOT_ARN.fullmatch(value):
            continue
        if value.startswith("arn:") and value.count(":") >= 5 and not set(value) & set("*?"):
            continue  # IAM allows no wildcard inside a principal ARN
        raise PolicyError(f'Invalid principal in policy: "AWS":"{value}"')


def _present(statement: Mapping[str, Any], name: str, negated: str) -> bool:
    """The element is there, and not an empty list."""
    key = name if name in statement else negated
    return key in statement and statement[key] != [] and statement[key] != ()


def listed(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return (
        [item for item in value if isinstance(item, str)] if isinstance(value, list | tuple) else []
    )
