"""Generate `opendynamo/api/request/shapes.json` from botocore's DynamoDB and DynamoDB Streams models.

Run `python tools/gen_shapes.py` after upgrading botocore; the output is committed, so botocore is
only a development dependency.

The output has two parts:

* `shapes`: every shape reachable from an operation's input, reduced to what request validation
  needs (type, members in model order, required members, min/max, pattern, enum). Streams shapes
  are prefixed `streams.` so they never collide with DynamoDB's.
* `operations`: for each operation its input shape and its *constraint rules*: the tree of checks
  DynamoDB's request validator applies (`Member must not be null`, lengths, values, patterns,
  enums), already merged and pruned so the runtime only walks members that can fail.

The rules start from the botocore model (required -> notNull, min/max, pattern, enum) and are then
corrected with `OVERRIDES`, transcribed from dynalite's `validations/*.js` (architect/dynalite,
written against live DynamoDB): its member order (DynamoDB reports errors in that order), the
constraints DynamoDB applies that the model lacks (TableName is 3-255 chars and must match the
pattern even where the model now says `TableArn`), and the model constraints DynamoDB does not
report at this layer (`drop`). Every divergence from either source is commented where it is made.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from botocore.loaders import Loader  # type: ignore[import-untyped]

OUT = Path(__file__).resolve().parent.parent / "opendynamo" / "api" / "request" / "shapes.json"

Rules = dict[str, Any]
Shapes = dict[str, dict[str, Any]]

NAME_PATTERN = "[a-zA-Z0-9_.-]+"

# Data-plane TableName: dynalite's getItem/putItem/... specs (and their tests against DynamoDB)
# give 3-255 chars + pattern; the current model types these members as TableArn (1-1024, no
# pattern) because ARNs are also accepted; here an ARN fails the pattern (a known difference).
TABLE_NAME: Rules = {"notNull": True, "pattern": NAME_PATTERN, "minLen": 3, "maxLen": 255}

# Control-plane TableName: DynamoDB first answers "The parameter 'TableName' is required ..." and
# "TableName must be at least 3 characters long and at most 255 characters long" on their own,
# then reports only the pattern in the aggregated message (dynalite createTable/deleteTable tests).
CONTROL_TABLE_NAME: Rules = {
    "required": True, "tableName": True, "pattern": NAME_PATTERN, "drop": ["minLen", "maxLen"],
}

TABLE_MAP_KEYS: Rules = {"maxLen": 255, "minLen": 3, "pattern": NAME_PATTERN}

# Write capacity is listed before read capacity in DynamoDB's messages (dynalite createTable
# "empty ProvisionedThroughput" test), the reverse of the model.
THROUGHPUT: Rules = {
    "members": {"WriteCapacityUnits": {"notNull": True}, "ReadCapacityUnits": {"notNull": True}}
}

KEY_ELEMENT: Rules = {"members": {"AttributeName": {"notNull": True}, "KeyType": {"notNull": True}}}

# The model caps NonKeyAttributes at 20 per index; DynamoDB's limit is 100 projected attributes
# per table, checked later, and dynalite has no maximum here.
PROJECTION: Rules = {"notNull": True, "members": {"NonKeyAttributes": {"drop": ["maxLen"]}}}

# A tag's Key and Value (TagResource's and CreateTable's Tags, UntagResource's TagKeys) are
# checked by DynamoDB's own tag rules, with their own messages ("The Tag Key provided is
# invalid, Key: null", a live catalogue of DynamoDB's tag messages), not by this validator.
TAG_LIST: Rules = {"member": {"members": {
    "Key": {"drop": ["notNull", "minLen", "maxLen"]},
    "Value": {"drop": ["notNull", "maxLen"]},
}}}
TAG_KEYS: Rules = {"member": {"drop": ["minLen", "maxLen"]}}

# Enum values in the order DynamoDB lists them in "Member must satisfy enum value set: [...]"
# (dynalite specs). Values the model has beyond these are appended in model order.
ENUM_ORDER: dict[str, list[str]] = {
    "ReturnConsumedCapacity": ["INDEXES", "TOTAL", "NONE"],
    "ReturnValue": ["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"],
    "ReturnItemCollectionMetrics": ["SIZE", "NONE"],
    "ReturnValuesOnConditionCheckFailure": ["ALL_OLD", "NONE"],
    "ConditionalOperator": ["OR", "AND"],
    "ComparisonOperator": [
        "IN", "NULL", "BETWEEN", "LT", "NOT_CONTAINS", "EQ", "GT",
        "NOT_NULL", "NE", "LE", "BEGINS_WITH", "GE", "CONTAINS",
    ],
    "Select": ["SPECIFIC_ATTRIBUTES", "COUNT", "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES"],
    "ScalarAttributeType": ["B", "N", "S"],
    "KeyType": ["HASH", "RANGE"],
    "ProjectionType": ["ALL", "INCLUDE", "KEYS_ONLY"],
    "BillingMode": ["PROVISIONED", "PAY_PER_REQUEST"],
}

# Java regex constructs the model uses that Python's `re` spells differently.
PY_PATTERNS: dict[str, str] = {
    "\\p{Print}+": "[\\x20-\\x7E]+",
    "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*":
        "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\U00010000-\\U0010FFFF\\r\\n\\t]*",
}

EXPRESSIONS: Rules = {
    "ConditionExpression": {}, "ExpressionAttributeValues": {}, "ExpressionAttributeNames": {},
}

# Per-operation corrections, keys in dynalite's member order. A member's dict may hold check
# overrides (notNull, pattern, minLen, maxLen, min, max), `drop` (model checks DynamoDB does not
# make here), `required`/`tableName` (the early single-message checks), `members` (a structure's
# members, same format), `member` (list element or map value), `keys` (map key checks).
OVERRIDES: dict[str, Rules] = {
    "GetItem": {
        "ReturnConsumedCapacity": {},
        "AttributesToGet": {"maxLen": 255},
        "TableName": TABLE_NAME,
        "Key": {"notNull": True},
        "ConsistentRead": {},
        "ProjectionExpression": {},
        "ExpressionAttributeNames": {},
    },
    "PutItem": {
        "ReturnConsumedCapacity": {},
        "TableName": TABLE_NAME,
        "Item": {"notNull": True},
        "ConditionalOperator": {},
        "Expected": {},
        "ReturnValues": {},
        "ReturnItemCollectionMetrics": {},
        **EXPRESSIONS,
    },
    "UpdateItem": {
        "ReturnConsumedCapacity": {},
        "TableName": TABLE_NAME,
        "ReturnItemCollectionMetrics": {},
        "ReturnValues": {},
        "Key": {"notNull": True},
        "ConditionalOperator": {},
        "Expected": {},
        # dynalite checks no enum on AttributeUpdates.*.Action; we keep the model's
        # [ADD, PUT, DELETE] (unverified either way).
        "AttributeUpdates": {},
        "ConditionExpression": {},
        "UpdateExpression": {},
        "ExpressionAttributeValues": {},
        "ExpressionAttributeNames": {},
    },
    "DeleteItem": {
        "ReturnConsumedCapacity": {},
        "TableName": TABLE_NAME,
        "ReturnValues": {},
        "ReturnItemCollectionMetrics": {},
        "Key": {"notNull": True},
        "ConditionalOperator": {},
        "Expected": {},
        **EXPRESSIONS,
    },
    "Query": {
        "Limit": {},
        "ExclusiveStartKey": {},
        "ReturnConsumedCapacity": {},
        "AttributesToGet": {"maxLen": 255},
        "QueryFilter": {},
        "Select": {},
        "ConditionalOperator": {},
        "KeyConditions": {},
        "TableName": TABLE_NAME,
        "ConsistentRead": {},
        "IndexName": {},
        "ScanIndexForward": {},
        "KeyConditionExpression": {},
        "FilterExpression": {},
        "ProjectionExpression": {},
        "ExpressionAttributeValues": {},
        "ExpressionAttributeNames": {},
    },
    "Scan": {
        # dynalite gives only the lower bounds of Segment/TotalSegments; DynamoDB also rejects
        # TotalSegments > 1000000 (model bounds kept).
        "Limit": {},
        "ReturnConsumedCapacity": {},
        "AttributesToGet": {"maxLen": 255},
        "Segment": {},
        "Select": {},
        "ScanFilter": {},
        "ConditionalOperator": {},
        "TotalSegments": {},
        "TableName": TABLE_NAME,
        "ExclusiveStartKey": {},
        "IndexName": {},
        "FilterExpression": {},
        "ProjectionExpression": {},
        "ExpressionAttributeValues": {},
        "ExpressionAttributeNames": {},
    },
    "BatchGetItem": {
        "ReturnConsumedCapacity": {},
        "RequestItems": {
            "notNull": True,
            "keys": TABLE_MAP_KEYS,
            "member": {"members": {"Keys": {"notNull": True}, "AttributesToGet": {"maxLen": 255}}},
        },
    },
    "BatchWriteItem": {
        "ReturnConsumedCapacity": {},
        "ReturnItemCollectionMetrics": {},
        "RequestItems": {
            "notNull": True,
            "keys": TABLE_MAP_KEYS,
            # DeleteRequest is reported before PutRequest (dynalite batchWriteItem test).
            "member": {"member": {"members": {
                "DeleteRequest": {"members": {"Key": {"notNull": True}}},
                "PutRequest": {"members": {"Item": {"notNull": True}}},
            }}},
        },
    },
    "TransactWriteItems": {
        # dynalite caps TransactItems at 25; DynamoDB raised the limit to 100 (model kept).
        "ReturnConsumedCapacity": {},
        "ReturnItemCollectionMetrics": {},
        "ClientRequestToken": {},
        "TransactItems": {"notNull": True},
    },
    "CreateTable": {
        # The model marks only TableName required; DynamoDB reports null AttributeDefinitions
        # and KeySchema as constraint errors (dynalite "null attributes" test).
        "AttributeDefinitions": {"notNull": True, "member": {
            "members": {"AttributeName": {"notNull": True}, "AttributeType": {"notNull": True}},
        }},
        "TableName": CONTROL_TABLE_NAME,
        "BillingMode": {},
        "ProvisionedThroughput": THROUGHPUT,
        "KeySchema": {"notNull": True, "maxLen": 2, "member": KEY_ELEMENT},
        "LocalSecondaryIndexes": {"member": {"members": {
            "IndexName": {},
            "KeySchema": {"notNull": True, "maxLen": 2, "member": KEY_ELEMENT},
            "Projection": PROJECTION,
        }}},
        "GlobalSecondaryIndexes": {"member": {"members": {
            "IndexName": {},
            # No maxLen 2 (dynalite has one): GSIs now take multi-attribute keys and the model's
            # KeySchema has no maximum.
            "KeySchema": {"notNull": True, "member": KEY_ELEMENT},
            "Projection": PROJECTION,
            "ProvisionedThroughput": THROUGHPUT,
        }}},
        "Tags": TAG_LIST,
    },
    "UpdateTable": {
        "TableName": CONTROL_TABLE_NAME,
        "ProvisionedThroughput": THROUGHPUT,
        "BillingMode": {},
        # dynalite makes ProvisionedThroughput of Create/Update notNull, which predates
        # on-demand tables; the model (optional) is followed.
        "GlobalSecondaryIndexUpdates": {"member": {"members": {
            "Update": {"members": {"IndexName": {}, "ProvisionedThroughput": THROUGHPUT}},
            "Create": {"members": {
                "Projection": PROJECTION,
                "IndexName": {},
                "ProvisionedThroughput": THROUGHPUT,
                "KeySchema": {"notNull": True, "member": KEY_ELEMENT},
            }},
            "Delete": {"members": {"IndexName": {}}},
        }}},
    },
    "DeleteTable": {"TableName": CONTROL_TABLE_NAME},
    "DescribeTable": {"TableName": CONTROL_TABLE_NAME},
    "DescribeTimeToLive": {"TableName": CONTROL_TABLE_NAME},
    "UpdateTimeToLive": {
        "TableName": CONTROL_TABLE_NAME,
        "TimeToLiveSpecification": {"members": {
            # An empty AttributeName is answered by the custom check "TimeToLiveSpecification.
            # AttributeName must be non empty", not by a length constraint (dynalite test).
            "AttributeName": {"notNull": True, "drop": ["minLen"]},
            "Enabled": {"notNull": True},
        }},
    },
    "ListTables": {"Limit": {}, "ExclusiveStartTableName": {}},
    # DescribeStream's ShardFilter: the model makes both members optional, but a filter names
    # the parent shard whose children it asks for, of the one Type there is. DynamoDB's answer to
    # a filter without them is not recorded; the not-null wording is the choice here.
    "DescribeStream": {
        "StreamArn": {}, "Limit": {}, "ExclusiveStartShardId": {},
        "ShardFilter": {"members": {"Type": {"notNull": True}, "ShardId": {"notNull": True}}},
    },
    # Tag operations: a missing or malformed ResourceArn is answered by custom checks
    # ("Invalid TableArn", "ARNs must start with 'arn:'") and tags by the tag rules, so none of
    # these members is checked here (dynalite tagResource tests). The operation emits
    # "Value null at 'tags' ..." itself.
    "TagResource": {
        "ResourceArn": {"drop": ["notNull", "minLen", "maxLen"]},
        "Tags": {"drop": ["notNull"], **TAG_LIST},
    },
    "UntagResource": {
        "ResourceArn": {"drop": ["notNull", "minLen", "maxLen"]},
        "TagKeys": {"drop": ["notNull"], **TAG_KEYS},
    },
    "ListTagsOfResource": {"ResourceArn": {"drop": ["notNull", "minLen", "maxLen"]}},
}

CHECK_KINDS = ("notNull", "pattern", "minLen", "maxLen", "min", "max", "enum")
# Order of the constraint texts inside "Map keys must satisfy constraint: [...]" and friends:
# dynalite's batch specs list the maximum before the minimum.
BRACKET_KINDS = ("maxLen", "minLen", "pattern", "max", "min", "enum")


def load_models() -> list[tuple[str, dict[str, Any]]]:
    """Both services' models, with the shape-name prefix used for each."""
    loader = Loader()
    return [
        ("", loader.load_service_model("dynamodb", "service-2")),
        ("streams.", loader.load_service_model("dynamodbstreams", "service-2")),
    ]


