"""The error catalogue: every DynamoDB error type opendynamo answers, with its wire namespace,
HTTP status and message field casing.

Any layer raises a `DynamoError` built by one of the named constructors below; only `server/`
renders it (see `server/render.py`). Keep this module a leaf: it imports nothing of ours.
"""

from __future__ import annotations

from typing import Any

DYNAMODB = "com.amazonaws.dynamodb.v20120810"
CORAL_VALIDATE = "com.amazon.coral.validate"
CORAL_SERVICE = "com.amazon.coral.service"


class DynamoError(Exception):
    """A failure the client can see: rendered as `{"__type": "<namespace>#<type>", ...}`.

    `message` is None for the few errors DynamoDB sends without one (UnknownOperationException,
    SerializationException for unparseable JSON). `message_field` is "Message" for the types whose
    model member is capitalised. `extra` holds additional body members (Item, CancellationReasons).
    """

    __slots__ = ("type_name", "message", "namespace", "status", "message_field", "extra")

    def __init__(
        self,
        type_name: str,
        message: str | None,
        *,
        namespace: str = DYNAMODB,
        status: int = 400,
        message_field: str = "message",
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message
        self.namespace = namespace
        self.status = status
        self.message_field = message_field
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body DynamoDB sends for this error."""
        out: dict[str, Any] = {"__type": f"{self.namespace}#{self.type_name}"}
        if self.message is not None:
            out[self.message_field] = self.message
        if self.extra:
            out.update(self.extra)
        return out


def validation(message: str) -> DynamoError:
    return DynamoError("ValidationException", message, namespace=CORAL_VALIDATE)


def invalid_parameters(detail: str) -> DynamoError:
    """The common 'One or more parameter values were invalid: …' ValidationException."""
    return validation(f"One or more parameter values were invalid: {detail}")


def serialization(message: str | None = None) -> DynamoError:
    # Malformed JSON has no message; wrong JSON types carry a capitalised `Message`.
    return DynamoError(
        "SerializationException", message, namespace=CORAL_SERVICE, message_field="Message"
    )


def unknown_operation() -> DynamoError:
    return DynamoError("UnknownOperationException", None, namespace=CORAL_SERVICE)


def resource_not_found(message: str = "Requested resource not found") -> DynamoError:
    return DynamoError("ResourceNotFoundException", message)


def table_not_found(table_name: str) -> DynamoError:
    return resource_not_found(f"Requested resource not found: Table: {table_name} not found")


def resource_in_use(message: str) -> DynamoError:
    return DynamoError("ResourceInUseException", message)


def conditional_check_failed(item: dict[str, Any] | None = None) -> DynamoError:
    extra = {"Item": item} if item is not None else None
    return DynamoError(
        "ConditionalCheckFailedException", "The conditional request failed", extra=extra
    )


def limit_exceeded(message: str) -> DynamoError:
    return DynamoError("LimitExceededException", message)


def request_too_large() -> DynamoError:
    return DynamoError(
        "RequestEntityTooLarge",
        "Request entity too large",
        namespace=CORAL_SERVICE,
        status=413,
    )


def internal_server_error(request_id: str) -> DynamoError:
    return DynamoError(
        "InternalServerError",
        f"Internal server error (request id {request_id})",
        status=500,
    )


def missing_authentication_token() -> DynamoError:
    return DynamoError(
        "MissingAuthenticationTokenException",
        "Request is missing Authentication Token",
        namespace=CORAL_SERVICE,
    )


def incomplete_signature(message: str) -> DynamoError:
    return DynamoError("IncompleteSignatureException", message, namespace=CORAL_SERVICE)


def access_denied(message: str) -> DynamoError:
    return DynamoError(
        "AccessDeniedException", message, namespace=CORAL_SERVICE, message_field="Message"
    )


def invalid_signature(message: str) -> DynamoError:
    return DynamoError("InvalidSignatureException", message, namespace=CORAL_SERVICE)


def unrecognized_client(
    message: str = "The security token included in the request is invalid.",
) -> DynamoError:
    # An unknown access key id ends with a period; a bad session token, checked after the
    # signature, is worded without one (auth.md A.4 rows 10 and 12).
    return DynamoError("UnrecognizedClientException", message, namespace=CORAL_SERVICE)


def expired_token() -> DynamoError:
    return DynamoError(
        "ExpiredTokenException",
        "The security token included in the request is expired",
        namespace=CORAL_SERVICE,
    )


class ServiceError(Exception):
    """A failure of the IAM or STS API (AWS Query protocol), rendered as an XML ErrorResponse:
    `code` is the error code (NoSuchEntity, EntityAlreadyExists, ...), `status` its HTTP status
    from the service model, `sender_fault` the <Type> Sender (else Receiver)."""

    __slots__ = ("code", "message", "status", "sender_fault")

    def __init__(self, code: str, message: str, status: int = 400, sender_fault: bool = True):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault


def no_such_entity(message: str) -> ServiceError:
    return ServiceError("NoSuchEntity", message, 404)


def entity_already_exists(message: str) -> ServiceError:
    return ServiceError("EntityAlreadyExists", message, 409)


def delete_conflict(message: str) -> ServiceError:
    return ServiceError("DeleteConflict", message, 409)


def quota_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceeded", message, 409)


def malformed_policy(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocument", message, 400)


def invalid_input(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


def service_access_denied(message: str) -> ServiceError:
    return ServiceError("AccessDenied", message, 403)


# DynamoDB's authentication errors as IAM and STS word them (same checks, Query-protocol codes).
SERVICE_AUTH_CODES = {
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken", 403),
    "IncompleteSignatureException": ("IncompleteSignature", 400),
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
    "UnrecognizedClientException": ("InvalidClientTokenId", 403),
    "ExpiredTokenException": ("ExpiredToken", 403),
    "AccessDeniedException": ("AccessDenied", 403),
}


def policy_not_found(message: str) -> DynamoError:
    return DynamoError("PolicyNotFoundException", message)
