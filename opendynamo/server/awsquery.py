"""The AWS Query protocol that IAM and STS speak (and CloudWatch, among its three): a
form-urlencoded request, an XML reply.

A request is `Action=CreateUser&Version=2010-05-08&UserName=bob&Tags.member.1.Key=k...`, the
body botocore's `query` serializer writes (Content-Type `application/x-www-form-urlencoded;
charset=utf-8`). Lists are `Name.member.N...` (1-based, never flattened in IAM or STS), maps
`Name.entry.N.key` / `Name.entry.N.value`, structures `Name.Member`. Every scalar arrives as text:
`parse_form` keeps it text, and the operation's shape converts numbers and booleans.

A reply is `<{Action}Response xmlns=...><{Action}Result>...</{Action}Result><ResponseMetadata>
<RequestId>...</RequestId></ResponseMetadata></{Action}Response>`; an error is `<ErrorResponse>`
with `<Error><Type/><Code/><Message/></Error>` and the request id beside, not inside, `<Error>`.
Both are laid out as IAM and STS send them: no XML declaration, two-space indent, final newline.

Policy documents in replies are percent-encoded. IAM returns every `policyDocumentType` value
(GetUserPolicy/GetRolePolicy/GetGroupPolicy PolicyDocument, a role's AssumeRolePolicyDocument,
a PolicyVersion's Document) "URL-encoded compliant with RFC 3986". botocore's parser hands the
text over as sent; boto3's IAM client then runs `botocore.handlers.json_decode_policies`, which
does `json.loads(unquote(text))` and gives the caller a dict. The caller of `render_result` must
therefore pass `encode_policy_document(document)`: `%20` for a space, never `+` (unquote leaves
`+` alone, which would corrupt the JSON). STS has no such field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from opendynamo import errors

Params = dict[str, Any]

IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"

# HTTP status of each error code, from the `error` traits of botocore's iam and sts models
# (httpStatusCode) and, for the codes every Query service shares, AWS's "Common Errors" pages
# and replies captured from the real services. ExpiredToken (an expired session token on any
# call) is 403 as the services send it; ExpiredTokenException (400) is STS's modeled error for
# an expired web-identity or SAML token -- two different codes.
ERROR_STATUS: dict[str, int] = {
    "NoSuchEntity": 404,
    "EntityAlreadyExists": 409,
    "DeleteConflict": 409,
    "LimitExceeded": 409,
    "ConcurrentModification": 409,
    "EntityTemporarilyUnmodifiable": 409,
    "PasswordPolicyViolation": 400,
    "InvalidUserType": 400,
    "MalformedPolicyDocument": 400,
    "InvalidInput": 400,
    "ValidationError": 400,
    "InvalidParameterValue": 400,
    "InvalidAction": 400,
    "MissingAction": 400,
    "MalformedQueryString": 404,
    "AccessDenied": 403,
    "InvalidClientTokenId": 403,
    "SignatureDoesNotMatch": 403,
    "MissingAuthenticationToken": 403,
    "IncompleteSignature": 400,
    "ExpiredToken": 403,
    "ExpiredTokenException": 400,
    "ServiceFailure": 500,
    "InternalFailure": 500,
}
_LIST = "member"
_MAP = "entry"
# A dotted name deeper than this names no member of any action served (CloudWatch's deepest
# is 8 levels, `Metrics.member.1.MetricStat.Metric.Dimensions.member.1.Name`): it is left out,
# so that a hostile name cannot nest the parsed tree deeper than the walk over it may go.
MAX_NAME_PARTS = 32


QueryError = errors.ServiceError  # the error catalogue's IAM/STS error, rendered here


def query_error(code: str, message: str) -> QueryError:
    """The error with the status IAM and STS send for `code`; 5xx codes are the Receiver's."""
    status = ERROR_STATUS.get(code, 400)
    return QueryError(code, message, status, sender_fault=status < 500)


def parse_form(body: bytes) -> tuple[str, str, Params]:
    """(Action, Version, params) of a form-urlencoded AWS Query request.

    Dotted names nest: `A.member.N...` becomes a list ordered by N with gaps closed,
    `A.entry.N.key`/`.value` a dict, `A.B` a structure. Scalars stay strings; a repeated name
    keeps its last value. botocore sends an empty list as `A=`, so the caller's shape must read
    "" as [] for a list member. A missing Action or Version is "". Undecodable bytes or percent
    escapes are MalformedQueryString.
    """
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise query_error("MalformedQueryString", "The query string is not valid UTF-8") from None
    tree: Params = {}
    for name, value in pairs:
        parts = name.split(".", MAX_NAME_PARTS)
        if len(parts) <= MAX_NAME_PARTS:
            _insert(tree, parts, value)
    params = _normalise(tree)
    action = params.pop("Action", "")
    version = params.pop("Version", "")
    return _text(action), _text(version), params


