"""What an operation knows about the request it serves, beyond its body: who calls, in which
namespace, and which resources the authorizer granted it.

An operation reaches a table, stream, backup, export or import only through `Context.table`
or `Context.owned`, which resolve a name or ARN exactly as the authorizer resolved it
(`engine/arns`) and refuse any resource the authorizer did not decide on. So the resource
that was authorized is, by construction, the resource the operation acts on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from opendynamo import errors
from opendynamo.authz.policy.identity import Identity
from opendynamo.engine import arns, buckets
from opendynamo.engine.arns import Kind, OwnedRef, TableRef
from opendynamo.engine.buckets import BucketRef
from opendynamo.engine.metrics.dynamodb import Usage
from opendynamo.engine.metrics.recorder import Recorder
from opendynamo.engine.secrets import Sealer
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn, Store


class Ungranted(Exception):
    """An operation reached for a resource its request's authorization did not cover: a
    disagreement between the authorizer and the operation, so a bug; it fails the request
    (InternalServerError, logged) rather than let it through."""


class Grants:
    """The resources (refs of `engine/arns`, buckets) a request was authorized on; `None`
    grants everything, for callers inside the server's trust (the CLI, the housekeeper).
    The server makes a request's context with `Grants.pending()`, which grants nothing, and
    `admit`s the refs once the authorizer has decided on them. (This runs on every request:
    the set of refs is made only when one is asked for that is not a table looked up by the
    name the request gave it, the common case.)"""

    __slots__ = ("_everything", "_admitted", "_given", "_refs", "_tables")

    def __init__(self, refs: Iterable[Any] | None) -> None:
        self._everything = refs is None
        self._admitted = True
        self._given: tuple[Any, ...] = () if refs is None else tuple(refs)
        self._refs: frozenset[Any] | None = None
        self._tables: dict[str, TableRef] = {}

    @classmethod
    def pending(cls) -> Grants:
        grants = cls.__new__(cls)
        grants._everything, grants._admitted, grants._given = False, False, ()
        grants._refs, grants._tables = None, {}
        return grants

    def admit(self, targets: Iterable[Any]) -> None:
        """Grant `targets` (None among them stands for no resource), once: what the
        authorizer decided the request may reach."""
        if self._admitted:
            raise Ungranted("a request's grants are admitted once")
        given: list[Any] = []
        tables = self._tables  # by the name the request gave: the very refs decided on
        for target in targets:
            if target is not None:
                given.append(target)
                if type(target) is TableRef:
                    tables[target.given] = target
        self._admitted, self._given = True, tuple(given)

    def table(self, name: str) -> TableRef | None:
        """The granted table the request named `name`, if there is one."""
        return self._tables.get(name)

    def require(self, ref: Any) -> None:
        if ref not in self:
            raise Ungranted(f"{ref!r} was not authorized for this request")

    def __contains__(self, ref: object) -> bool:
        if self._everything:
            return True
        if self._refs is None:
            self._refs = frozenset(self._given)
        return ref in self._refs


EVERYTHING = Grants(None)


@dataclass(slots=True)  # not frozen: made for every request, where frozen costs 3 µs
class Context:
    store: Store
    account: str
    region: str
    request_id: str
    endpoint: str  # host:port this server answers on (DescribeEndpoints)
    enforce_capacity: bool = False  # throttle provisioned tables (--enforce-capacity)
    identity: Identity | None = None  # the verified caller (IAM and STS need it)
    sealer: Sealer | None = None  # seals the secrets of new access keys; keys tokens' MACs
    authorize: bool = False  # --auth iam: identity policies decide (else every key may do all)
    grants: Grants = field(default=EVERYTHING)
    target: Any = None  # IAM and STS: the entity the action was authorized on (`authz/iam`)
    usage: Usage | None = None  # where the operation notes what it consumed, for the metrics
    recorder: Recorder | None = None  # the worker's metrics (PutMetricData records there)
    # --delay-transient-statuses: how long tables and indexes stay CREATING, UPDATING or
    # DELETING after the request that changes them (0: they are ACTIVE at once).
    transient_seconds: float = 0.0

    @property
    def owner(self) -> str:
        """The caller's own account, which owns buckets: the namespace's account, except
        under `--namespace key-region`, where a key's tables live in an account of its own
        (server/namespaces) while its buckets stay its real account's."""
        return self.account if self.identity is None else self.identity.account

    def table(self, name: str) -> TableRef:
        """The table `name` (a name or a table ARN) names, once authorization covered it."""
        ref = self.grants.table(name)
        if ref is None:
            ref = arns.table_ref(self.account, self.region, name)
            self.grants.require(ref)
        return ref

    def bucket(self, txn: ReadTxn, name: str, expected_owner: str | None) -> BucketRef:
        """The bucket `name` (with its owner), once authorization covered it. As S3's
        ExpectedBucketOwner: when it is not owned by `expected_owner` (the request's
        S3BucketOwner, else the caller's account), AccessDeniedException."""
        ref = buckets.bucket(txn, name)
        self.grants.require(ref)
        if ref.owner != (expected_owner or self.owner):
            raise errors.access_denied(
                "Access Denied (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; "
                f"Bucket: {name}; the bucket is not owned by the account given as S3BucketOwner)"
            )
        return ref

    def owned(self, arn: str, kind: Kind) -> OwnedRef | None:
        """The stream, backup, export or import `arn` names (None when it is no such ARN),
        once authorization covered it."""
        ref = arns.owned_ref(arn, kind)
        if ref is not None:
            self.grants.require(ref)
        return ref


# A DynamoDB or Streams handler answers a JSON body (or bytes already rendered); an IAM or STS
# handler answers the fields of its result element, or None when the action has none.
Handler = Callable[[Context, Body], "Body | bytes"]
QueryHandler = Callable[[Context, Body], "Body | None"]
