"""Request steps shared by the item, query and batch operations."""

from __future__ import annotations

from opendynamo import errors
from opendynamo.model.values import Body, Item, normalize_item

INVALID_START = "The provided starting key is invalid"
# The faults of an ExclusiveStartKey's values that DynamoDB reports as they are, not as an
# invalid starting key: those of numbers and of duplicate or empty number sets (dynalite's
# tests recorded against DynamoDB, "invalid values in ExclusiveStartKey with no provided
# message"). Every other fault of a value is worded "The provided starting key is invalid: …".
_BARE_START_FAULTS = (
    "The parameter cannot be converted to a numeric value",
    "Attempting to store more than 38 significant digits",
    "Number overflow.",
    "Number underflow.",
    "Input collection",
    "One or more parameter values were invalid: Input collection",
    "One or more parameter values were invalid: An number set",
)


def refuse_legacy(body: Body, names: tuple[str, ...]) -> None:
    """The pre-expression parameters are not served yet: say so in DynamoDB's error type."""
    present = [name for name in names if name in body]
    if present:
        raise errors.validation(
            f"The legacy parameter {present[0]} is not supported by this version of opendynamo; "
            "use the expression parameters instead"
        )


def start_key(body: Body) -> Item | None:
    """Query's or Scan's ExclusiveStartKey with its values normalised, before anything is
    known of the table (its fit to the key schema is checked in `api/dynamodb/ranges`)."""
    start = body.get("ExclusiveStartKey")
    if start is None:
        return None
    try:
        return normalize_item(start)
    except errors.DynamoError as exc:
        message = exc.message or ""
        if exc.type_name != "ValidationException" or message.startswith(_BARE_START_FAULTS):
            raise
        raise errors.validation(f"{INVALID_START}: {message}") from None


def segments(body: Body) -> tuple[int, int]:
    """Scan's (Segment, TotalSegments), (0, 1) for a whole-table Scan; Segment and
    TotalSegments come together, Segment below TotalSegments."""
    segment, total = body.get("Segment"), body.get("TotalSegments")
    if segment is not None and total is None:
        raise errors.validation(
            "The TotalSegments parameter is required but was not present in the request when "
            "Segment parameter is present"
        )
    if total is not None and segment is None:
        raise errors.validation(
            "The Segment parameter is required but was not present in the request when "
            "parameter TotalSegments is present"
        )
    if segment is None or total is None:
        return 0, 1
    if segment >= total:
        raise errors.validation(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
            f"Segment: {segment} is not less than TotalSegments: {total}"
        )
    return int(segment), int(total)
