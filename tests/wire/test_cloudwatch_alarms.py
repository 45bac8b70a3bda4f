"""CloudWatch's metric alarms over the wire, in each of its three protocols: boto3's default
client (which speaks JSON 1.0: botocore prefers `json` of the model's protocols), and real
boto3 clients whose loaded `cloudwatch` model names only `smithy-rpc-v2-cbor` or only `query`
(the model copied into a data path of their own), plus the AWS CLI and raw requests.

Pinned, as CloudWatch answers: a new alarm is INSUFFICIENT_DATA, "Unchecked: Initial alarm
creation", with its ARN and three timestamps; an update keeps the state; DeleteAlarms passes
over unknown names; SetAlarmState records a StateUpdate and, for the new state's actions, the
Action items of actions that could not be delivered; ResourceNotFound (404, no message) for an
unknown alarm; MissingParameter, InvalidParameterValue and ValidationError with CloudWatch's
messages; InvalidAction for an operation not served; DescribeAlarms and DescribeAlarmHistory
paged by NextToken; alarms per region; AccessDenied (403) under `--auth iam`. Tags by the
alarm's ARN (TagResource, UntagResource, ListTagsForResource): ResourceNotFoundException (404,
no message) for an ARN naming no alarm here, at most 50 tags, no `aws:` keys, and
`cloudwatch:TagResource`/`UntagResource` decided with the request's and the alarm's tags.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.conftest import CREDENTIALS, REGION, Backend, Server, creds_of, unique_name
from tests.wire.http import Reply, send

AWS = Path(sys.executable).with_name("aws")
PROTOCOLS = {"cbor": "smithy-rpc-v2-cbor", "json": "json", "query": "query"}
ACCOUNT = "000000000000"
SNS = f"arn:aws:sns:{REGION}:{ACCOUNT}:page"


def cloudwatch_client(
    server: Server, protocol: str, data_path: Path, region: str = REGION, **credentials: Any
) -> Any:
    """A boto3 cloudwatch client that speaks `protocol`: botocore's own model, with only that
    protocol named, in a data path searched before botocore's."""
    loader = botocore.session.get_session().get_component("data_loader")
    model = loader.load_service_model("cloudwatch", "service-2")
    model["metadata"]["protocol"] = PROTOCOLS[protocol]
    model["metadata"]["protocols"] = [PROTOCOLS[protocol]]
    folder = data_path / protocol / "cloudwatch" / model["metadata"]["apiVersion"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "service-2.json").write_text(json.dumps(model))
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, str(data_path / protocol))
    client = boto3.Session(botocore_session=session).client(
        "cloudwatch",
        endpoint_url=server.endpoint,
        region_name=region,
        config=Config(retries={"total_max_attempts": 1}),
        **(credentials or CREDENTIALS),
    )
    assert client.meta.service_model.resolved_protocol == PROTOCOLS[protocol]
    return client


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module", params=sorted(PROTOCOLS))
def cw(request: pytest.FixtureRequest, server: Server, models: Path) -> Any:
    """A cloudwatch client of each protocol against the shared server (auth off)."""
    if request.param == "json":
        client = server.client("cloudwatch")
        assert client.meta.service_model.resolved_protocol == "json"  # boto3's default
        return client
    return cloudwatch_client(server, request.param, models)