def reachable(model: dict[str, Any], roots: list[str]) -> list[str]:
    """Shape names reachable from `roots`, depth first, so the output is stable."""
    seen: dict[str, None] = {}
    stack = list(reversed(roots))
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen[name] = None
        shape = model["shapes"][name]
        refs = [m["shape"] for m in shape.get("members", {}).values()]
        refs += [shape[k]["shape"] for k in ("member", "key", "value") if k in shape]
        stack.extend(reversed(refs))
    return list(seen)


def ordered_enum(name: str, values: list[str]) -> list[str]:
    """The enum in DynamoDB's message order where known, else the model's."""
    known = [v for v in ENUM_ORDER.get(name, []) if v in values]
    return known + [v for v in values if v not in known]


def compact_shape(prefix: str, name: str, shape: dict[str, Any]) -> dict[str, Any]:
    """The validation-relevant part of one model shape."""
    out: dict[str, Any] = {"type": shape["type"]}
    if "members" in shape:
        out["members"] = [[m, prefix + ref["shape"]] for m, ref in shape["members"].items()]
        if shape.get("required"):
            out["required"] = list(shape["required"])
    for key in ("member", "key", "value"):
        if key in shape:
            out[key] = prefix + shape[key]["shape"]
    for key in ("min", "max"):
        if key in shape:
            out[key] = shape[key]
    if "pattern" in shape:
        out["pattern"] = shape["pattern"]
        if shape["pattern"] in PY_PATTERNS:
            out["re"] = PY_PATTERNS[shape["pattern"]]
    if "enum" in shape:
        out["enum"] = ordered_enum(name, list(shape["enum"]))
    return out


