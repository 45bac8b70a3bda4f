"""The error catalogue: every DynamoDB error type opendynamo answers, with its wire namespace,
HTTP status and message field casing.

Any layer raises a `DynamoError` built by one of the named constructors below; only `server/`
renders it: `server/render.json_error` writes the JSON body (and an error of the IAM or STS
API is a `ServiceError`, which `server/awsquery.render_error` writes as XML). Keep this module a leaf: it imports nothing of ours.
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


def empty_attribute_name() -> DynamoError:
    """An attribute name that is the empty string, where a request names an attribute (an
    item's, a key's, AttributesToGet, AttributeUpdates, Expected, a legacy filter).
    DynamoDB's naming rules ask for at least one character; the wording is DynamoDB's own for
    the name an ExpressionAttributeNames entry gives ("…contains invalid value: Empty
    attribute name for key #a"), the only place its message is on record."""
    return validation("Empty attribute name")


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
    # signature, is worded without one (as DynamoDB words them).
    return DynamoError("UnrecognizedClientException", message, namespace=CORAL_SERVICE)


def expired_token() -> DynamoError:
    return DynamoError(
        "ExpiredTokenException",
        "The security token included in the request is expired",
        namespace=CORAL_SERVICE,
    )


def unsupported_operation(operation: str) -> DynamoError:
    """An operation of DynamoDB's API that opendynamo does not implement."""
    return DynamoError(
        "UnknownOperationException",
        f"opendynamo does not support {operation} yet",
        namespace=CORAL_SERVICE,
    )


def commit_failed() -> DynamoError:
    """The answer to each request whose group commit failed."""
    return DynamoError(
        "InternalServerError",
        "Internal server error (the write was not committed)",
        status=500,
    )


def policy_not_found(message: str) -> DynamoError:
    return DynamoError("PolicyNotFoundException", message)


# --- items and transactions -------------------------------------------------------------


def provisioned_throughput_exceeded(reason: str, resource: str) -> DynamoError:
    """`reason` is TableReadProvisionedThroughputExceeded or ...Write...; `resource` the ARN."""
    return DynamoError(
        "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
        extra={"ThrottlingReasons": [{"reason": reason, "resource": resource}]},
    )


def item_collection_size_limit_exceeded() -> DynamoError:
    return DynamoError("ItemCollectionSizeLimitExceededException", "Collection size exceeded.")


def transaction_conflict() -> DynamoError:
    return DynamoError("TransactionConflictException", "Transaction is ongoing for the item")


def replicated_write_conflict() -> DynamoError:
    """A write to a strongly consistent global table whose item another region's request is
    changing (retryable)."""
    return DynamoError(
        "ReplicatedWriteConflictException",
        "The request was rejected because one or more items in the request are being modified "
        "by a request in another Region.",
    )


def transaction_canceled(reasons: list[dict[str, Any]]) -> DynamoError:
    """TransactionCanceledException with one reason per action, in request order."""
    codes = ", ".join(reason["Code"] for reason in reasons)
    return DynamoError(
        "TransactionCanceledException",
        f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        message_field="Message",
        extra={"CancellationReasons": reasons},
    )


def transaction_canceled_validation(detail: str) -> DynamoError:
    """The TransactionCanceledException (no CancellationReasons) DynamoDB answers for a
    transaction statement that misses its key or repeats a condition on it."""
    return DynamoError(
        "TransactionCanceledException", f"ValidationError {detail}", message_field="Message"
    )


def idempotent_parameter_mismatch() -> DynamoError:
    return DynamoError(
        "IdempotentParameterMismatchException",
        "Request has the same client token as a previous request, but the requests are "
        "not the same.",
        message_field="Message",
    )


def duplicate_item() -> DynamoError:
    """A PartiQL INSERT of an item that exists."""
    return DynamoError("DuplicateItemException", "Duplicate primary key exists in table")


# --- global tables, version 2017.11.29 -------------------------------------------------


def global_table_already_exists(name: str) -> DynamoError:
    return DynamoError(
        "GlobalTableAlreadyExistsException", f"Global table with name: '{name}' already exists."
    )


def global_table_not_found(name: str, described: bool = False) -> DynamoError:
    """DescribeGlobalTable's words (`described`), and the other operations' (live answers)."""
    message = f"Global table with name: '{name}' does not exist."
    return DynamoError(
        "GlobalTableNotFoundException",
        f"Global table not found: {message}" if described else message,
    )


def replica_already_exists(name: str, region: str) -> DynamoError:
    return DynamoError(
        "ReplicaAlreadyExistsException",
        f"Replica already exists in region: '{region}' for global table: '{name}'.",
    )


def replica_not_found(name: str, region: str) -> DynamoError:
    return DynamoError(
        "ReplicaNotFoundException",
        f"Replica does not exist in region: '{region}' for global table: '{name}'.",
    )


def global_table_member_not_found(name: str, region: str) -> DynamoError:
    """TableNotFoundException: a global table's member that does not exist in its region."""
    return DynamoError("TableNotFoundException", f"Table not found: {name} in region: {region}")


def index_not_found_exception(index: str) -> DynamoError:
    return DynamoError("IndexNotFoundException", f"Index not found: {index}")


# --- backups, restores, exports and imports ---------------------------------------------


def table_not_found_exception(name: str | None = None) -> DynamoError:
    """TableNotFoundException (the backup, restore and export operations' missing table, where
    the others answer `table_not_found`'s ResourceNotFoundException)."""
    return DynamoError(
        "TableNotFoundException", "Table not found" if name is None else f"Table not found: {name}"
    )


def table_already_exists(name: str) -> DynamoError:
    return DynamoError("TableAlreadyExistsException", f"Table already exists: {name}")


def table_in_use(name: str, source: str) -> DynamoError:
    """A restore's target table that another restore (from `source`) is still filling."""
    return DynamoError(
        "TableInUseException", f"Table: {name} is already being restored from backup: {source}"
    )


def backup_not_found(arn: str) -> DynamoError:
    return DynamoError("BackupNotFoundException", f"Backup not found: {arn}")


def backup_being_created(arn: str) -> DynamoError:
    return DynamoError("BackupInUseException", f"Backup is being created: {arn}")


def backup_restoring_table(arn: str) -> DynamoError:
    """DeleteBackup of a backup a restore is still reading."""
    return DynamoError("BackupInUseException", f"Backup is being used to restore table: {arn}")


def backup_restoring_another_table(arn: str) -> DynamoError:
    """RestoreTableFromBackup of a backup a restore to another table is still reading."""
    return DynamoError(
        "BackupInUseException", f"Backup is being used to restore another table: {arn}"
    )


def point_in_time_recovery_unavailable(table_name: str) -> DynamoError:
    return DynamoError(
        "PointInTimeRecoveryUnavailableException",
        f"Point in time recovery is not enabled for table '{table_name}'",
    )


def invalid_restore_time(at: str, earliest: str, latest: str) -> DynamoError:
    """The times as DynamoDB prints them (ISO 8601, to the second)."""
    return DynamoError(
        "InvalidRestoreTimeException",
        f"RestoreDateTime '{at}' must be within EarliestRestorableDateTime '{earliest}' and "
        f"LatestRestorableDateTime '{latest}'",
    )


def invalid_export_time(message: str) -> DynamoError:
    return DynamoError("InvalidExportTimeException", message)


def export_conflict() -> DynamoError:
    return DynamoError(
        "ExportConflictException",
        "Export conflict: Duplicate request detected with conflicting parameters",
    )


def export_not_found(arn: str) -> DynamoError:
    # DynamoDB says it twice (a live capture).
    return DynamoError("ExportNotFoundException", f"Export not found: Export not found: {arn}")


def import_conflict() -> DynamoError:
    return DynamoError(
        "ImportConflictException",
        "Import conflict: Duplicate request detected with conflicting parameters",
    )


def import_not_found(arn: str) -> DynamoError:
    return DynamoError("ImportNotFoundException", f"Import not found: {arn}")


# --- streams ----------------------------------------------------------------------------


def expired_iterator(made: str, now: str) -> DynamoError:
    """`made` and `now` as DynamoDB prints them ("2024-01-02 03:04:05.678 UTC")."""
    return DynamoError(
        "ExpiredIteratorException",
        f"Iterator expired. The iterator was created at time {made} while right "
        f"now it is {now} which is further in the future than the tolerated "
        "delay of 900000 milliseconds.",
    )


def trimmed_data_access() -> DynamoError:
    return DynamoError(
        "TrimmedDataAccessException",
        "The operation attempted to read past the oldest stream record in a shard.",
    )


class ServiceError(Exception):
    """A failure of the IAM, STS or CloudWatch API (whose codes are the AWS Query protocol's),
    rendered as an XML ErrorResponse (CloudWatch's also in CBOR or JSON, `server/cloudwatch`):
    `code` is the error code (NoSuchEntity, EntityAlreadyExists, ...), `status` its HTTP status
    from the service model, `sender_fault` the <Type> Sender (else Receiver)."""

    __slots__ = ("code", "message", "status", "sender_fault")

    def __init__(self, code: str, message: str, status: int = 400, sender_fault: bool = True):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault

    def reworded(self, message: str) -> ServiceError:
        """The same error with another message."""
        return ServiceError(self.code, message, self.status, self.sender_fault)


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


def password_policy_violation() -> ServiceError:
    """A new console password that breaks the account's password policy (or, with none set,
    AWS's default rules), or repeats one of the user's last passwords."""
    return ServiceError(
        "PasswordPolicyViolation", "Password does not conform to the account password policy.", 400
    )


def invalid_user_type(message: str) -> ServiceError:
    return ServiceError("InvalidUserType", message, 400)


def entity_temporarily_unmodifiable(message: str) -> ServiceError:
    return ServiceError("EntityTemporarilyUnmodifiable", message, 409)


def missing_action() -> ServiceError:
    return ServiceError("MissingAction", "Missing Action")


def invalid_action(action: str) -> ServiceError:
    return ServiceError(
        "InvalidAction", f"Could not find operation {action} for version NO_VERSION_SPECIFIED"
    )


def service_failure(request_id: str) -> ServiceError:
    """IAM's and STS's answer to an unexpected failure (HTTP 500, a Receiver fault)."""
    return ServiceError("ServiceFailure", f"Internal failure (request id {request_id})", 500, False)


def as_service_error(exc: DynamoError) -> ServiceError:
    """An authentication error (raised as DynamoDB words it) as IAM, STS and CloudWatch
    answer it; any other keeps its type and status."""
    code, status = SERVICE_AUTH_CODES.get(exc.type_name, (exc.type_name, exc.status))
    return ServiceError(code, exc.message or "", status, sender_fault=status < 500)


# DynamoDB's authentication errors as IAM and STS word them (same checks, Query-protocol codes).
SERVICE_AUTH_CODES = {
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken", 403),
    "IncompleteSignatureException": ("IncompleteSignature", 400),
    "InvalidSignatureException": ("SignatureDoesNotMatch", 403),
    "UnrecognizedClientException": ("InvalidClientTokenId", 403),
    "ExpiredTokenException": ("ExpiredToken", 403),
    "AccessDeniedException": ("AccessDenied", 403),
}


# --- CloudWatch ---------------------------------------------------------------------------
# CloudWatch's errors are `ServiceError`s too: `server/cloudwatch` renders one in the protocol
# the request came in (CBOR, JSON 1.0 or Query). `code` is the Query protocol's error code,
# which botocore reports as Error.Code in every protocol (awsQueryCompatible, through the
# `x-amzn-query-error` header); statuses from the `error` traits of botocore's cloudwatch model.


def missing_parameter(names: list[str]) -> ServiceError:
    """MissingParameter, one line per missing member as CloudWatch words them ("The parameter
    MetricData.member.1.MetricName is required."), in Query-protocol paths."""
    return ServiceError(
        "MissingParameter", "\n".join(f"The parameter {name} is required." for name in names)
    )


def invalid_parameter_value(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message)


def invalid_parameter_combination(message: str) -> ServiceError:
    return ServiceError("InvalidParameterCombination", message)


def cloudwatch_validation(message: str) -> ServiceError:
    """CloudWatch's ValidationError (400): its constraint messages ("1 validation error
    detected: …") and its rules between members ("Period must be 10, 30 or a multiple of
    60")."""
    return ServiceError("ValidationError", message)


def alarm_not_found() -> ServiceError:
    """SetAlarmState of an alarm that does not exist: CloudWatch answers ResourceNotFound
    (404) with no message (recorded against AWS in LocalStack's snapshot tests)."""
    return ServiceError("ResourceNotFound", "", 404)


def tagged_resource_not_found() -> ServiceError:
    """TagResource, UntagResource or ListTagsForResource of an ARN that names no alarm of the
    caller's account and region: ResourceNotFoundException (404; the model's error of the
    tagging operations, another code than SetAlarmState's ResourceNotFound) with no message,
    which botocore shows as "Unknown" (what moto's tests pin, from AWS's answer)."""
    return ServiceError("ResourceNotFoundException", "", 404)


def invalid_next_token(token: str) -> ServiceError:
    return ServiceError(
        "InvalidNextToken", f"The value {token} for parameter NextToken is invalid."
    )


def invalid_format(message: str) -> ServiceError:
    return ServiceError("InvalidFormat", message)


def malformed_request() -> ServiceError:
    """A CloudWatch request whose body does not decode (CBOR or JSON): the Coral service's
    SerializationException, as AWS's JSON services answer a body they cannot read."""
    return ServiceError("SerializationException", "The request body could not be decoded.")


def cloudwatch_request_too_large(size: int, limit: int) -> ServiceError:
    """A request over CloudWatch's size limit (1 MB, PutMetricData's). The wording is
    opendynamo's: CloudWatch's answer is not on record."""
    return ServiceError("RequestEntityTooLarge", f"Request size {size} exceeded {limit} bytes", 413)


def unknown_cloudwatch_operation(operation: str) -> ServiceError:
    """An operation CloudWatch does not have: the Query protocol's InvalidAction."""
    return ServiceError(
        "InvalidAction", f"Could not find operation {operation} for version 2010-08-01"
    )


def unsupported_cloudwatch_operation(operation: str) -> ServiceError:
    """An operation of CloudWatch's API that opendynamo does not implement."""
    return ServiceError("InvalidAction", f"opendynamo does not support {operation} yet")


def cloudwatch_failure(request_id: str) -> ServiceError:
    """CloudWatch's answer to an unexpected failure: InternalServiceError (500, a Receiver
    fault), with the request id so the log can be searched for it."""
    return ServiceError(
        "InternalServiceError", f"Internal failure (request id {request_id})", 500, False
    )


def insight_rule_not_found(name: str) -> ServiceError:
    """GetInsightRuleReport on a rule the account does not have (HTTP 404, as CloudWatch's
    model declares ResourceNotFoundException). CloudWatch's wording is not recorded."""
    return ServiceError("ResourceNotFoundException", f"Rule {name} does not exist.", 404)


# --- the console's own answers (`server/console`): its sign-in and session, in JSON ------------

CONSOLE = "opendynamo.console"


def console_sign_in_failed() -> DynamoError:
    """A wrong user, password or key: one message whichever it was (as AWS's sign-in page)."""
    return DynamoError(
        "SignInFailed",
        "Your authentication information is incorrect. Please try again.",
        namespace=CONSOLE,
        status=401,
    )


def console_too_many_attempts(minutes: int) -> DynamoError:
    return DynamoError(
        "TooManyAttempts",
        f"Too many failed sign-in attempts. Wait {minutes} minutes and try again.",
        namespace=CONSOLE,
        status=429,
    )


def console_not_signed_in() -> DynamoError:
    return DynamoError(
        "NotSignedIn",
        "Your console session has ended. Sign in again.",
        namespace=CONSOLE,
        status=401,
    )


def console_password_reset_required() -> DynamoError:
    return DynamoError(
        "PasswordResetRequired",
        "You must change your password before you continue.",
        namespace=CONSOLE,
        status=403,
    )


def console_password_expired() -> DynamoError:
    return DynamoError(
        "PasswordExpired",
        "Your password has expired. Ask your administrator to set a new one.",
        namespace=CONSOLE,
        status=403,
    )


def console_forbidden(reason: str) -> DynamoError:
    """A state-changing request without the session's CSRF token or from another origin."""
    return DynamoError("Forbidden", reason, namespace=CONSOLE, status=403)


def console_bad_request(message: str) -> DynamoError:
    return DynamoError("BadRequest", message, namespace=CONSOLE, status=400)