def alarm_params(name: str, **more: Any) -> dict[str, Any]:
    params = {
        "AlarmName": name,
        "MetricName": "Latency",
        "Namespace": "App/Orders",
        "Statistic": "Average",
        "Dimensions": [{"Name": "Route", "Value": "/checkout"}],
        "Period": 60,
        "EvaluationPeriods": 3,
        "Threshold": 250.5,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    return {key: value for key, value in {**params, **more}.items() if value is not None}


def the_alarm(cw: Any, name: str) -> dict[str, Any]:
    found = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    assert len(found) == 1, found
    alarm: dict[str, Any] = found[0]
    return alarm


def history(cw: Any, name: str, **more: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = cw.describe_alarm_history(AlarmName=name, **more)[
        "AlarmHistoryItems"
    ]
    return items


def refusal(call: Callable[..., Any], **params: Any) -> tuple[str, str, int]:
    """(code, message, HTTP status) of the ClientError `call(**params)` raises."""
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    response = excinfo.value.response
    message = response["Error"].get("Message") or ""
    return response["Error"]["Code"], message, response["ResponseMetadata"]["HTTPStatusCode"]


# --- the alarm's life -------------------------------------------------------------------------


def test_a_new_alarm(cw: Any) -> None:
    name = unique_name("orders: p99")
    before = datetime.now(UTC) - timedelta(seconds=5)
    cw.put_metric_alarm(
        **alarm_params(name, AlarmDescription="pages <the> on-call", AlarmActions=[SNS])
    )
    alarm = the_alarm(cw, name)
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"
    assert alarm["StateReason"] == "Unchecked: Initial alarm creation"
    assert alarm["ActionsEnabled"] is True
    assert alarm["AlarmActions"] == [SNS]
    assert alarm["OKActions"] == alarm["InsufficientDataActions"] == []
    assert alarm["Threshold"] == 250.5 and alarm["Period"] == 60
    assert alarm["Dimensions"] == [{"Name": "Route", "Value": "/checkout"}]
    assert alarm["AlarmDescription"] == "pages <the> on-call"
    for member in ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp"):
        assert before < alarm[member] < datetime.now(UTC) + timedelta(seconds=5)
    assert alarm["StateTransitionedTimestamp"] == alarm["StateUpdatedTimestamp"]
    created = history(cw, name)
    assert [item["HistoryItemType"] for item in created] == ["ConfigurationUpdate"]
    assert created[0]["HistorySummary"] == f'Alarm "{name}" created'
    data = json.loads(created[0]["HistoryData"])
    assert data["type"] == "Create" and data["createdAlarm"]["threshold"] == 250.5
    assert data["createdAlarm"]["okActions"] == []


def test_metric_math_alarm(cw: Any) -> None:
    name = unique_name("math")
    metrics = [
        {
            "Id": "m1",
            "MetricStat": {
                "Metric": {"Namespace": "App/Orders", "MetricName": "Errors"},
                "Period": 300,
                "Stat": "Sum",
            },
            "ReturnData": False,
        },
        {"Id": "e1", "Expression": "m1 * 100", "Label": "error rate"},
    ]
    cw.put_metric_alarm(
        AlarmName=name,
        Metrics=metrics,
        EvaluationPeriods=2,
        DatapointsToAlarm=1,
        Threshold=5.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )
    alarm = the_alarm(cw, name)
    assert alarm["Metrics"] == metrics
    assert "MetricName" not in alarm and alarm["DatapointsToAlarm"] == 1


def test_an_update_keeps_the_state(cw: Any) -> None:
    name = unique_name("update")
    cw.put_metric_alarm(**alarm_params(name))
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="by hand")
    cw.put_metric_alarm(
        **alarm_params(name, Threshold=9.0, ExtendedStatistic="p99", Statistic=None)
    )
    alarm = the_alarm(cw, name)
    assert (alarm["StateValue"], alarm["StateReason"]) == ("ALARM", "by hand")
    assert alarm["Threshold"] == 9.0 and alarm["ExtendedStatistic"] == "p99"
    assert "Statistic" not in alarm
    update = history(cw, name, HistoryItemType="ConfigurationUpdate")[0]
    assert update["HistorySummary"] == f'Alarm "{name}" updated'
    data = json.loads(update["HistoryData"])
    assert data["type"] == "Update"
    assert data["originalUpdatedFields"]["threshold"] == 250.5
    assert data["originalUpdatedFields"]["statistic"] == "Average"
    assert data["updatedAlarm"]["extendedStatistic"] == "p99"


def test_set_alarm_state_records_the_change_and_its_actions(cw: Any) -> None:
    name = unique_name("state")
    cw.put_metric_alarm(**alarm_params(name, AlarmActions=[SNS], OKActions=[SNS]))
    reason_data = json.dumps({"version": "1.0", "queryDate": "2026-01-01T00:00:00.000+0000"})
    cw.set_alarm_state(
        AlarmName=name, StateValue="ALARM", StateReason="testing", StateReasonData=reason_data
    )
    alarm = the_alarm(cw, name)
    assert alarm["StateValue"] == "ALARM" and alarm["StateReasonData"] == reason_data
    assert alarm["StateTransitionedTimestamp"] >= alarm["AlarmConfigurationUpdatedTimestamp"]
    items = history(cw, name)
    assert [item["HistoryItemType"] for item in items] == [
        "Action",
        "StateUpdate",
        "ConfigurationUpdate",
    ]
    update = items[1]
    assert update["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    assert json.loads(update["HistoryData"]) == {
        "version": "1.0",
        "oldState": {
            "stateValue": "INSUFFICIENT_DATA",
            "stateReason": "Unchecked: Initial alarm creation",
        },
        "newState": {
            "stateValue": "ALARM",
            "stateReason": "testing",
            "stateReasonData": json.loads(reason_data),
        },
    }
    action = json.loads(items[0]["HistoryData"])
    assert action["actionState"] == "Failed" and action["notificationResource"] == SNS
    assert items[0]["HistorySummary"].startswith(f"Failed to execute action {SNS}.")
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="again")
    assert len(history(cw, name)) == 3  # no transition to the state it is in
    assert the_alarm(cw, name)["StateReason"] == "testing"