def collect_shapes() -> tuple[Shapes, dict[str, str]]:
    """All input shapes of both services, and each operation's input shape name."""
    shapes: Shapes = {}
    inputs: dict[str, str] = {}
    for prefix, model in load_models():
        ops = {
            op: body["input"]["shape"]
            for op, body in model["operations"].items() if "input" in body
        }
        for op, root in ops.items():
            if op in inputs:
                sys.exit(f"operation {op} defined twice")
            inputs[op] = prefix + root
        for name in reachable(model, sorted(set(ops.values()))):
            shapes[prefix + name] = compact_shape(prefix, name, model["shapes"][name])
    return shapes, inputs


def own_checks(shape: dict[str, Any], required: bool) -> dict[str, Any]:
    """The checks the model implies for a value of `shape` (as check-kind -> argument)."""
    checks: dict[str, Any] = {}
    if required:
        checks["notNull"] = True
    kind = shape["type"]
    if kind == "string" and "pattern" in shape:
        checks["pattern"] = shape["pattern"]
    if kind in ("string", "list", "map", "blob"):
        if shape.get("min"):  # a minimum length of 0 can never fail
            checks["minLen"] = shape["min"]
        if "max" in shape:
            checks["maxLen"] = shape["max"]
    if kind in ("integer", "long", "double"):
        if "min" in shape:
            checks["min"] = shape["min"]
        if "max" in shape:
            checks["max"] = shape["max"]
    if "enum" in shape:
        checks["enum"] = shape["enum"]
    return checks


