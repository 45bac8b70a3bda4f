"""The DynamoDB Streams API (target prefix DynamoDBStreams_20120810) and its operation table."""

from __future__ import annotations

from opendynamo.api.request.context import Handler
from opendynamo.api.streams.operations import (
    describe_stream,
    get_records,
    get_shard_iterator,
    list_streams,
)

OPERATIONS: dict[str, Handler] = {
    "ListStreams": list_streams,
    "DescribeStream": describe_stream,
    "GetShardIterator": get_shard_iterator,
    "GetRecords": get_records,
}
