"""TagResource, UntagResource and ListTagsForResource, of alarms: the resource is named by its
ARN, `arn:aws:cloudwatch:<region>:<account>:alarm:<name>` (the only CloudWatch resource
opendynamo keeps; a dashboard's, an insight rule's or a metric stream's ARN names nothing here).

As CloudWatch: a tag given for a key the alarm has replaces its value, and a new key is
appended; untagging a key the alarm does not have passes over it; an alarm keeps its tags
when PutMetricAlarm updates it (`alarm_rules.alarm`). Tags change no configuration: they are
not in the alarm's history and leave AlarmConfigurationUpdatedTimestamp alone.

Errors, and where they come from:
- an ARN that names no alarm of the caller's account and region: ResourceNotFoundException
  (404) with no message (`errors.tagged_resource_not_found`);
- a key or a value of the wrong length: ValidationError from the model's constraints, in
  Coral's words (`shapes.read_input`);
- more than 50 tags on an alarm (CloudWatch's documented limit: "You can associate as many as
  50 tags with a CloudWatch resource"), and a key beginning with `aws:` (AWS's tagging rules
  reserve the prefix for its own tags): InvalidParameterValue, worded by opendynamo in
  CloudWatch's manner, as AWS's text for these is not on public record.
"""

from __future__ import annotations

from typing import Any

from opendynamo import errors
from opendynamo.api.request.context import Context
from opendynamo.engine import alarms
from opendynamo.storage.base import ReadTxn

Params = dict[str, Any]
Tag = dict[str, str]

MAX_TAGS = 50  # tags one CloudWatch resource may have
RESERVED_PREFIX = "aws:"


def tag_resource(ctx: Context, params: Params) -> Params:
    new = check_tags(params["Tags"])
    with ctx.store.write() as txn:
        alarm = _alarm(txn, ctx, params["ResourceARN"])
        merged = {**_as_dict(alarm.get("Tags") or []), **new}
        _check_count(len(merged))
        alarms.put(txn, {**alarm, "Tags": tag_list(merged)})
    return {}


def untag_resource(ctx: Context, params: Params) -> Params:
    removed = set(params["TagKeys"])
    with ctx.store.write() as txn:
        alarm = _alarm(txn, ctx, params["ResourceARN"])
        kept = [tag for tag in alarm.get("Tags") or [] if tag["Key"] not in removed]
        alarms.put(txn, {**alarm, "Tags": kept})
    return {}


def list_tags_for_resource(ctx: Context, params: Params) -> Params:
    with ctx.store.read() as txn:
        alarm = _alarm(txn, ctx, params["ResourceARN"])
    return {"Tags": list(alarm.get("Tags") or [])}


def check_tags(tags: list[Tag]) -> dict[str, str]:
    """A request's Tags as a mapping (a key given twice keeps its last value), after
    CloudWatch's rules: no reserved key, at most `MAX_TAGS`."""
    for index, tag in enumerate(tags, 1):
        if tag["Key"].lower().startswith(RESERVED_PREFIX):
            raise errors.invalid_parameter_value(
                f"The value {tag['Key']} for parameter Tags.member.{index}.Key is invalid. "
                f"Tag keys beginning with {RESERVED_PREFIX} are reserved for AWS use."
            )
    given = _as_dict(tags)
    _check_count(len(given))
    return given


def _check_count(count: int) -> None:
    if count > MAX_TAGS:
        raise errors.invalid_parameter_value(
            f"A CloudWatch resource can have at most {MAX_TAGS} tags; the request would "
            f"give it {count}."
        )


def _alarm(txn: ReadTxn, ctx: Context, arn: str) -> alarms.Alarm:
    name = alarms.name_in_arn(arn, ctx.account, ctx.region)
    alarm = None if name is None else alarms.get(txn, ctx.account, ctx.region, name)
    if alarm is None:
        raise errors.tagged_resource_not_found()
    return alarm


def _as_dict(tags: list[Tag]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in tags}


def tag_list(tags: dict[str, str]) -> list[Tag]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]
