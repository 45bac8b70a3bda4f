"""Declarative request-shape validation: DynamoDB's SerializationException and aggregated
ValidationException, checked before any handler runs (docs/architecture.md).

`validate_input(operation, body)` runs DynamoDB's two front-door phases in its order:

1. JSON types, over the whole body in body order, recursively (AttributeValues included). The
   first wrong member raises SerializationException with DynamoDB's `Message` (wording from
   dynalite's `test/helpers.js` `assertType`, recorded against live DynamoDB). Unknown members
   and JSON nulls are ignored, as DynamoDB does. Two coercions DynamoDB also makes are applied
   to `body` in place: "true"/"false" strings for booleans, fractional numbers for integers.
2. Constraints, from the rule trees in `shapes.json` (built by `tools/gen_shapes.py` from the
   botocore model corrected with dynalite's per-operation specs): first the single-message
   checks ("The parameter 'TableName' is required ..."), then every failing constraint, at most
   ten, as "N validation errors detected: ...; ...".

Operation-specific cross-field rules (expressions vs. legacy parameters, AttributeValue
contents, ...) are not here: handlers run them after this.

Each operation's checks are compiled into closures at its first request (not all at import: a
server's start would pay for every operation), and so is a "certainly valid?" pass generated
as Python source from the same trees (`generated`): a request it vouches for is answered by
that one walk of straight-line code; any other runs the interpreted checks above, which give
every message and make every coercion, so the two cannot word an error differently.

`model` loads the shape tree from `shapes.json`, `serialization` holds phase 1 (the type
checkers and their SerializationException wording), `constraints` phase 2 (the rule checkers),
`messages` DynamoDB's wording of constraint failures and of the values they quote, `generated`
the generated pass, and `validate` each operation's compiled checks, the null checks and
`validate_input`, which runs them in order.
"""

from __future__ import annotations

from opendynamo.api.request.shapes.messages import aggregate_message, constraint_message, render
from opendynamo.api.request.shapes.model import DOC, SHAPES
from opendynamo.api.request.shapes.serialization import CAST_MESSAGE
from opendynamo.api.request.shapes.validate import KNOWN_OPERATIONS, compiled, validate_input

__all__ = [
    "CAST_MESSAGE",
    "DOC",
    "KNOWN_OPERATIONS",
    "SHAPES",
    "aggregate_message",
    "compiled",
    "constraint_message",
    "render",
    "validate_input",
]
