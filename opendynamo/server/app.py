"""The application behind the HTTP edge (`server/http` parses, `App.respond` answers): it
routes a request by service and target (DynamoDB and Streams in JSON 1.0, IAM and STS in the
Query protocol, CloudWatch in CBOR, JSON 1.0 or Query), authenticates it, has `authz` decide
it, runs the operation and renders the answer. `server/asgi` adapts the same application to
ASGI servers.

Order of checks follows DynamoDB's (DynamoDB API Reference, "Common Errors"): method and
content type, JSON parse, target, authentication, JSON types, constraints, then the
operation. Only this package knows HTTP: `server/body` reads a body, and every failure is
rendered by `server/render` from the error catalogue (`errors.py`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import random
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any

import orjson

from opendynamo import errors
from opendynamo.api import dynamodb, streams
from opendynamo.api.cloudwatch import OPERATIONS as CLOUDWATCH_OPERATIONS
from opendynamo.api.cloudwatch.shapes import Protocol, read_input
from opendynamo.api.dynamodb import transact
from opendynamo.api.iam import IAM_OPERATIONS, STS_OPERATIONS
from opendynamo.api.request.context import Context, Grants
from opendynamo.api.request.shapes import validate_input
from opendynamo.authz import authorize
from opendynamo.authz.access import Access
from opendynamo.authz.policy.identity import Identity
from opendynamo.config import Settings
from opendynamo.engine.directory import DEFAULT_ACCOUNT
from opendynamo.engine.metrics import dynamodb as metered
from opendynamo.engine.metrics.dynamodb import Usage
from opendynamo.engine.metrics.recorder import Recorder
from opendynamo.server import (
    auth,
    awsquery,
    cloudwatch,
    cors,
    encoding,
    housekeeper,
    namespaces,
    protocol,
    render,
    sigv4,
)
from opendynamo.server.audit import AuditLog
from opendynamo.server.auth import Authority
from opendynamo.server.body import decoded, parse_json
from opendynamo.server.console import Caller, Console
from opendynamo.server.http import MAX_BODY_BYTES, Incoming, Reply
from opendynamo.server.prometheus import Exporter
from opendynamo.storage.base import Conflict, LockTimeout, Store

JSON_TYPES = (b"application/x-amz-json-1.0", b"application/json")
BUSY_SECONDS = 0.5  # requests this recent make the housekeeper rest between steps
FORM_TYPE = b"application/x-www-form-urlencoded"
log = logging.getLogger("opendynamo.server")


class App:
    """The ASGI application of one worker process; it opens the store on first use."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        self._store = store
        self._authority: Authority | None = None
        self._audit: AuditLog | None = None
        self._last_request = 0.0
        self.endpoint = f"{settings.host}:{settings.port}"
        # Every worker records metrics (PutMetricData's always; DynamoDB's unless --metrics
        # off), which its housekeeper thread writes to the store.
        self.recorder = Recorder()
        self._metering = settings.metrics
        self.requests = metered.Requests()
        if settings.metrics:
            self.recorder.drains.append(functools.partial(self.requests.drain, self.recorder))
        self.exporter = Exporter(lambda: self.store, settings.prometheus_access)
        self.origins = cors.Origins(settings.cors)
        self.console = (
            Console(
                lambda: self.authority, self._answer, self._record, settings.console_session_hours
            )
            if settings.console
            else None
        )

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = self.settings.open_store()
        return self._store

    @property
    def authority(self) -> Authority:
        if self._authority is None:
            self._authority = Authority(
                self.settings.auth, self.store, self.settings.sealer(self.store)
            )
        return self._authority

    # --- serving ---------------------------------------------------------------------------

    def _busy(self) -> bool:
        """Whether requests came in the last BUSY_SECONDS (the housekeeper then yields)."""
        return time.monotonic() - self._last_request < BUSY_SECONDS

    def respond(self, incoming: Incoming) -> Reply:
        """The answer to one HTTP request (server/http calls this for every request); with
        `--log-level debug`, a line for each."""
        self._last_request = time.monotonic()
        if not log.isEnabledFor(logging.DEBUG):
            return self._respond(Request(incoming, protocol.new_request_id()))
        started = time.perf_counter()
        request = Request(incoming, protocol.new_request_id())
        reply = self._respond(request)
        log.debug(
            "%s %s %s %d %.2f ms %s%s",
            request.operation or incoming.method,
            request.table or "-",
            request.error or "OK",
            reply.status,
            (time.perf_counter() - started) * 1000,
            request.id,
            self._landed(request),
        )
        return reply

    def _landed(self, request: Request) -> str:
        """Where a request's tables were looked for (the debug line's end): the answer to
        "my tables disappeared" is usually another access key or region."""
        if request.namespace is None or request.identity is None:
            return ""
        account, region = request.namespace
        key = request.identity.access_key
        return " " + namespaces.describe(self.settings.namespace, key, account, region)

    def _respond(self, request: Request) -> Reply:
        """The answer; for a browser's request (an Origin header) with DynamoDB's CORS
        headers, and compressed when it is large and the client accepts a compressed one. The
        console's paths answer no other origin."""
        if request.path.startswith("/console") and self.console is not None:
            reply = self.console.answer(request)
        elif request.header(b"origin"):
            allowed = self.origins.allowed(request.header(b"origin"))
            reply = (
                self._answer(request) if allowed is None else self._cross_origin(request, allowed)
            )
        else:
            reply = self._answer(request)
        if len(reply.body) > encoding.COMPRESS_ABOVE and not _encoded(reply):
            return encoding.compressed(reply, request.headers)
        return reply

    def _cross_origin(self, request: Request, allowed: cors.Headers) -> Reply:
        """A browser's preflight is answered here, before any authentication (browsers send
        none); its other requests as any other, with the origin's CORS headers added."""
        if request.method == "OPTIONS":
            headers = cors.preflight(request.headers, allowed)
            return Reply(200, b"text/plain", b"", request.id, headers)
        reply = self._answer(request)
        return dataclasses.replace(reply, headers=(*reply.headers, *allowed))

    def _answer(self, request: Request) -> Reply:
        incoming = request.incoming
        method = incoming.method
        if method == "GET":
            return self._get(request)
        target = request.header(b"x-amz-target")
        if method == "POST":
            path = request.path  # CBOR is told by its path and header, JSON by its target
            cbor = path.startswith(cloudwatch.CBOR_PATH)
            smithy = request.header(b"smithy-protocol") if cbor else b""
            to_cloudwatch = cloudwatch.protocol_of(path, smithy, target)
            if to_cloudwatch is not None:
                return self._handle_cloudwatch(request, to_cloudwatch)
        content_type = request.header(b"content-type").split(b";")[0].strip()
        # A DynamoDB target makes a DynamoDB request whatever its content type says (curl
        # -d sends a form's): with a body not typed JSON, DynamoDB's 404, never IAM's XML.
        to_dynamodb = target.startswith(protocol.TARGET_PREFIXES)
        if method == "POST" and content_type == FORM_TYPE and not to_dynamodb:
            if _scope_service(request) == "monitoring":
                return self._handle_cloudwatch(request, "query")
            status, payload = self._handle_query(request)
            return Reply(status, b"text/xml", payload, request.id)
        if method != "POST" or (incoming.body and content_type not in JSON_TYPES):
            return Reply(404, b"text/plain", b"<UnknownOperationException/>\n", request.id)
        reply_type = content_type if content_type in JSON_TYPES else JSON_TYPES[0]
        if incoming.too_large:
            status, payload = render.json_error(errors.request_too_large())
        else:
            status, payload = self._handle(request)
        return Reply(status, reply_type, payload, request.id)

    @property
    def commit_failed(self) -> Reply:
        """The answer to each request whose group commit failed (server/http)."""
        status, payload = render.json_error(errors.commit_failed())
        return Reply(status, JSON_TYPES[0], payload)

    def startup(self) -> None:
        """Open the store (so a bad data dir fails the start, not a request) and the keys."""
        if self._store is None:
            self._store = self.settings.open_store(serving=True)
        self._start_auth()

    async def housekeeping(self, executor: Executor | None = None) -> None:
        """Run the housekeeper until cancelled: on a thread of its own, with its own
        connection to a SQLite file (PostgreSQL's pool is shared); an in-memory store, which
        has one connection, keeps it on the event loop."""
        settings = self.settings
        buckets, ttl_interval = settings.buckets(), settings.ttl_interval
        recorder = self.recorder
        if settings.in_memory and not self.store.concurrent:
            await housekeeper.run(
                self.store,
                executor=executor,
                buckets=buckets,
                ttl_interval=ttl_interval,
                recorder=recorder,
            )
            return
        own = None if self.store.concurrent else settings.open_store
        worker = housekeeper.Thread(
            self.store, buckets, ttl_interval, open_store=own, busy=self._busy, recorder=recorder
        )
        worker.start()
        try:
            await asyncio.Event().wait()  # until cancelled
        finally:
            worker.stop()

    def shutdown(self) -> None:
        if self._audit is not None:
            self._audit.close()
        if self._store is not None:
            if self.recorder.pending:
                try:
                    self.recorder.flush(self._store)
                except Exception:  # the store may be gone; the samples are lost, not the stop
                    log.exception("could not write the last metrics")
            self._store.close()

    def _handle(self, request: Request) -> tuple[int, bytes]:
        usage = request.usage = Usage() if self._metering else None
        started = time.perf_counter()
        try:
            payload = self._dispatch(request)
            if usage is not None and usage.stream is not None:  # GetRecords' ReturnedBytes
                usage.stream = (*usage.stream[:2], len(payload))
            return 200, payload
        except errors.DynamoError as exc:
            request.error = exc.type_name
            if exc.type_name == "TransactionCanceledException":
                request.failure = exc
            if exc.status >= 500:  # every 5xx is logged, with its request id
                log.error("request %s answered %s: %s", request.id, exc.type_name, exc.message)
            return render.json_error(exc)
        except Exception:
            log.exception("request %s failed", request.id)
            request.error = "InternalServerError"
            return render.json_error(errors.internal_server_error(request.id))
        finally:
            self._record(request, "dynamodb")
            identity = request.identity
            if usage is not None and identity is not None:  # its metrics (engine/metrics)
                table, failure = request.table, request.failure
                tables: str | tuple[str, ...]
                conflicts: tuple[str, ...] = ()
                if table is not None and ":" not in table and failure is None:
                    tables = table  # the common case: one table, by name
                else:
                    tables = metered.tables_named(request.operation, table, request.data, usage)
                    if failure is not None and failure.extra:
                        conflicts = metered.conflicting_tables(failure.extra, request.data)
                account, region = request.namespace or (identity.account, request.region)
                self.requests.note(
                    account,
                    region or protocol.DEFAULT_REGION,
                    request.operation,
                    tables,
                    request.error,
                    (time.perf_counter() - started) * 1000,
                    usage,
                    time.time(),
                    conflicts,
                )

    def flush_metrics(self) -> None:
        """Write the metrics recorded so far (the housekeeper does so every few seconds)."""
        self.recorder.flush(self.store)

    def _dispatch(self, request: Request) -> bytes:
        body = decoded(request.body, request.header(b"content-encoding"), request.id)
        data = parse_json(body)
        try:
            target = request.header(b"x-amz-target").decode()
        except UnicodeDecodeError:
            raise errors.unknown_operation() from None
        prefix, operation = protocol.split_target(target)
        if prefix == protocol.STREAMS_PREFIX:
            table = streams.OPERATIONS
        elif prefix == protocol.DYNAMODB_PREFIX:
            table = dynamodb.OPERATIONS
        else:
            raise errors.unknown_operation()
        request.operation = operation
        handler = table.get(operation)
        if handler is None and operation not in dynamodb.UNSUPPORTED:
            raise errors.unknown_operation()
        identity, credential = self._authenticate(request, "dynamodb")
        if data is None:
            raise errors.serialization()
        if handler is None:
            raise errors.unsupported_operation(operation)
        validate_input(operation, data, may_hold_null=b"null" in body)
        request.table = data.get("TableName") if isinstance(data.get("TableName"), str) else None
        request.data = data
        if None in data.values():  # DynamoDB treats a null member as an absent one
            data = {name: value for name, value in data.items() if value is not None}
        ctx = self._context(request, identity, credential.region)
        needed = authorize.dynamodb_request(
            self.authority.mode,
            ctx,
            operation,
            data,
            self._global_context(request),
            self._saw(request),
        )
        ctx.grants.admit([access.target for access in needed])
        result = _run(handler, ctx, data, operation)
        return result if isinstance(result, bytes) else orjson.dumps(result)

    def _authenticate(self, request: Request, service: str) -> tuple[Identity, sigv4.Credential]:
        """The caller: a signature's, or a console session's (`server/console`)."""
        caller = request.console
        if caller is not None:
            identity = caller.identity
            credential = sigv4.Credential(identity.access_key, "", caller.region, service, None)
            request.identity, request.region = identity, caller.region
            return identity, credential
        fields = request.fields if request.unique else None
        identity, credential = self.authority.authenticate(
            request.method,
            request.path,
            request.query,
            request.headers,
            request.body,
            service,
            fields,
        )
        request.identity, request.region = identity, credential.region
        return identity, credential

    def _context(
        self, request: Request, identity: Identity, region: str, namespaced: bool = True
    ) -> Context:
        """The operation's context, in the namespace the request lands in (`--namespace`:
        server/namespaces); IAM and STS (`namespaced` False) act on the caller's account."""
        account = identity.account
        if namespaced:
            mode = self.settings.namespace
            account, region = namespaces.namespace(mode, account, identity.access_key, region)
            request.namespace = account, region
        return Context(
            store=self.store,
            account=account,
            region=region,
            request_id=request.id,
            endpoint=self.endpoint,
            enforce_capacity=self.settings.enforce_capacity,
            identity=identity,
            sealer=self.authority.sealer,
            authorize=self.authority.authorizes,
            transient_seconds=self.settings.delay_transient_statuses,
            grants=Grants.pending(),
            usage=request.usage,
            recorder=self.recorder,
        )

    def _saw(self, request: Request) -> Callable[[list[Access]], None]:
        """Where authorization tells the resources a request touches: the audit trail's."""
        return _unrecorded if self._audit is None else request.saw

    def _global_context(self, request: Request) -> Mapping[str, Any]:
        if self.authority.mode == "off":
            return {}  # nothing is decided
        return auth.RequestContext(request.scheme, request.client, request.region or "")

    # --- IAM and STS (AWS Query protocol) -----------------------------------------------------

    def _handle_query(self, request: Request) -> tuple[int, bytes]:
        namespace = awsquery.IAM_NAMESPACE
        service = "iam"
        try:
            off = self.authority.mode == "off" and request.console is None
            scope = sigv4.scope_of(request.headers, request.query) if off else None
            service = scope.service if scope else _scope_service(request)
            namespace = awsquery.STS_NAMESPACE if service == "sts" else awsquery.IAM_NAMESPACE
            return 200, self._dispatch_query(request, service, namespace)
        except errors.ServiceError as exc:
            request.error = exc.code
            return exc.status, awsquery.render_error(exc, namespace, request.id)
        except errors.DynamoError as exc:
            failure = errors.as_service_error(exc)
            request.error = failure.code
            return failure.status, awsquery.render_error(failure, namespace, request.id)
        except Exception:
            log.exception("request %s failed", request.id)
            request.error = "ServiceFailure"
            failure = errors.service_failure(request.id)
            return 500, awsquery.render_error(failure, namespace, request.id)
        finally:
            self._record(request, service)

    def _dispatch_query(self, request: Request, service: str, namespace: str) -> bytes:
        action, _, params = awsquery.parse_form(request.body)
        request.operation = action
        table = STS_OPERATIONS if service == "sts" else IAM_OPERATIONS
        if not action:
            raise errors.missing_action()
        handler = table.get(action)
        if handler is None:
            raise errors.invalid_action(action)
        identity, credential = self._authenticate(request, service)
        ctx = self._context(request, identity, credential.region, namespaced=False)
        decide = authorize.sts_request if service == "sts" else authorize.iam_request
        context = self._global_context(request)
        target = decide(self.authority.mode, ctx, action, params, context, self._saw(request))
        ctx = dataclasses.replace(ctx, target=target)
        return awsquery.render_result(action, namespace, handler(ctx, params), request.id)

    # --- CloudWatch (Smithy RPC v2 CBOR, JSON 1.0, Query) ----------------------------------

    def _handle_cloudwatch(self, request: Request, protocol: Protocol) -> Reply:
        try:
            status, content_type, body, headers = self._dispatch_cloudwatch(request, protocol)
        except errors.ServiceError as exc:
            status, content_type, body, headers = self._cloudwatch_error(request, protocol, exc)
        except errors.DynamoError as exc:  # authentication's, in IAM's (Query) codes
            failure = errors.as_service_error(exc)
            status, content_type, body, headers = self._cloudwatch_error(request, protocol, failure)
        except Exception:
            log.exception("request %s failed", request.id)
            failure = errors.cloudwatch_failure(request.id)
            status, content_type, body, headers = self._cloudwatch_error(request, protocol, failure)
        finally:
            self._record(request, "monitoring")
        return Reply(status, content_type, body, request.id, headers)

    def _cloudwatch_error(
        self, request: Request, protocol: Protocol, error: errors.ServiceError
    ) -> cloudwatch.Answer:
        request.error = error.code
        if error.status >= 500 and error.code != "InternalServiceError":
            log.error("request %s answered %s: %s", request.id, error.code, error.message)
        return cloudwatch.error_reply(protocol, error, request.id)

    def _dispatch_cloudwatch(self, request: Request, protocol: Protocol) -> cloudwatch.Answer:
        """Operation, authentication, body, shape, authorization, then the operation: a CBOR
        or JSON body is decoded only for a caller whose signature holds (a form is read
        first: its Action names the operation)."""
        if request.incoming.too_large:
            raise errors.cloudwatch_request_too_large(MAX_BODY_BYTES, cloudwatch.MAX_BYTES)
        encoding = request.header(b"content-encoding")
        raw: Any = None
        if protocol == "query":
            action, _, raw = awsquery.parse_form(cloudwatch.unpacked(request.body, encoding))
            if not action:
                raise errors.missing_action()
            operation = action
        else:
            target = request.header(b"x-amz-target")
            operation = cloudwatch.operation_of(protocol, request.path, target)
        request.operation = operation
        cloudwatch.check_operation(operation, CLOUDWATCH_OPERATIONS.keys())
        identity, credential = self._authenticate(request, "monitoring")
        if protocol != "query":
            raw = cloudwatch.decode(protocol, cloudwatch.unpacked(request.body, encoding))
        params = read_input(operation, raw, protocol)
        ctx = self._context(request, identity, credential.region)
        context, saw = self._global_context(request), self._saw(request)
        authorize.cloudwatch_request(self.authority.mode, ctx, operation, params, context, saw)
        ctx.grants.admit(())  # a CloudWatch operation reaches no table, stream or bucket
        result = _run(CLOUDWATCH_OPERATIONS[operation], ctx, params, operation)
        return cloudwatch.reply(protocol, operation, result, request.id)

    # --- the audit trail -----------------------------------------------------------------

    def _record(self, request: Request, source: str) -> None:
        if self._audit is None:
            return
        identity = request.identity
        self._audit.record(
            request_id=request.id,
            source=source,
            operation=request.operation,
            region=request.region,
            source_ip=request.client,
            user_agent=request.header(b"user-agent").decode("latin-1") or None,
            identity=None
            if identity is None
            else {
                "type": identity.variables()["aws:PrincipalType"],
                "principalId": identity.user_id,
                "arn": identity.arn,
                "accountId": identity.account,
                "accessKeyId": identity.access_key,
                "userName": identity.name,
            },
            resources=request.resources,
            error_code=request.error,
            console=request.console is not None or source == "signin",
        )

    def _get(self, request: Request) -> Reply:
        if request.path == "/":
            return Reply(200, b"text/plain", f"healthy: {self.endpoint} ".encode(), request.id)
        if request.path == "/metrics":
            accept = request.header(b"accept").decode("latin-1")
            return self.exporter.answer(request.client, accept, request.id)
        return Reply(404, b"text/plain", b"Not Found", request.id)

    def _start_auth(self) -> None:
        settings = self.settings
        if settings.audit_log:
            self._audit = AuditLog(settings.audit_log)
        if settings.auth == "off":
            return
        generated = auth.ensure_root_key(
            self.store,
            self.authority.sealer,
            settings.root_access_key_id or None,
            settings.root_secret_access_key or None,
        )
        if generated is not None:
            print(
                "opendynamo generated the root credentials of account "
                f"{DEFAULT_ACCOUNT} (shown once):\n"
                f"  aws_access_key_id = {generated[0]}\n"
                f"  aws_secret_access_key = {generated[1]}",
                file=sys.stderr,
                flush=True,
            )


