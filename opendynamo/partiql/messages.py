"""DynamoDB's wording for PartiQL statements it refuses.

Most texts come from DynamoDB's own PartiQL message catalogue (the `ValidationExceptionMessages`
shipped with DynamoDB Local) and from statements pinned against the service; a syntax error is
"Statement wasn't well formed, can't be processed: <detail>" with the reference PartiQL parser's
detail ("Unexpected term", "Unexpected token after expression", ...). Positions, where DynamoDB
gives them, read `at <line>:<column>:<length>` of the offending token.
"""

from __future__ import annotations

from opendynamo import errors

NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "

UNEXPECTED_TERM = "Unexpected term"
UNEXPECTED_KEYWORD = "Unexpected keyword"
UNEXPECTED_OPERATOR = "Unexpected operator"
LEFTOVER = "Unexpected token after expression"
MISSING_RHS = "Missing right-hand side expression of infix operator"
EXPECTED_SIMPLE_PATH = "Expected identifier for simple path"
EXPECTED_DML = "Expected data manipulation"
EXPECTED_TYPE = "Expected type name"
INVALID_DOT = "Invalid path dot component"

ALIASING = "Aliasing is not supported"
INCOMPLETE_KEY = "Where clause does not contain a mandatory equality on all key attributes"
MULTIPLE_KEY_CONDITIONS = (
    "Multiple conditions on same key {}. Only single item Update/Insert/Delete are supported"
)
DUPLICATE_ITEM = "Duplicate primary key exists in table"
PARAMETER_COUNT = "Number of parameters in request and statement don't match."
STAR_AND_OTHERS = "Other attributes should not be present in the projection when '*' is used."
DUPLICATE_SELECT_NAMES = "Duplicate identifiers in select clause: {}"
SELECT_VALUE = "Select projection doesn't support value or pivot keywords"
SINGLE_SOURCE = "Only select from a single table or index is supported."
DML_FROM = "FROM clause may only contain a single table name in data manipulation statements"
FROM_COMPONENTS = "A path may contain at most 2 components in the FROM clause"
EMPTY_COMPONENT = "Path component cannot be an empty string"
NO_SUCH_INDEX = "The table does not have the specified index"
CONSISTENT_GSI = "Strongly consistent read is not supported on Global Secondary Indexes"
MISSING_COMPARED = "MISSING must be compared using IS operator"
IS_OPERAND = "The left hand side argument to IS must be a Variable Reference, Literal, or Path"
IS_TYPE = (
    "Unsupported data type for IS operator: {}. Supported data types are [MISSING, NULL, "
    "BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]"
)
NOT_BOOLEAN = "WHERE clause must contain an expression that resolves to a boolean"
EMPTY_BAG = "Empty bags are not supported"
MIXED_BAG = "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags"
UNSUPPORTED_OPERATION = "Unsupported operation: {}"
UNSUPPORTED_CLAUSE = "Unsupported clause: {}"
UNSUPPORTED_DATA_TYPE = "Unsupported data type: {} under key {}"
UNRECOGNIZED_FUNCTION = "Unrecognized function: {}"
UNEXPECTED_PATH_COMPONENT = "Unexpected path component"
UNRECOGNIZED_TARGET = "Unrecognized assignment target: {}"
CONDITION_OPERATOR = "Unsupported operator in Condition Expression. Operator: {}"
UPDATE_OPERATOR = "Unsupported operator in Update Expression. Operator: {}"
DUPLICATE_TUPLE_KEY = "Duplicate keys in tuple. Key: {} under {}"
TUPLE_KEY_TYPE = "Tuple keys must be of type String. Actual type: {} under {}"
ITEM_SYNTAX = (
    "Unsupported format in item expression. Please use struct format {...} to express item "
    "values for insert statement."
)
INSERT_MANY = (
    "Unsupported operation: Inserting multiple items in a single statement is not supported, use "
    '"INSERT INTO tableName VALUE item" instead'
)
INSERT_AT = "AT is not supported in insert statements."
INSERT_RETURNING = "RETURNING is not supported in INSERT"
DELETE_RETURNING = (
    "Invalid returning clause: RETURNING {}. Only RETURNING ALL OLD * is allowed in DELETE "
    "statements."
)
RETURNING_STAR = "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"
RETURNING_MANY = "Invalid syntax with multiple returning elements in RETURNING clause"
SET_ARGUMENTS = "SET_{} must have exactly two arguments"
SET_FIRST = "The first argument to SET_{} must equal the assignment value"
SET_SECOND = "The second argument to SET_{} must be a value with type SET"
ORDER_NEEDS_WHERE = "Must have WHERE clause in the statement when using ORDER BY clause."
ORDER_NEEDS_HASH = (
    "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY "
    "clause."
)
ORDER_KEY = "Variable reference {} in ORDER BY clause must be part of the primary key"
ORDER_EXPRESSION = "Argument to ORDER BY must be of type VariableReference. Type: {}"
ORDER_NEEDS_HASH_ORDER = (
    "Must have hash key in ORDER BY clause when more than one hash key condition specified in "
    "WHERE clause."
)
KEY_ABSENT = "Key attribute should be present in the item: Key {}"
KEY_TYPE_MISMATCH = "Key attribute's data type should match its data type in table's schema: Key {}"
KEY_VALUE_TYPE = "Key value must be of type S, N, or B. Key name: {}, Key type: {}"
KEY_NESTED = (
    "Key attributes must be scalars; list random access '[]' and map lookup '.' are not "
    "allowed: Key {}"
)
EXISTS_OUTSIDE = "EXISTS can only be used in ExecuteTransaction write requests."
EXISTS_SHAPE = "EXISTS() must contain a single item read with additional condition"
TOO_MANY_PARTITIONS = "Too many decomposed read operations for a given query."
INVALID_NEXT_TOKEN = "Invalid NextToken"
NEXT_TOKEN_MISMATCH = "NextToken does not match request"


def malformed(detail: str = "") -> errors.DynamoError:
    """The syntax error: DynamoDB's envelope around the parser's detail (which may be empty)."""
    return errors.validation(NOT_WELL_FORMED + detail)


def refused(message: str) -> errors.DynamoError:
    """A statement DynamoDB parses but will not run."""
    return errors.validation(message)