class RuleBuilder:
    """Builds one operation's rule tree: model checks, then OVERRIDES, then pruning."""

    def __init__(self, shapes: Shapes) -> None:
        self.shapes = shapes

    def node(
        self, name: str, required: bool, override: Rules | None, stack: tuple[str, ...]
    ) -> Rules:
        """Unpruned rule node for a value of shape `name`."""
        shape = self.shapes[name]
        ov = override or {}
        checks = own_checks(shape, required)
        for kind in ov.get("drop", []):
            checks.pop(kind, None)
        for kind in CHECK_KINDS:
            if kind in ov:
                checks[kind] = ov[kind]
        node: Rules = {"shape": name, "checks": checks}
        node["pre"] = [flag for flag in ("required", "tableName") if ov.get(flag)]
        if name in stack:
            # A shape inside itself (AttributeValue under L and M): its rules are applied at the
            # first level only, which leaves just the 64 KB limit on nested M keys unchecked.
            return node
        stack = stack + (name,)
        if shape["type"] == "structure":
            node["members"] = self.members(shape, ov.get("members", {}), stack)
        elif shape["type"] in ("list", "map"):
            self.container(node, shape, ov, stack)
        return node

    def members(self, shape: dict[str, Any], overrides: Rules, stack: tuple[str, ...]) -> list[Any]:
        """Member nodes: overridden members first in override order, the rest in model order."""
        refs = dict(shape["members"])
        required = set(shape.get("required", []))
        order = [m for m in overrides if m in refs] + [m for m in refs if m not in overrides]
        missing = [m for m in overrides if m not in refs]
        if missing:
            sys.exit(f"override names unknown members {missing}")
        return [[m, self.node(refs[m], m in required, overrides.get(m), stack)] for m in order]

    def container(
        self, node: Rules, shape: dict[str, Any], ov: Rules, stack: tuple[str, ...]
    ) -> None:
        """List element / map value rules; scalar-ish checks of an element go in a bracket list."""
        elem_name = shape["member"] if shape["type"] == "list" else shape["value"]
        elem = self.node(elem_name, False, ov.get("member"), stack)
        bracket = "elements" if shape["type"] == "list" else "values"
        node[bracket] = elem.pop("checks")
        elem.pop("pre", None)
        node["member"] = elem
        if shape["type"] == "map":
            key_checks = own_checks(self.shapes[shape["key"]], False)
            key_checks.update(ov.get("keys", {}))
            node["keys"] = key_checks


