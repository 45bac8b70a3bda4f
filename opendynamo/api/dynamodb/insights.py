"""UpdateContributorInsights, DescribeContributorInsights and ListContributorInsights: the
Contributor Insights setting of a table or GSI (engine/insights keeps it in the table's row;
the keys are counted by engine/metrics/contributors and reported through CloudWatch's
api/cloudwatch/insights).

Messages and answers as DynamoDB gives them (ack-api-quirks' probes of DynamoDB, findings
DDB-TABLE-089 to -097, -116, -137, -161 and -340 to -344): a missing table is
"Requested resource not found: Table: <name> not found", an unknown index, or a local one,
"Requested resource not found: Index: <index> not found for table: <table>"; a table or GSI
not ACTIVE cannot be enabled; a table never configured describes as DISABLED alone, one
enabled once also shows its mode and LastUpdateDateTime; ListContributorInsights leaves out
DISABLED entries and lists a table before its GSIs.
"""

from __future__ import annotations

from opendynamo import errors
from opendynamo.api.request import paging
from opendynamo.api.request.context import Context
from opendynamo.engine import catalog, insights
from opendynamo.engine.catalog import IndexMeta, TableMeta
from opendynamo.model.values import Body
from opendynamo.storage.base import ReadTxn

LISTING = "ListContributorInsights"
DEFAULT_PAGE = 100
NOT_ACTIVE = (
    "Table or Index is not in a valid state to update Key Access Insights: {} must be ACTIVE "
    "to enable ContributorInsights."
)


def update_contributor_insights(ctx: Context, body: Body) -> Body:
    enable = body["ContributorInsightsAction"] == "ENABLE"
    index_name = body.get("IndexName")
    now = ctx.store.now()
    with ctx.store.write() as txn:
        meta = _table(ctx, txn, body["TableName"])
        index = _index(meta, index_name)
        if enable and meta.shown_status != "ACTIVE":
            raise errors.validation(NOT_ACTIVE.format("TableStatus"))
        if enable and index is not None and index.shown_status != "ACTIVE":
            raise errors.validation(NOT_ACTIVE.format("IndexStatus"))
        setting = meta.insights if index is None else index.insights
        changed, answered = insights.updated(
            setting, enable, body.get("ContributorInsightsMode"), now
        )
        if changed is not setting:
            catalog.put_table(txn, insights.with_setting(meta, index_name, changed))
    out: Body = {"TableName": meta.name}
    if index_name is not None:
        out["IndexName"] = index_name
    out["ContributorInsightsStatus"] = answered
    if changed is not None:
        out["ContributorInsightsMode"] = changed["mode"]
    return out


def describe_contributor_insights(ctx: Context, body: Body) -> Body:
    index_name = body.get("IndexName")
    now = ctx.store.now()
    with ctx.store.read() as txn:
        meta = _table(ctx, txn, body["TableName"])
        index = _index(meta, index_name)
    setting = meta.insights if index is None else index.insights
    out: Body = {"TableName": meta.name}
    if index_name is not None:
        out["IndexName"] = index_name
    status = insights.status(setting, now)
    if status in ("ENABLING", "ENABLED"):
        out["ContributorInsightsRuleList"] = [rule.name for rule in insights.rules(meta, index)]
    out["ContributorInsightsStatus"] = status
    if setting is not None:
        out["LastUpdateDateTime"] = setting["changed"]
        out["ContributorInsightsMode"] = setting["mode"]
    return out


def list_contributor_insights(ctx: Context, body: Body) -> Body:
    limit = max(1, body.get("MaxResults") or DEFAULT_PAGE)
    token = body.get("NextToken")
    after = None
    if token is not None:
        after = paging.position(ctx, LISTING, token)
        if after is None:
            raise errors.validation(f"Invalid Request: Provided nextToken is invalid: {token}")
    now = ctx.store.now()
    with ctx.store.read() as txn:
        name = body.get("TableName")
        if name is not None:
            tables = [_table(ctx, txn, name)]
        else:
            tables = list(catalog.tables_in(txn, ctx.account, ctx.region))
    entries = [
        (position, summary)
        for meta in tables
        for position, summary in _summaries(meta, now)
        if after is None or position > after
    ]
    page = entries[:limit]
    out: Body = {"ContributorInsightsSummaries": [summary for _, summary in page]}
    if len(entries) > limit:
        out["NextToken"] = paging.make(ctx, LISTING, page[-1][0])
    return out


def _summaries(meta: TableMeta, now: float) -> list[tuple[str, Body]]:
    """(position in the listing, summary) of the table and of each GSI that is not DISABLED:
    the table first, then its GSIs by name."""
    found: list[tuple[str, Body]] = []
    by_name = sorted(meta.global_indexes, key=lambda gsi: gsi.name)
    resources: list[IndexMeta | None] = [None, *by_name]
    for index in resources:
        setting = meta.insights if index is None else index.insights
        status = insights.status(setting, now)
        if setting is None or status == "DISABLED":
            continue
        summary: Body = {"TableName": meta.name}
        if index is not None:
            summary["IndexName"] = index.name
        summary["ContributorInsightsStatus"] = status
        summary["ContributorInsightsMode"] = setting["mode"]
        # NUL is in no name: positions sort as the listing does, a table before its GSIs.
        found.append((f"{meta.name}\x00{'' if index is None else index.name}", summary))
    return found


def _table(ctx: Context, txn: ReadTxn, name: str) -> TableMeta:
    meta = catalog.find(txn, ctx.table(name))
    if meta is None:
        raise errors.table_not_found(name)
    return meta


def _index(meta: TableMeta, name: str | None) -> IndexMeta | None:
    """The GSI `name` names (None for the table itself): a local index is none."""
    if name is None:
        return None
    index = meta.index(name)
    if index is None or not index.is_global:
        raise errors.resource_not_found(
            f"Requested resource not found: Index: {name} not found for table: {meta.name}"
        )
    return index