def _insert(tree: Params, path: list[str], value: str) -> None:
    """Set `value` at `path`; a later name wins over an earlier one that it conflicts with."""
    node = tree
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = value


def _normalise(node: Any) -> Any:
    """Turn the raw tree of dotted names into lists, maps and structures, depth first."""
    if not isinstance(node, dict):
        return node
    if node.keys() == {_LIST} and _indexed(node[_LIST]):
        return [_normalise(item) for _, item in sorted(node[_LIST].items(), key=_index)]
    if node.keys() == {_MAP} and _indexed(node[_MAP]):
        return _entries(node[_MAP])
    return {key: _normalise(child) for key, child in node.items()}


def _indexed(node: Any) -> bool:
    """Whether every key below `member`/`entry` is a 1-based index, as the protocol writes
    (ASCII digits: `str.isdigit` also takes "²", which `int` refuses)."""
    return isinstance(node, dict) and all(key.isascii() and key.isdigit() for key in node)


def _index(item: tuple[str, Any]) -> int:
    return int(item[0])


def _entries(entries: Params) -> Params:
    """A map from its `entry.N.key` / `entry.N.value` pairs; an entry without a key is dropped."""
    out: Params = {}
    for _, entry in sorted(entries.items(), key=_index):
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            out[entry["key"]] = _normalise(entry.get("value", ""))
    return out


def _text(value: Any) -> str:
    """Action and Version are plain names; a nested `Action.x` is not an action."""
    return value if isinstance(value, str) else ""


def encode_policy_document(document: str) -> str:
    """A policy document as IAM returns it: every byte but RFC 3986's unreserved ones escaped."""
    return quote(document, safe="")


class EntryMap(dict[str, Any]):
    """A result value rendered as a Query map (`<entry><key/><value/></entry>`, e.g.
    GetAccountSummary's SummaryMap) rather than as a structure of child elements."""


def render_result(action: str, namespace: str, result: Params | None, request_id: str) -> bytes:
    """The success reply for `action`. Result values render by type: dict -> child elements in
    insertion order, list -> one <member> per item, bool -> true/false, int -> digits, datetime
    -> ISO-8601 UTC with 'Z', str -> escaped text; None values are left out. A None result (a
    call with no output, e.g. DeleteUser) leaves out the whole <{action}Result> element."""
    _check_name(action)
    lines = [f'<{action}Response xmlns="{_escape(namespace)}">']
    if result is not None:
        lines += _element(f"{action}Result", result, 1)
    lines += _element("ResponseMetadata", {"RequestId": request_id}, 1)
    lines.append(f"</{action}Response>")
    return _document(lines)


def render_error(error: QueryError, namespace: str, request_id: str) -> bytes:
    """The ErrorResponse IAM, STS and CloudWatch send; botocore reads Code, Message and Type
    from <Error>. An error without a message (CloudWatch's ResourceNotFound) has no
    <Message>."""
    fields = {
        "Type": "Sender" if error.sender_fault else "Receiver",
        "Code": error.code,
        "Message": error.message or None,
    }
    lines = [f'<ErrorResponse xmlns="{_escape(namespace)}">']
    lines += _element("Error", fields, 1)
    lines += _element("RequestId", request_id, 1)
    lines.append("</ErrorResponse>")
    return _document(lines)


def _document(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def _element(name: str, value: Any, depth: int) -> list[str]:
    """The lines of one element, indented two spaces per level as the services do."""
    pad = "  " * depth
    if value is None:
        return []
    if isinstance(value, EntryMap):
        entries = [{"key": key, "value": item} for key, item in value.items()]
        return _container(name, [(_MAP, entry) for entry in entries], depth)
    if isinstance(value, dict):
        return _container(name, list(value.items()), depth)
    if isinstance(value, list | tuple):
        return _container(name, [(_LIST, item) for item in value], depth)
    return [f"{pad}<{name}>{_scalar(value)}</{name}>"]


def _container(name: str, children: list[tuple[str, Any]], depth: int) -> list[str]:
    pad = "  " * depth
    inner = [line for key, child in children for line in _element(key, child, depth + 1)]
    if not inner:
        return [f"{pad}<{name}/>"]
    return [f"{pad}<{name}>", *inner, f"{pad}</{name}>"]


def _scalar(value: Any) -> str:
    """Text of a scalar; bool is tested before int because bool is an int."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, str):
        return _escape(value)
    raise TypeError(f"cannot render {type(value).__name__} in a Query reply")


def _timestamp(value: datetime) -> str:
    """ISO-8601 in UTC to the second, as IAM writes CreateDate; a naive time is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _escape(text: str) -> str:
    """XML text escaping; CR is a character reference because parsers turn a bare CR into LF."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
    )


def _check_name(action: str) -> None:
    """The action becomes a tag name, so only an operation name (letters, digits) may pass."""
    if not (action.isascii() and action.isalnum() and action[:1].isalpha()):
        raise ValueError(f"not an operation name: {action!r}")