def test_set_alarm_state_refusals(cw: Any) -> None:
    name = unique_name("refused")
    cw.put_metric_alarm(**alarm_params(name))
    unknown = refusal(cw.set_alarm_state, AlarmName="no-" + name, StateValue="OK", StateReason="r")
    assert unknown == ("ResourceNotFound", "", 404)
    code, message, status = refusal(
        cw.set_alarm_state, AlarmName=name, StateValue="OK", StateReason="r", StateReasonData="{"
    )
    assert (code, status) == ("InvalidFormat", 400)


def test_enable_and_disable_actions(cw: Any) -> None:
    name = unique_name("actions")
    cw.put_metric_alarm(**alarm_params(name, OKActions=[SNS]))
    cw.disable_alarm_actions(AlarmNames=[name, "no-such-alarm"])
    assert the_alarm(cw, name)["ActionsEnabled"] is False
    cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="quiet")
    assert "Action" not in [item["HistoryItemType"] for item in history(cw, name)]
    cw.enable_alarm_actions(AlarmNames=[name])
    assert the_alarm(cw, name)["ActionsEnabled"] is True


def test_delete_alarms_passes_over_unknown_names(cw: Any) -> None:
    name = unique_name("delete")
    cw.put_metric_alarm(**alarm_params(name))
    cw.delete_alarms(AlarmNames=[name, "never-" + name])
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
    deleted = history(cw, name, HistoryItemType="ConfigurationUpdate")[0]
    assert deleted["HistorySummary"] == f'Alarm "{name}" deleted'


# --- tags ---------------------------------------------------------------------------------------


def tags_of(cw: Any, arn: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
    return found


def test_tags_of_an_alarm(cw: Any) -> None:
    name = unique_name("tagged")
    cw.put_metric_alarm(**alarm_params(name, Tags=[{"Key": "team", "Value": "data"}]))
    alarm = the_alarm(cw, name)
    arn = alarm["AlarmArn"]
    assert "Tags" not in alarm
    assert tags_of(cw, arn) == [{"Key": "team", "Value": "data"}]
    cw.tag_resource(
        ResourceARN=arn,
        Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "ml"}],
    )
    assert tags_of(cw, arn) == [{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "prod"}]
    cw.untag_resource(ResourceARN=arn, TagKeys=["team", "never-set"])
    assert tags_of(cw, arn) == [{"Key": "env", "Value": "prod"}]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "empty", "Value": ""}])
    assert tags_of(cw, arn)[-1] == {"Key": "empty", "Value": ""}
    # Tags are no configuration: no history item, no new configuration time.
    updated = "AlarmConfigurationUpdatedTimestamp"
    assert the_alarm(cw, name)[updated] == alarm[updated]
    assert len(history(cw, name)) == 1
    # PutMetricAlarm of an existing alarm ignores its Tags (CloudWatch's rule).
    cw.put_metric_alarm(**alarm_params(name, Tags=[{"Key": "other", "Value": "x"}]))
    assert [tag["Key"] for tag in tags_of(cw, arn)] == ["env", "empty"]


