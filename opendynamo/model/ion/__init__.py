"""Amazon Ion text as DynamoDB's table exports write it and ImportTable reads it.

An ION export holds one record per line, each line starting with the Ion version marker
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html):

    $ion_1_0 {Item:{Authors:$dynamodb_SS::["Author1","Author2"],Id:103.,PageCount:6d2}}

DynamoDB's type mapping: S -> string, N -> decimal, B -> blob `{{base64}}`, BOOL -> bool,
NULL -> null, M -> struct, L -> list, and SS/NS/BS -> a list annotated `$dynamodb_SS`,
`$dynamodb_NS` or `$dynamodb_BS`. Writing is `dumps_value`, `dumps_item` and `dumps_record`.

Reading is `loads`, a parser for the Ion text DynamoDB and hand-written import files use
(no s-expressions, no symbol tables), giving plain Python values:
string -> str, symbol -> Symbol, timestamp -> Timestamp (its text), int -> int,
decimal -> Decimal, float -> float, bool -> bool, null and every typed null -> None,
blob -> bytes, clob -> Clob, list -> list, struct -> dict (a repeated field keeps its last
value), annotated value -> Annotated. `item_of` maps a parsed struct to a DynamoDB item and
`load_items` does both for an ImportTable source. No Ion library is used: the dependencies of
opendynamo are deliberately few.

Writing is in `writer`, parsing in `parser`, the mapping to items in `items`, and what they
share (the value types, `IonError`) in `types`.
"""

from __future__ import annotations

from opendynamo.model.ion.items import item_of, load_items
from opendynamo.model.ion.parser import loads
from opendynamo.model.ion.types import Annotated, Clob, IonError, Symbol, Timestamp
from opendynamo.model.ion.writer import dumps_item, dumps_record, dumps_value

__all__ = [
    "Annotated",
    "Clob",
    "IonError",
    "Symbol",
    "Timestamp",
    "dumps_item",
    "dumps_record",
    "dumps_value",
    "item_of",
    "load_items",
    "loads",
]