class Request:
    """One HTTP request as the edge sees it, and what it learns while serving it."""

    __slots__ = (
        "incoming",
        "method",
        "path",
        "query",
        "body",
        "id",
        "headers",
        "fields",
        "unique",
        "scheme",
        "client",
        "identity",
        "region",
        "operation",
        "table",
        "resources",
        "error",
        "usage",
        "data",
        "failure",
        "console",
        "namespace",
    )

    def __init__(self, incoming: Incoming, request_id: str) -> None:
        self.incoming = incoming
        self.method = incoming.method
        path, _, query = incoming.target.partition(b"?")
        self.path = path.decode("latin-1") or "/"
        self.query = query.decode("latin-1")
        self.body = incoming.body
        self.id = request_id
        self.headers = headers = incoming.headers
        fields: dict[bytes, bytes] = {}  # by name (lower-cased by the parser), the first value
        for name, value in headers:
            if name not in fields:
                fields[name] = value
        self.fields = fields
        self.unique = len(fields) == len(headers)  # each header came once
        self.scheme = incoming.scheme
        self.client = incoming.client
        self.identity: Identity | None = None
        self.region: str | None = None
        self.operation = ""
        self.table: str | None = None  # the TableName of a DynamoDB request, for the log
        self.resources: list[str] = []
        self.error: str | None = None
        self.usage: Usage | None = None  # what the operation consumed, with metrics on
        self.data: Any = None  # the decoded body of a DynamoDB request
        self.failure: errors.DynamoError | None = None  # a cancelled transaction, for metrics
        self.console: Caller | None = None  # a console session's call (server/console)
        self.namespace: tuple[str, str] | None = None  # (account, region) it landed in

    def saw(self, accesses: list[Access]) -> None:
        """Note the resources the request touches (authorization tells), for the audit."""
        self.resources = list(dict.fromkeys(access.resource for access in accesses))

    def header(self, name: bytes) -> bytes:
        return self.fields.get(name, b"")