def test_tags_of_an_alarm_without_any(cw: Any) -> None:
    name = unique_name("untagged")
    cw.put_metric_alarm(**alarm_params(name))
    arn = the_alarm(cw, name)["AlarmArn"]
    assert tags_of(cw, arn) == []
    cw.untag_resource(ResourceARN=arn, TagKeys=["absent"])
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert tags_of(cw, arn) == [{"Key": "k", "Value": "v"}]
    cw.delete_alarms(AlarmNames=[name])
    assert refusal(cw.list_tags_for_resource, ResourceARN=arn) == (
        "ResourceNotFoundException",
        "",
        404,
    )


def test_tagging_an_unknown_resource(cw: Any) -> None:
    """ResourceNotFoundException (404, no message) for any ARN that names no alarm of the
    caller's account and region."""
    name = unique_name("elsewhere")
    cw.put_metric_alarm(**alarm_params(name))
    arns = [
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:no-{name}",
        f"arn:aws:cloudwatch:us-west-2:{ACCOUNT}:alarm:{name}",
        f"arn:aws:cloudwatch:{REGION}:111122223333:alarm:{name}",
        f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{name}",
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:",
        "not an arn",
    ]
    tags = [{"Key": "k", "Value": "v"}]
    not_found = ("ResourceNotFoundException", "", 404)
    for arn in arns:
        assert refusal(cw.tag_resource, ResourceARN=arn, Tags=tags) == not_found
        assert refusal(cw.untag_resource, ResourceARN=arn, TagKeys=["k"]) == not_found
        assert refusal(cw.list_tags_for_resource, ResourceARN=arn) == not_found


def test_tagging_refusals(cw: Any) -> None:
    name = unique_name("limits")
    cw.put_metric_alarm(**alarm_params(name))
    arn = the_alarm(cw, name)["AlarmArn"]
    long_key = "k" * 129
    assert refusal(cw.tag_resource, ResourceARN=arn, Tags=[{"Key": long_key, "Value": "v"}]) == (
        "ValidationError",
        f"1 validation error detected: Value '{long_key}' at 'tags.1.member.key' failed to "
        "satisfy constraint: Member must have length less than or equal to 128",
        400,
    )
    reserved = refusal(cw.tag_resource, ResourceARN=arn, Tags=[{"Key": "AWS:x", "Value": "v"}])
    assert reserved == (
        "InvalidParameterValue",
        "The value AWS:x for parameter Tags.member.1.Key is invalid. Tag keys beginning with "
        "aws: are reserved for AWS use.",
        400,
    )
    fifty = [{"Key": f"k{i}", "Value": str(i)} for i in range(50)]
    too_many = "A CloudWatch resource can have at most 50 tags; the request would give it 51."
    assert refusal(
        cw.tag_resource, ResourceARN=arn, Tags=[*fifty, {"Key": "one-more", "Value": "v"}]
    ) == ("InvalidParameterValue", too_many, 400)
    cw.tag_resource(ResourceARN=arn, Tags=fifty)
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "k0", "Value": "changed"}])  # still 50
    one_more = refusal(cw.tag_resource, ResourceARN=arn, Tags=[{"Key": "one-more", "Value": "v"}])
    assert one_more == ("InvalidParameterValue", too_many, 400)
    assert len(tags_of(cw, arn)) == 50
    missing = refusal(cw.untag_resource, ResourceARN=arn, TagKeys=[])
    assert missing == ("MissingParameter", "The parameter TagKeys is required.", 400)
    created = refusal(
        cw.put_metric_alarm,
        **alarm_params(unique_name("many"), Tags=[*fifty, {"Key": "x", "Value": "y"}]),
    )
    assert created == ("InvalidParameterValue", too_many, 400)


# --- listings ---------------------------------------------------------------------------------


