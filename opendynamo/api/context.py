"""What an operation knows about the request it serves, beyond its body."""

from __future__ import annotations

from dataclasses import dataclass

from opendynamo.engine.secrets import Sealer
from opendynamo.iam.identity import Identity
from opendynamo.storage.base import Store


@dataclass(frozen=True, slots=True)
class Context:
    store: Store
    account: str
    region: str
    request_id: str
    endpoint: str  # host:port this server answers on (DescribeEndpoints)
    enforce_capacity: bool = False  # throttle provisioned tables (--enforce-capacity)
    identity: Identity | None = None  # the verified caller (IAM and STS need it)
    sealer: Sealer | None = None  # seals the secrets of new access keys
    authorize: bool = False  # --auth iam: identity policies decide (else every key may do all)