def prune(node: Rules) -> Rules | None:
    """Drop every subtree with nothing to check, and encode checks as ordered lists."""
    out: Rules = {"shape": node["shape"]}
    checks = [[k, node["checks"][k]] for k in CHECK_KINDS if k in node.get("checks", {})]
    if checks:
        out["checks"] = checks
    for key in ("elements", "values", "keys"):
        found = [[k, node[key][k]] for k in BRACKET_KINDS if k in node.get(key, {})]
        if found:
            out[key] = found
    if node.get("pre"):
        out["pre"] = node["pre"]
    members = [[m, p] for m, child in node.get("members", []) if (p := prune(child))]
    if members:
        out["members"] = members
    if "member" in node and (child := prune(node["member"])):
        out["member"] = child
    return out if len(out) > 1 else None


def operation_rules(shapes: Shapes, op: str, root: str) -> Rules:
    """The pruned rule tree of one operation's input (its top-level members)."""
    tree = RuleBuilder(shapes).node(root, False, {"members": OVERRIDES.get(op, {})}, ())
    return prune(tree) or {"shape": root}


def build() -> dict[str, Any]:
    """The whole shapes.json document."""
    shapes, inputs = collect_shapes()
    unknown = set(OVERRIDES) - set(inputs)
    if unknown:
        sys.exit(f"overrides for unknown operations {sorted(unknown)}")
    operations = {
        op: {"input": root, "rules": operation_rules(shapes, op, root)}
        for op, root in sorted(inputs.items())
    }
    return {
        "generated_by": "tools/gen_shapes.py",
        "operations": operations,
        "shapes": dict(sorted(shapes.items())),
    }


def main() -> None:
    """Write shapes.json (compact, one shape or operation per line for readable diffs)."""
    doc = build()
    lines = ["{", f'"generated_by": {json.dumps(doc["generated_by"])},', '"operations": {']
    lines.append(",\n".join(f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}"
                            for k, v in doc["operations"].items()))
    lines.append('},\n"shapes": {')
    lines.append(",\n".join(f"{json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}"
                            for k, v in doc["shapes"].items()))
    lines.append("}\n}\n")
    OUT.write_text("\n".join(lines))
    print(f"wrote {OUT} ({len(doc['operations'])} operations, {len(doc['shapes'])} shapes)")


if __name__ == "__main__":
    main()