def test_describe_alarms_filters_and_pages(cw: Any) -> None:
    prefix = unique_name("list") + "-"
    names = [f"{prefix}{i}" for i in range(5)]
    for i, name in enumerate(names):
        cw.put_metric_alarm(**alarm_params(name, AlarmActions=[SNS] if i % 2 else []))
    cw.set_alarm_state(AlarmName=names[0], StateValue="OK", StateReason="fine")
    listed = cw.describe_alarms(AlarmNamePrefix=prefix)
    assert [a["AlarmName"] for a in listed["MetricAlarms"]] == names
    assert listed["CompositeAlarms"] == [] and "NextToken" not in listed
    paged = cw.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=prefix, PaginationConfig={"PageSize": 2}
    )
    pages = [[a["AlarmName"] for a in page["MetricAlarms"]] for page in paged]
    assert pages == [names[:2], names[2:4], names[4:]]
    ok = cw.describe_alarms(AlarmNamePrefix=prefix, StateValue="OK")["MetricAlarms"]
    assert [a["AlarmName"] for a in ok] == names[:1]
    with_action = cw.describe_alarms(AlarmNamePrefix=prefix, ActionPrefix="arn:aws:sns:")
    assert [a["AlarmName"] for a in with_action["MetricAlarms"]] == names[1::2]
    assert cw.describe_alarms(AlarmNames=names, AlarmTypes=["CompositeAlarm"])["MetricAlarms"] == []
    code, _, status = refusal(cw.describe_alarms, NextToken="made-up")
    assert (code, status) == ("InvalidNextToken", 400)


def test_describe_alarms_for_metric(cw: Any) -> None:
    namespace = unique_name("Ns")
    first, second = unique_name("m"), unique_name("m")
    cw.put_metric_alarm(**alarm_params(first, Namespace=namespace))
    cw.put_metric_alarm(**alarm_params(second, Namespace=namespace, Statistic="Sum"))
    found = cw.describe_alarms_for_metric(MetricName="Latency", Namespace=namespace)
    assert sorted(a["AlarmName"] for a in found["MetricAlarms"]) == sorted([first, second])
    summed = cw.describe_alarms_for_metric(
        MetricName="Latency", Namespace=namespace, Statistic="Sum"
    )
    assert [a["AlarmName"] for a in summed["MetricAlarms"]] == [second]
    other = cw.describe_alarms_for_metric(
        MetricName="Latency", Namespace=namespace, Dimensions=[{"Name": "Route", "Value": "/x"}]
    )
    assert other["MetricAlarms"] == []


def test_alarm_history_filters_and_pages(cw: Any) -> None:
    name = unique_name("history")
    cw.put_metric_alarm(**alarm_params(name))
    for state in ("OK", "ALARM", "OK"):
        cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason=state.lower())
    newest_first = history(cw, name, HistoryItemType="StateUpdate")
    assert [json.loads(i["HistoryData"])["newState"]["stateValue"] for i in newest_first] == [
        "OK",
        "ALARM",
        "OK",
    ]
    oldest = history(cw, name, ScanBy="TimestampAscending")[0]
    assert oldest["HistoryItemType"] == "ConfigurationUpdate"
    first = cw.describe_alarm_history(AlarmName=name, MaxRecords=3)
    assert len(first["AlarmHistoryItems"]) == 3
    rest = cw.describe_alarm_history(AlarmName=name, MaxRecords=3, NextToken=first["NextToken"])
    assert len(rest["AlarmHistoryItems"]) == 1 and "NextToken" not in rest
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert history(cw, name, StartDate=later) == []
    assert len(history(cw, name, EndDate=later)) == 4
    everyone = cw.describe_alarm_history(HistoryItemType="StateUpdate", MaxRecords=100)
    assert name in {item["AlarmName"] for item in everyone["AlarmHistoryItems"]}


def test_alarms_belong_to_their_region(cw: Any, server: Server, models: Path) -> None:
    name = unique_name("region")
    cw.put_metric_alarm(**alarm_params(name))
    protocol = cw.meta.service_model.resolved_protocol
    short = {v: k for k, v in PROTOCOLS.items()}[protocol]
    west = cloudwatch_client(server, short, models, region="us-west-2")
    assert west.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
    assert the_alarm(cw, name)["AlarmName"] == name


