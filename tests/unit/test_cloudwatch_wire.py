"""opendynamo.server.cloudwatch and api/cloudwatch/shapes: CloudWatch's three protocols.

The sources of truth are botocore's own: its serializers (RpcV2CBORSerializer, JSONSerializer,
QuerySerializer) write the requests the codec must read back to the same parameters, and its
parsers (RpcV2CBORParser, JSONParser, QueryParser) read the replies the codec writes, errors
included, against the cloudwatch model's shapes. Nothing of the protocols is mocked: examples
of PutMetricData, GetMetricData, PutMetricAlarm and DescribeAlarms, and hypothesis's values
made from the model's shapes, go through botocore both ways.
"""

from __future__ import annotations

import math
import zlib
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import botocore.session
import cbor2
import orjson
import pytest
from botocore.awsrequest import AWSRequest
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendynamo import errors
from opendynamo.api.cloudwatch import shapes
from opendynamo.api.cloudwatch.shapes import Protocol, java_set_order, read_input
from opendynamo.server import awsquery, cloudwatch

BOTOCORE = {"cbor": "smithy-rpc-v2-cbor", "json": "json", "query": "query"}
PROTOCOLS: tuple[Protocol, ...] = ("cbor", "json", "query")
WHEN = datetime(2026, 11, 24, 10, 0, 0, 123000, tzinfo=UTC)
SNS = "arn:aws:sns:us-east-1:123456789012:page"


@cache
def _service() -> ServiceModel:
    return botocore.session.get_session().get_service_model("cloudwatch")


def _operation(name: str) -> OperationModel:
    return _service().operation_model(name)


def _wire(
    protocol: Protocol, operation: str, params: dict[str, Any]
) -> tuple[dict[str, Any], bytes]:
    """The request botocore's serializer makes (its headers and body bytes, a form encoded
    as botocore's request preparation encodes it)."""
    serializer = create_serializer(BOTOCORE[protocol], include_validation=True)
    request = serializer.serialize_to_request(params, _operation(operation))
    body = request["body"]
    if protocol == "query":
        prepared = AWSRequest(method="POST", url="https://monitoring.amazonaws.com/", data=body)
        text = prepared.prepare().body
        body = text.encode() if isinstance(text, str) else bytes(text or b"")
    return request, body


