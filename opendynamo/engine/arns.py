"""The resources a request names, as values: a table by name or ARN, and the ARNs of what
belongs to a table (its streams, backups, exports and imports).

A ref is what authorization decides on and what an operation then acts on: the authorizer
resolves each name of a decoded request to a ref once, and the operation may only touch the
refs it was granted (`api/request/context.Context.table` and `.owned`). Parsing lives here alone, so
the two can never read one name differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

Kind = Literal["stream", "backup", "export", "import"]


class TableRef(NamedTuple):
    """A table as a request names it: by name in the caller's namespace, or by ARN (which
    names its own account and region). `given` is the text as the request spelled it; two
    refs are the same table whatever their spelling. (A named tuple: every request makes
    one, and a frozen dataclass costs four times as much to make.)"""

    account: str
    region: str
    name: str
    given: str = ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TableRef) and self[:3] == other[:3]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(self[:3])

    @property
    def arn(self) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{self.name}"

    def index_arn(self, index: str) -> str:
        return f"{self.arn}/index/{index}"


@dataclass(frozen=True, slots=True)
class OwnedRef:
    """A stream, backup, export or import: `…:table/<name>/<kind>/<id>`. The table part is
    the name the resource was made under (a backup keeps it after its table is gone)."""

    table: TableRef
    kind: Kind
    id: str

    @property
    def account(self) -> str:
        return self.table.account

    @property
    def region(self) -> str:
        return self.table.region

    @property
    def arn(self) -> str:
        return f"{self.table.arn}/{self.kind}/{self.id}"


def table_ref(account: str, region: str, name: str) -> TableRef:
    """The table `name` names: a table of (account, region), or the one a table ARN
    (`arn:aws:dynamodb:<region>:<account>:table/<name>`) names. A malformed ARN names a table
    that cannot exist (empty parts), so it is never found."""
    if not name.startswith("arn:"):
        return TableRef(account, region, name, name)
    account, region, table = split_table_arn(name)
    return TableRef(account, region, table, name)


def split_table_arn(arn: str) -> tuple[str, str, str]:
    """(account, region, table name) of a table ARN; ("", "", "") parts when it is none. What
    follows the table's name (`/index/…`, `/stream/…`) is not part of it."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "dynamodb":
        return "", "", ""
    if not parts[5].startswith("table/"):
        return "", "", ""
    return parts[4], parts[3], parts[5][len("table/") :].split("/")[0]


def owned_ref(arn: str, kind: Kind) -> OwnedRef | None:
    """The stream, backup, export or import an ARN names, or None when it is not an ARN of
    that kind (`arn:aws:dynamodb:<region>:<account>:table/<name>/<kind>/<id>`)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "dynamodb":
        return None
    resource = parts[5].split("/")
    if len(resource) != 4 or resource[0] != "table" or resource[2] != kind:
        return None
    if not (resource[1] and resource[3] and parts[3] and parts[4]):
        return None
    table = TableRef(parts[4], parts[3], resource[1], ":".join(parts[:5]) + ":table/" + resource[1])
    return OwnedRef(table, kind, resource[3])