# --- CloudWatch's refusals ----------------------------------------------------------------------

REFUSED: list[tuple[dict[str, Any], str, str]] = [
    (
        {"Period": 45},
        "ValidationError",
        "Period must be 10, 30 or a multiple of 60",
    ),
    (
        {"DatapointsToAlarm": 4},
        "ValidationError",
        "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
    ),
    (
        {"MetricName": None},
        "ValidationError",
        "MetricName must not be null",
    ),
    (
        {"TreatMissingData": "sometimes"},
        "ValidationError",
        "The value sometimes is not supported for TreatMissingData parameter. Supported values "
        "are [breaching, notBreaching, ignore, missing].",
    ),
    (
        {"Statistic": None, "ExtendedStatistic": "median"},
        "InvalidParameterValue",
        "The value median for parameter ExtendedStatistic is not supported.",
    ),
    (
        {"Statistic": None, "ExtendedStatistic": "p90", "EvaluateLowSampleCountPercentile": "x"},
        "ValidationError",
        "Option x is not supported. Supported options for parameter "
        "EvaluateLowSampleCountPercentile are evaluate and ignore.",
    ),
    (
        {"Metrics": [{"Id": "m1", "Expression": "1"}]},
        "ValidationError",
        "MetricName should not be set if list of Metrics is set.",
    ),
    (
        {"ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"},
        "ValidationError",
        "Alarms on anomaly detection bands (ThresholdMetricId and the "
        "LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, "
        "GreaterThanUpperThreshold operators) are not supported by opendynamo",
    ),
]


@pytest.mark.parametrize(("change", "code", "message"), REFUSED)
def test_put_metric_alarm_refusals(
    cw: Any, change: dict[str, Any], code: str, message: str
) -> None:
    params = alarm_params(unique_name("bad"), **change)
    assert refusal(cw.put_metric_alarm, **params) == (code, message, 400)


def test_metrics_must_return_exactly_one(cw: Any) -> None:
    stat = {"Metric": {"Namespace": "n", "MetricName": "m"}, "Period": 60, "Stat": "Sum"}
    params = {
        "AlarmName": unique_name("bad"),
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [{"Id": "m1", "MetricStat": stat}, {"Id": "m2", "MetricStat": stat}],
    }
    message = "Exactly one element of the metrics list should return data."
    assert refusal(cw.put_metric_alarm, **params) == ("ValidationError", message, 400)


def test_shape_refusals(cw: Any) -> None:
    enum = refusal(cw.set_alarm_state, AlarmName="a", StateValue="OK", StateReason="r" * 1024)
    assert enum == (
        "ValidationError",
        "1 validation error detected: Value '"
        + "r" * 1024
        + "' at 'stateReason' failed to satisfy constraint: Member must have length less "
        "than or equal to 1023",
        400,
    )


def test_an_operation_not_served(cw: Any) -> None:
    code, message, status = refusal(cw.list_dashboards)
    assert (code, message, status) == (
        "InvalidAction",
        "opendynamo does not support ListDashboards yet",
        400,
    )


# --- raw requests: what botocore would not send -----------------------------------------------------


def signed(server: Server, path: str, body: bytes, headers: dict[str, str]) -> Reply:
    request = AWSRequest(method="POST", url=server.endpoint + path, data=body, headers=headers)
    keys = Credentials(CREDENTIALS["aws_access_key_id"], CREDENTIALS["aws_secret_access_key"])
    SigV4Auth(keys, "monitoring", REGION).add_auth(request)
    return send(server, path=path, body=body, headers=dict(request.prepare().headers.items()))


CBOR_HEADERS = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
CBOR_PATH = "/service/GraniteServiceVersion20100801/operation/"


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xff",
        b"\x81" * 200 + b"\x01",
        b"\x5b" + (2**62).to_bytes(8, "big"),
        b"\xbf" * 3000,
        b"\xa1\x6aAlarmNames\xd8\x23\x61a",
        b"\xa1\x6aAlarmNames\x80\x00",
    ],
)
def test_hostile_cbor_is_refused_in_cbor(server: Server, body: bytes) -> None:
    reply = signed(server, CBOR_PATH + "DescribeAlarms", body, CBOR_HEADERS)
    assert reply.status == 400
    assert reply.headers["content-type"] == "application/cbor"
    assert reply.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert reply.headers["x-amzn-query-error"] == "SerializationException;Sender"
    assert reply.headers["x-amzn-requestid"]
    assert "Traceback" not in server.output()