def _read(protocol: Protocol, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """What the codec makes of botocore's request for `params`."""
    request, body = _wire(protocol, operation, params)
    headers = request["headers"]
    if protocol == "query":
        action, version, raw = awsquery.parse_form(body)
        assert (action, version) == (operation, "2010-08-01")
    elif protocol == "cbor":
        assert request["url_path"] == cloudwatch.CBOR_PATH + operation
        smithy = headers["smithy-protocol"].encode()
        assert cloudwatch.protocol_of(request["url_path"], smithy, b"") == "cbor"
        assert cloudwatch.operation_of("cbor", request["url_path"], b"") == operation
        raw = cloudwatch.decode("cbor", body)
    else:
        target = headers["X-Amz-Target"].encode()
        assert cloudwatch.protocol_of("/", b"", target) == "json"
        assert cloudwatch.operation_of("json", "/", target) == operation
        assert headers["Content-Type"] == "application/x-amz-json-1.0"
        raw = cloudwatch.decode("json", body)
    return read_input(operation, raw, protocol)


def _parsed(protocol: Protocol, answer: cloudwatch.Answer, operation: str) -> dict[str, Any]:
    status, content_type, body, headers = answer
    response = {
        "status_code": status,
        "body": body,
        "headers": {"content-type": content_type.decode(), "x-amzn-requestid": "RID"}
        | {name.decode(): value.decode() for name, value in headers},
    }
    model = _operation(operation)
    shape = model.output_shape if status < 300 else None
    parsed: dict[str, Any] = create_parser(BOTOCORE[protocol]).parse(response, shape)
    return parsed


def _round_trip(protocol: Protocol, operation: str, result: dict[str, Any]) -> dict[str, Any]:
    parsed = _parsed(protocol, cloudwatch.reply(protocol, operation, result, "RID"), operation)
    parsed.pop("ResponseMetadata")
    return parsed


# --- requests: botocore's serializers -> the codec ---------------------------------------------

PUT_METRIC_DATA = {
    "Namespace": "App/Orders",
    "MetricData": [
        {
            "MetricName": "Latency",
            "Dimensions": [{"Name": "Route", "Value": "/checkout"}],
            "Timestamp": WHEN,
            "Values": [1.5, 2.25, 1e-7, 12345678.875],
            "Counts": [1.0, 3.0, 1.0, 2.0],
            "Unit": "Milliseconds",
            "StorageResolution": 1,
        },
        {
            "MetricName": "Orders",
            "StatisticValues": {"SampleCount": 4.0, "Sum": 10.0, "Minimum": 1.0, "Maximum": 4.0},
        },
    ],
    "EntityMetricData": [
        {
            "Entity": {"KeyAttributes": {"Type": "Service", "Name": "orders"}, "Attributes": {}},
            "MetricData": [{"MetricName": "Errors", "Value": 0.0}],
        }
    ],
    "StrictEntityValidation": False,
}
GET_METRIC_DATA = {
    "MetricDataQueries": [
        {
            "Id": "m1",
            "MetricStat": {
                "Metric": {
                    "Namespace": "App/Orders",
                    "MetricName": "Latency",
                    "Dimensions": [{"Name": "Route", "Value": "/checkout"}],
                },
                "Period": 60,
                "Stat": "p99",
                "Unit": "Milliseconds",
            },
            "ReturnData": False,
        },
        {"Id": "e1", "Expression": "m1 * 2", "Label": "double", "Period": 300},
    ],
    "StartTime": WHEN - timedelta(hours=3),
    "EndTime": WHEN,
    "ScanBy": "TimestampAscending",
    "MaxDatapoints": 1000,
    "LabelOptions": {"Timezone": "+0130"},
}
PUT_METRIC_ALARM = {
    "AlarmName": "orders: p99 latency",
    "AlarmDescription": "pages the on-call engineer",
    "ActionsEnabled": True,
    "OKActions": [SNS],
    "AlarmActions": [SNS, "arn:aws:automate:us-east-1:ec2:stop"],
    "InsufficientDataActions": [],
    "EvaluationPeriods": 5,
    "DatapointsToAlarm": 3,
    "Threshold": 250.5,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
    "Metrics": GET_METRIC_DATA["MetricDataQueries"],
    "Tags": [{"Key": "team", "Value": "orders"}, {"Key": "tier", "Value": ""}],
}
DESCRIBE_ALARMS = {
    "AlarmNames": ["a", "b c", "ünïcode ✓"],
    "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
    "StateValue": "ALARM",
    "ActionPrefix": "arn:aws:sns:",
    "MaxRecords": 10,
    "NextToken": "abc==",
}
EXAMPLES = {
    "PutMetricData": PUT_METRIC_DATA,
    "GetMetricData": GET_METRIC_DATA,
    "PutMetricAlarm": PUT_METRIC_ALARM,
    "DescribeAlarms": DESCRIBE_ALARMS,
}


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value


def _without_empty_structures(value: Any) -> Any:
    """What the Query protocol carries of a value: an empty structure or map sends nothing."""
    if isinstance(value, dict):
        kept = {key: _without_empty_structures(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if not _void(item)}
    if isinstance(value, list):
        return [_without_empty_structures(item) for item in value]
    return value


def _expected(protocol: Protocol, params: dict[str, Any]) -> dict[str, Any]:
    plain = _without_none(params)
    return _without_empty_structures(plain) if protocol == "query" else plain


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("operation", sorted(EXAMPLES))
def test_botocore_requests_read_back(protocol: Protocol, operation: str) -> None:
    params = EXAMPLES[operation]
    assert _read(protocol, operation, params) == _expected(protocol, params)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_values_come_as_python_types(protocol: Protocol) -> None:
    read = _read(protocol, "GetMetricData", GET_METRIC_DATA)
    assert read["StartTime"] == WHEN - timedelta(hours=3)
    assert read["StartTime"].tzinfo is not None and read["StartTime"].utcoffset() == timedelta(0)
    assert isinstance(read["MaxDatapoints"], int)
    assert read["MetricDataQueries"][0]["ReturnData"] is False
    datum = _read(protocol, "PutMetricData", PUT_METRIC_DATA)["MetricData"][0]
    assert all(type(value) is float for value in datum["Values"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_special_doubles(protocol: Protocol) -> None:
    params = {
        "Namespace": "n",
        "MetricData": [{"MetricName": "m", "Values": [math.inf, -math.inf]}],
    }
    assert _read(protocol, "PutMetricData", params)["MetricData"][0]["Values"] == [
        math.inf,
        -math.inf,
    ]
    nan = {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": math.nan}]}
    assert math.isnan(_read(protocol, "PutMetricData", nan)["MetricData"][0]["Value"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_empty_input_and_no_input(protocol: Protocol) -> None:
    assert _read(protocol, "DescribeAlarms", {}) == {}


# --- shapes made into values by hypothesis -------------------------------------------------------

_XML_SAFE = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\t\n")
_TIMES = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))


def _strategy(name: str, *, in_list: bool = False) -> st.SearchStrategy[Any]:
    """Values of the shape `name` that satisfy its constraints (so the codec must take them):
    a structure inside a list always has a member (the Query protocol sends nothing of an
    empty one)."""
    target = shapes.shape(name)
    kind = target["type"]
    if kind == "structure":
        return _structure(target, in_list)
    if kind == "list":
        member = _strategy(target["member"]["shape"], in_list=True)
        return st.lists(
            member, min_size=target.get("min", 0), max_size=min(target.get("max", 3), 3)
        )
    if kind == "map":
        keys = _strategy(target["key"]["shape"])
        least = target.get("min", 0)
        return st.dictionaries(
            keys, _strategy(target["value"]["shape"]), min_size=least, max_size=least + 2
        )
    return _scalar(target)


def _scalar(target: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind = target["type"]
    if "enum" in target:
        return st.sampled_from(target["enum"])
    if kind == "string":
        text = st.text(
            _XML_SAFE, min_size=target.get("min", 0), max_size=min(target.get("max", 12), 12)
        )
        if target.get("pattern") == "[^:].*":
            return text.filter(lambda value: value[:1] not in ("", ":") and "\n" not in value)
        return text if "pattern" not in target else st.just("a" * max(target.get("min", 1), 1))
    if kind in ("integer", "long"):
        bound = 2**31 if kind == "integer" else 2**63
        return st.integers(target.get("min", -bound), min(target.get("max", bound - 1), bound - 1))
    if kind in ("double", "float"):
        return st.floats(
            allow_nan=False,
            allow_infinity=False,
            min_value=target.get("min"),
            max_value=target.get("max"),
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return _TIMES
    return st.binary(max_size=8)


def _structure(target: dict[str, Any], in_list: bool) -> st.SearchStrategy[Any]:
    members = target.get("members", {})
    required = set(target.get("required", ()))
    if target.get("union"):
        choices = [st.fixed_dictionaries({m: _strategy(r["shape"])}) for m, r in members.items()]
        return st.one_of(choices)
    fixed = {m: _required(r["shape"]) for m, r in members.items() if m in required}
    optional = {m: _strategy(r["shape"]) for m, r in members.items() if m not in required}
    made = st.fixed_dictionaries(fixed, optional=optional)
    if in_list and not fixed:
        return made.filter(lambda value: not _void(value))
    return made


def _void(value: Any) -> bool:
    """Whether the Query protocol sends nothing of a value (structures and maps of nothing)."""
    return isinstance(value, dict) and all(_void(item) for item in value.values())


def _required(name: str) -> st.SearchStrategy[Any]:
    """A required member: a list or structure of it is never empty (an empty one is absent
    to the Query protocol)."""
    target = shapes.shape(name)
    if target["type"] == "list":
        member = _strategy(target["member"]["shape"], in_list=True)
        return st.lists(member, min_size=max(target.get("min", 1), 1), max_size=3)
    if target["type"] == "structure":
        return _structure(target, in_list=True)
    return _strategy(name)


def _input(operation: str) -> st.SearchStrategy[Any]:
    name = shapes.input_shape(operation)
    assert name is not None
    return _strategy(name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("operation", sorted(EXAMPLES))
def test_any_valid_request_reads_back(
    protocol: Protocol, operation: str, data: st.DataObject
) -> None:
    params = data.draw(_input(operation))
    assert _read(protocol, operation, params) == _expected(protocol, params)


OUTPUTS = (
    "DescribeAlarms",
    "GetMetricData",
    "GetMetricStatistics",
    "DescribeAlarmHistory",
    "ListMetrics",
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("operation", OUTPUTS)
def test_any_result_reads_back_through_botocore(
    protocol: Protocol, operation: str, data: st.DataObject
) -> None:
    name = shapes.output_shape(operation)
    assert name is not None
    result = data.draw(_strategy(name))
    assert _round_trip(protocol, operation, result) == result


# --- replies: the codec -> botocore's parsers ------------------------------------------------------

ALARM = {
    "AlarmName": "orders: p99 latency",
    "AlarmArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders: p99 latency",
    "AlarmConfigurationUpdatedTimestamp": WHEN,
    "ActionsEnabled": True,
    "OKActions": [],
    "AlarmActions": [SNS],
    "InsufficientDataActions": [],
    "StateValue": "INSUFFICIENT_DATA",
    "StateReason": "Unchecked: Initial alarm creation",
    "StateUpdatedTimestamp": WHEN,
    "StateTransitionedTimestamp": WHEN,
    "MetricName": "Latency",
    "Namespace": "App/Orders",
    "Statistic": "Average",
    "Dimensions": [{"Name": "Route", "Value": "<a & b>\r\n"}],
    "Period": 60,
    "EvaluationPeriods": 1,
    "Threshold": 2.0,
    "ComparisonOperator": "GreaterThanThreshold",
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_describe_alarms_reads_back(protocol: Protocol) -> None:
    result = {"MetricAlarms": [ALARM], "CompositeAlarms": [], "NextToken": "t0k3n=="}
    assert _round_trip(protocol, "DescribeAlarms", result) == result


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_metric_data_reads_back(protocol: Protocol) -> None:
    result = {
        "MetricDataResults": [
            {
                "Id": "m1",
                "Label": "Latency",
                "Timestamps": [WHEN, WHEN - timedelta(minutes=1)],
                "Values": [1.5, 0.1 + 0.2],
                "StatusCode": "Complete",
                "Messages": [{"Code": "MultipleUnits", "Value": "Multiple units returned"}],
            }
        ],
        "Messages": [],
    }
    assert _round_trip(protocol, "GetMetricData", result) == result


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_statistics_with_a_map_read_back(protocol: Protocol) -> None:
    result = {
        "Label": "Latency",
        "Datapoints": [
            {"Timestamp": WHEN, "SampleCount": 3.0, "ExtendedStatistics": {"p99": 9.5, "p50": 1.0}}
        ],
    }
    assert _round_trip(protocol, "GetMetricStatistics", result) == result


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_no_output(protocol: Protocol) -> None:
    status, content_type, body, headers = cloudwatch.reply(protocol, "PutMetricAlarm", None, "RID")
    assert status == 200
    assert _round_trip(protocol, "PutMetricAlarm", {}) == {}
    if protocol == "cbor":
        assert body == b"" and cloudwatch.SMITHY_PROTOCOL in headers
    if protocol == "query":
        assert body.startswith(
            b'<PutMetricAlarmResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">'
        )
        assert b"<RequestId>RID</RequestId>" in body


def test_cbor_timestamps_are_tag_1_epoch_seconds() -> None:
    _, content_type, body, headers = cloudwatch.reply(
        "cbor", "DescribeAlarms", {"MetricAlarms": [ALARM]}, "R"
    )
    assert content_type == b"application/cbor" and (b"smithy-protocol", b"rpc-v2-cbor") in headers
    assert b"\xc1\xfb" + cbor2.dumps(WHEN.timestamp())[1:] in body  # tag 1, a double
    assert cbor2.loads(body)["MetricAlarms"][0]["StateUpdatedTimestamp"] == WHEN


def test_query_timestamps_to_the_millisecond() -> None:
    _, _, body, _ = cloudwatch.reply("query", "DescribeAlarms", {"MetricAlarms": [ALARM]}, "R")
    assert b"<StateUpdatedTimestamp>2026-11-24T10:00:00.123Z</StateUpdatedTimestamp>" in body
    assert b"<Threshold>2.0</Threshold>" in body


# --- errors --------------------------------------------------------------------------------------

ERRORS = [
    (
        errors.invalid_parameter_value("The value x for parameter Period is invalid."),
        "InvalidParameterValueException",
        400,
    ),
    (
        errors.missing_parameter(["Namespace", "MetricData"]),
        "MissingRequiredParameterException",
        400,
    ),
    (errors.alarm_not_found(), "ResourceNotFound", 404),
    (errors.tagged_resource_not_found(), "ResourceNotFoundException", 404),
    (errors.cloudwatch_validation("1 validation error detected: …"), "ValidationException", 400),
    (errors.invalid_next_token("t"), "InvalidNextToken", 400),
    (errors.service_access_denied("User: x is not authorized"), None, 403),
    (errors.unknown_cloudwatch_operation("Frobnicate"), None, 400),
    (errors.cloudwatch_failure("RID"), "InternalServiceFault", 500),
    (errors.malformed_request(), None, 400),
    (errors.cloudwatch_request_too_large(2_000_000, 1_048_576), None, 413),
]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    ("error", "modeled", "status"), ERRORS, ids=lambda value: getattr(value, "code", None)
)
def test_errors_read_back(
    protocol: Protocol, error: errors.ServiceError, modeled: str | None, status: int
) -> None:
    answer = cloudwatch.error_reply(protocol, error, "RID")
    assert answer[0] == status
    parsed = _parsed(protocol, answer, "DescribeAlarms")
    assert parsed["Error"]["Code"] == error.code
    assert (parsed["Error"].get("Message") or "") == error.message
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == status
    if protocol != "query":
        assert parsed["Error"]["Type"] == ("Sender" if status < 500 else "Receiver")
    assert parsed["ResponseMetadata"].get("RequestId", "RID") == "RID"
    client = botocore.session.get_session().create_client(
        "cloudwatch", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    exception = client.exceptions.from_code(parsed["Error"]["Code"])
    if modeled is None:
        assert exception is client.exceptions.ClientError
    else:
        assert exception.__name__ == modeled


def test_error_types_in_cbor_and_json() -> None:
    _, _, body, headers = cloudwatch.error_reply("json", errors.invalid_parameter_value("bad"), "R")
    assert orjson.loads(body) == {
        "__type": "com.amazonaws.cloudwatch#InvalidParameterValueException",
        "message": "bad",
    }
    assert (b"x-amzn-query-error", b"InvalidParameterValue;Sender") in headers
    _, _, body, _ = cloudwatch.error_reply("cbor", errors.service_access_denied("no"), "R")
    assert cbor2.loads(body) == {
        "__type": "com.amazon.coral.service#AccessDeniedException",
        "message": "no",
    }
    _, _, body, _ = cloudwatch.error_reply("json", errors.alarm_not_found(), "R")
    assert orjson.loads(body) == {"__type": "com.amazonaws.cloudwatch#ResourceNotFound"}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_error_rendering_never_fails(protocol: Protocol) -> None:
    error = errors.invalid_parameter_value("bad \udcff byte")
    status, _, body, _ = cloudwatch.error_reply(protocol, error, "RID")
    assert status == 400 and b"bad ? byte" in body
    assert error.message == "bad \udcff byte"  # the error itself is left as it was


def test_query_error_envelope() -> None:
    _, content_type, body, _ = cloudwatch.error_reply(
        "query", errors.missing_parameter(["Namespace"]), "RID"
    )
    assert content_type == b"text/xml"
    assert body.decode() == (
        '<ErrorResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">\n'
        "  <Error>\n"
        "    <Type>Sender</Type>\n"
        "    <Code>MissingParameter</Code>\n"
        "    <Message>The parameter Namespace is required.</Message>\n"
        "  </Error>\n"
        "  <RequestId>RID</RequestId>\n"
        "</ErrorResponse>\n"
    )


# --- CloudWatch's errors for input that does not fit ------------------------------------------------


def _refused(protocol: Protocol, operation: str, raw: Any) -> errors.ServiceError:
    with pytest.raises(errors.ServiceError) as excinfo:
        read_input(operation, raw, protocol)
    return excinfo.value


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_missing_parameters_are_listed(protocol: Protocol) -> None:
    raw = {"MetricData": [{"Dimensions": [{"Name": "a"}]}]}
    error = _refused(protocol, "PutMetricData", raw)
    assert (error.code, error.status) == ("MissingParameter", 400)
    assert error.message == (  # in the order of the model's members
        "The parameter Namespace is required.\n"
        "The parameter MetricData.member.1.MetricName is required.\n"
        "The parameter MetricData.member.1.Dimensions.member.1.Value is required."
    )
    empty = _refused(protocol, "DeleteAlarms", {"AlarmNames": "" if protocol == "query" else []})
    assert empty.message == "The parameter AlarmNames is required."


@pytest.mark.parametrize(
    ("protocol", "raw", "shown"),
    [
        (
            "query",
            {
                "AlarmName": "a",
                "StateValue": "OK",
                "StateReason": "r",
                "StateReasonData": {"x": "1"},
            },
            "{'x': '1'}",
        ),
        ("json", {"AlarmNames": ["a"], "MaxRecords": "10"}, "10"),
        ("json", {"AlarmNames": ["a"], "MaxRecords": 2**31}, str(2**31)),
        ("cbor", {"AlarmNames": ["a"], "MaxRecords": True}, "true"),
        ("query", {"AlarmNames": ["a"], "MaxRecords": "1_0"}, "1_0"),
        ("json", {"AlarmNames": [None]}, "null"),
    ],
)
def test_wrong_types_are_invalid_values(
    protocol: Protocol, raw: dict[str, Any], shown: str
) -> None:
    operation = "SetAlarmState" if "StateValue" in raw else "DescribeAlarms"
    error = _refused(protocol, operation, raw)
    assert error.code == "InvalidParameterValue"
    assert error.message.startswith(f"The value {shown} for parameter ")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_bad_timestamps(protocol: Protocol) -> None:
    bad: Any = {"cbor": 1e300, "json": "2024-01-01", "query": "yesterday"}[protocol]
    raw = {"StartDate": bad}
    error = _refused(protocol, "DescribeAlarmHistory", raw)
    assert error.code == "InvalidParameterValue"


def test_constraints_in_corals_words() -> None:
    error = _refused(
        "json", "SetAlarmState", {"AlarmName": "a", "StateValue": "INVALID", "StateReason": "r"}
    )
    assert (error.code, error.status) == ("ValidationError", 400)
    assert error.message == (
        "1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy "
        "constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]"
    )
    error = _refused("query", "DescribeAlarms", {"AlarmNamePrefix": "", "MaxRecords": "101"})
    assert error.message == (
        "2 validation errors detected: Value '' at 'alarmNamePrefix' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1; Value '101' at "
        "'maxRecords' failed to satisfy constraint: Member must have value less than or equal "
        "to 100"
    )
    error = _refused("cbor", "DescribeAlarmsForMetric", {"MetricName": "m", "Namespace": ":x"})
    assert (
        "'namespace' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:].*"
        in error.message
    )


def test_enum_order_is_cloudwatchs() -> None:
    assert java_set_order(["SampleCount", "Average", "Sum", "Minimum", "Maximum"]) == [
        "Maximum",
        "SampleCount",
        "Sum",
        "Minimum",
        "Average",
    ]


# --- hostile bodies ------------------------------------------------------------------------------

HOSTILE = [
    b"\xa1",  # a map with nothing in it
    b"\x81" * 40 + b"\x01",  # nested past MAX_DEPTH
    b"\x9f" * 5000,  # indefinite-length arrays, never closed
    b"\x5b" + (2**62).to_bytes(8, "big") + b"xx",  # a huge declared length
    b"\xbb" + (2**62).to_bytes(8, "big"),
    b"\xa1\x61a\xd8\x23\x61a",  # tag 35: a regular expression
    b"\xa1\x61a\xd8\x1c\x61a",  # tag 28: a shared reference
    b"\xa1\x61a\xc2\x41\x01",  # tag 2: a bignum
    b"\xa1\x61a\xd9\xd9\xf7\x01",  # tag 55799
    b"\xa1\x61a\xd9\x03\xe8\x01",  # an unknown tag
    b"\xa2\x61a\x01\x61a\x02",  # a key twice
    b"\xa1\x81\x01\x01",  # a key that is no string
    b"\xa0\x00",  # something after the map
    b"\x01",  # no map at all
    b"\x62\xff\xfe",  # text that is no UTF-8
    b"\x1c",  # a reserved additional info
]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_cbor_is_a_serialization_error(body: bytes) -> None:
    with pytest.raises(errors.ServiceError) as excinfo:
        cloudwatch.decode("cbor", body)
    assert (excinfo.value.code, excinfo.value.status) == ("SerializationException", 400)


@pytest.mark.parametrize(
    "body", [b"{", b"[]", b"nul", b"[" * 5000 + b"]" * 5000, b'{"a": "\\ud800"}']
)
def test_hostile_json_is_a_serialization_error(body: bytes) -> None:
    with pytest.raises(errors.ServiceError) as excinfo:
        cloudwatch.decode("json", body)
    assert excinfo.value.code == "SerializationException"


def test_cbor_indefinite_lengths_are_read() -> None:
    body = b"\xbf\x6aAlarmNames\x9f\x7f\x61a\x61b\xff\xff\xff"
    assert read_input("DescribeAlarms", cloudwatch.decode("cbor", body), "cbor") == {
        "AlarmNames": ["ab"]
    }


def test_cbor_wrong_timestamp_tags_are_invalid_values() -> None:
    for stamp in (b"\xc1\x61a", b"\xc1\xc1\x01", b"\xc1\xf9\x7e\x00", b"\x01"):
        raw = cloudwatch.decode("cbor", b"\xa1\x69StartDate" + stamp)
        assert _refused("cbor", "DescribeAlarmHistory", raw).code == "InvalidParameterValue"


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=64))
def test_any_bytes_decode_or_are_refused(body: bytes) -> None:
    for protocol in ("cbor", "json"):
        try:
            tree = cloudwatch.decode(protocol, body)
            read_input("PutMetricAlarm", tree, protocol)
        except errors.ServiceError as exc:
            assert 400 <= exc.status < 500


@settings(max_examples=200, deadline=None)
@given(form=st.text(max_size=80))
def test_any_form_reads_or_is_refused(form: str) -> None:
    try:
        _, _, raw = awsquery.parse_form(form.encode())
        read_input("PutMetricAlarm", raw, "query")
    except errors.ServiceError as exc:
        assert 400 <= exc.status < 500


def test_deep_form_names_are_left_out() -> None:
    _, _, params = awsquery.parse_form(b"Action=DescribeAlarms&" + b"a." * 5000 + b"b=1")
    assert params == {}


def test_compressed_bodies_are_unpacked_within_the_limit() -> None:
    body = b"{}"
    packed = zlib.compress(body, wbits=31)
    assert cloudwatch.unpacked(packed, b"gzip") == body
    bomb = zlib.compress(b"0" * (cloudwatch.MAX_BYTES + 1), wbits=31)
    with pytest.raises(errors.ServiceError) as excinfo:
        cloudwatch.unpacked(bomb, b"gzip")
    assert excinfo.value.status == 413
    with pytest.raises(errors.ServiceError) as excinfo:
        cloudwatch.unpacked(b"not gzip", b"gzip")
    assert excinfo.value.code == "SerializationException"