def _encoded(reply: Reply) -> bool:
    """Whether a reply is compressed already (the console's files are, once per process)."""
    return any(name == b"Content-Encoding" for name, _ in reply.headers)


def _unrecorded(accesses: list[Access]) -> None:
    """No audit trail: nothing to note."""


def _scope_service(request: Request) -> str:
    """The service a Query-protocol request is signed for (iam, sts or monitoring): its
    credential scope; iam when it names no other (or cannot be read: IAM's path then answers
    the signature's error). A console call names its service in its path."""
    if request.console is not None:
        return request.console.service
    try:
        credential = sigv4.scope_of(request.headers, request.query)
    except errors.DynamoError:
        return "iam"
    return credential.service if credential.service in ("iam", "sts", "monitoring") else "iam"


CONFLICT_ATTEMPTS = 8
CONFLICT_MESSAGE = "Transaction is ongoing for the item"
TRANSACTIONS = ("TransactWriteItems", "ExecuteTransaction")


def _run(handler: Callable[[Context, Any], Any], ctx: Context, data: Any, operation: str) -> Any:
    """The operation's result; run again, after a short random pause, when its transaction
    collided with another and was rolled back (storage `Conflict`: the PostgreSQL backend's
    deadlocks). Each attempt starts afresh, so running again is safe: nothing of the failed
    attempt was stored. A transaction that keeps colliding is cancelled as DynamoDB cancels
    one that conflicts with another; any other operation answers a retryable 500."""
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            return handler(ctx, data)
        except Conflict:
            if attempt == CONFLICT_ATTEMPTS - 1:
                if operation in TRANSACTIONS:
                    raise _conflict_cancelled(data) from None
                raise
            time.sleep(random.uniform(0, 0.002 * 2**attempt))
        except LockTimeout:
            # An item stayed locked by another write for the whole statement timeout: as
            # DynamoDB answers a write to an item that a transaction holds.
            if operation in TRANSACTIONS:
                raise _conflict_cancelled(data) from None
            raise errors.transaction_conflict() from None
    raise AssertionError("unreachable")


def _conflict_cancelled(data: Any) -> errors.DynamoError:
    items = data.get("TransactItems") or data.get("TransactStatements") or ()
    reason = {"Code": "TransactionConflict", "Message": CONFLICT_MESSAGE}
    return transact.cancelled([reason] * len(items))