def test_hostile_json_and_forms(server: Server) -> None:
    target = {"Content-Type": "application/x-amz-json-1.0"}
    target["X-Amz-Target"] = "GraniteServiceVersion20100801.DescribeAlarms"
    reply = signed(server, "/", b"[" * 100_000, target)
    assert (reply.status, reply.json()["__type"]) == (
        400,
        "com.amazon.coral.service#SerializationException",
    )
    form = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    deep = b"Action=DescribeAlarms&Version=2010-08-01&" + b"A." * 10_000 + b"B=1"
    assert signed(server, "/", deep, form).status == 200
    bad = b"Action=DescribeAlarms&Version=2010-08-01&MaxRecords=ten"
    reply = signed(server, "/", bad, form)
    assert reply.status == 400 and b"<Code>InvalidParameterValue</Code>" in reply.body
    unknown = signed(server, "/", b"Action=Frobnicate&Version=2010-08-01", form)
    assert unknown.status == 400 and b"<Code>InvalidAction</Code>" in unknown.body
    assert "Traceback" not in server.output()


def test_an_unsigned_request_is_refused_in_its_protocol(server: Server) -> None:
    reply = send(server, path=CBOR_PATH + "DescribeAlarms", body=b"\xa0", headers=CBOR_HEADERS)
    assert reply.status == 403
    assert reply.headers["x-amzn-query-error"] == "MissingAuthenticationToken;Sender"


# --- the AWS CLI ------------------------------------------------------------------------------------


def test_aws_cli_puts_and_describes_an_alarm(server: Server) -> None:
    name = unique_name("cli")
    base = [str(AWS), "cloudwatch", "--endpoint-url", server.endpoint, "--region", REGION]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_PAGER="",
    )
    put = [
        "put-metric-alarm", "--alarm-name", name, "--metric-name", "CPUUtilization",
        "--namespace", "AWS/EC2", "--statistic", "Average", "--period", "300",
        "--threshold", "70", "--comparison-operator", "GreaterThanThreshold",
        "--dimensions", "Name=InstanceId,Value=i-12345678", "--evaluation-periods", "2",
        "--alarm-actions", SNS, "--unit", "Percent",
    ]  # fmt: skip
    done = subprocess.run(base + put, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    describe = ["describe-alarms", "--alarm-names", name, "--output", "json"]
    done = subprocess.run(base + describe, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    alarm = json.loads(done.stdout)["MetricAlarms"][0]
    assert alarm["Threshold"] == 70.0 and alarm["Unit"] == "Percent"
    assert alarm["Dimensions"] == [{"Name": "InstanceId", "Value": "i-12345678"}]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"


# --- authorization ---------------------------------------------------------------------------------

ROOT_KEY = "AKIAROOTCLOUDWATCH01"
ROOT_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCLOUDWATCH"
ROOT = {"aws_access_key_id": ROOT_KEY, "aws_secret_access_key": ROOT_SECRET}


@pytest.fixture(scope="module")
def iam_server(tmp_path_factory: pytest.TempPathFactory, backend: Backend) -> Iterator[Server]:
    args = (
        "--auth",
        "iam",
        "--root-access-key-id",
        ROOT_KEY,
        "--root-secret-access-key",
        ROOT_SECRET,
    )
    server = Server(tmp_path_factory.mktemp("cw-iam"), workers=1, extra_args=args + backend())
    server.start()
    yield server
    server.stop()


def user_with(server: Server, *statements: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """A new user with one inline policy of `statements`: its ARN and credentials."""
    iam = server.client("iam", **ROOT)
    name = unique_name("cw")
    user = iam.create_user(UserName=name)["User"]
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    iam.put_user_policy(UserName=name, PolicyName="cw", PolicyDocument=document)
    return str(user["Arn"]), creds_of(iam.create_access_key(UserName=name)["AccessKey"])


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_a_describe_only_user_may_not_put(iam_server: Server, models: Path, protocol: str) -> None:
    allow = {"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": "*"}
    arn, creds = user_with(iam_server, allow)
    client = cloudwatch_client(iam_server, protocol, models, **creds)
    assert client.describe_alarms()["CompositeAlarms"] == []
    name = unique_name("denied")
    code, message, status = refusal(client.put_metric_alarm, **alarm_params(name))
    assert (code, status) == ("AccessDenied", 403)
    resource = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"
    assert message == (
        f"User: {arn} is not authorized to perform: cloudwatch:PutMetricAlarm on resource: "
        f"{resource} because no identity-based policy allows the cloudwatch:PutMetricAlarm action"
    )
    root = cloudwatch_client(iam_server, protocol, models, **ROOT)
    assert root.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []


def test_alarm_arns_and_condition_keys_decide(iam_server: Server, models: Path) -> None:
    team = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:team-*"
    arn, creds = user_with(
        iam_server,
        {
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"],
            "Resource": team,
        },
        {
            "Effect": "Deny",
            "Action": "cloudwatch:PutMetricAlarm",
            "Resource": "*",
            "Condition": {
                "ForAnyValue:StringLike": {"cloudwatch:AlarmActions": "arn:aws:automate:*"}
            },
        },
    )
    client = cloudwatch_client(iam_server, "json", models, **creds)
    mine = unique_name("team-")
    client.put_metric_alarm(**alarm_params(mine, AlarmActions=[SNS]))
    other = unique_name("other-")
    assert refusal(client.put_metric_alarm, **alarm_params(other))[0] == "AccessDenied"
    stop = "arn:aws:automate:us-east-1:ec2:stop"
    code, message, _ = refusal(
        client.put_metric_alarm, **alarm_params(unique_name("team-"), AlarmActions=[stop])
    )
    assert code == "AccessDenied" and "explicit deny" in message
    refused = refusal(client.delete_alarms, AlarmNames=[mine, other])
    assert refused[0] == "AccessDenied" and f"alarm:{other}" in refused[1]
    client.delete_alarms(AlarmNames=[mine])


def test_tagging_is_authorized_on_the_alarm_and_its_tags(iam_server: Server, models: Path) -> None:
    team = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:team-*"
    tagging = ["cloudwatch:TagResource", "cloudwatch:UntagResource"]
    _, creds = user_with(
        iam_server,
        {
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricAlarm", "cloudwatch:ListTagsForResource", *tagging],
            "Resource": team,
        },
        {
            "Effect": "Deny",
            "Action": "cloudwatch:UntagResource",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/locked": "yes"}},
        },
        {
            "Effect": "Deny",
            "Action": "cloudwatch:TagResource",
            "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}},
        },
    )
    client = cloudwatch_client(iam_server, "json", models, **creds)
    name = unique_name("team-")
    arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}"
    client.put_metric_alarm(**alarm_params(name, Tags=[{"Key": "locked", "Value": "yes"}]))
    assert tags_of(client, arn) == [{"Key": "locked", "Value": "yes"}]
    code, message, status = refusal(client.untag_resource, ResourceARN=arn, TagKeys=["locked"])
    assert (code, status) == ("AccessDenied", 403)
    assert f"cloudwatch:UntagResource on resource: {arn}" in message
    assert "explicit deny" in message
    owner = [{"Key": "owner", "Value": "me"}]
    assert refusal(client.tag_resource, ResourceARN=arn, Tags=owner)[0] == "AccessDenied"
    client.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "dev"}])
    other = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{unique_name('other-')}"
    code, message, _ = refusal(client.list_tags_for_resource, ResourceARN=other)
    assert code == "AccessDenied" and f"on resource: {other}" in message
    root = cloudwatch_client(iam_server, "json", models, **ROOT)
    root.untag_resource(ResourceARN=arn, TagKeys=["locked"])
    client.untag_resource(ResourceARN=arn, TagKeys=["env"])
    assert tags_of(client, arn) == []
