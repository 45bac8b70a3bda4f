// A table's facts, as DescribeTable, DescribeTimeToLive, DescribeContinuousBackups and
// ListTagsOfResource give them, refreshed while the table or one of its indexes is changing.

import { dynamodb } from "../api.js";
import { clear, dataTable, errorBox, formatBytes, formatNumber, formatTime, h } from "../ui.js";
import { badge, poller } from "./common.js";
import { keysText } from "./table_form.js";
import { capacityText } from "./tables.js";

export async function renderTab(container, table) {
  let current = table;
  clear(container, await facts(current));
  if (settled(current)) return;
  await poller(container, 2000, async () => {
    current = (await dynamodb("DescribeTable", { TableName: current.TableName })).Table;
    clear(container, await facts(current));
    return !settled(current);
  })();
}

function settled(table) {
  const indexes = table.GlobalSecondaryIndexes || [];
  return table.TableStatus === "ACTIVE" && indexes.every((index) => index.IndexStatus === "ACTIVE");
}

async function facts(table) {
  const [ttl, backups, tags] = await Promise.all([
    dynamodb("DescribeTimeToLive", { TableName: table.TableName }).catch((error) => ({ error })),
    dynamodb("DescribeContinuousBackups", { TableName: table.TableName }).catch((error) => ({ error })),
    listTags(table.TableArn).catch((error) => ({ error })),
  ]);
  return h(
    "div",
    { class: "overview" },
    h(
      "div",
      { class: "overview-columns" },
      h("section", {}, h("h2", {}, "General"), factList(general(table))),
      h(
        "section",
        {},
        h("h2", {}, "Capacity, stream and protection"),
        factList([...settings(table), ...ttlFacts(ttl), ...pitrFacts(backups)]),
      ),
    ),
    h(
      "section",
      { class: "overview-tags" },
      h("h2", {}, "Tags"),
      tags.error ? errorBox(tags.error) : dataTable([["Key", "Key"], ["Value", "Value"]], tags, { empty: "No tags." }),
    ),
  );
}

function factList(pairs) {
  return h("dl", { class: "facts" }, pairs.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

function general(table) {
  const definitions = table.AttributeDefinitions;
  const keyOf = (type) => table.KeySchema.filter((key) => key.KeyType === type);
  const indexes = [
    ...(table.GlobalSecondaryIndexes || []).map((index) => `${index.IndexName} (global)`),
    ...(table.LocalSecondaryIndexes || []).map((index) => `${index.IndexName} (local)`),
  ];
  return [
    ["Status", badge(table.TableStatus)],
    ["ARN", h("span", { class: "mono" }, table.TableArn)],
    ["Partition key", keysText(keyOf("HASH"), definitions)],
    ["Sort key", keysText(keyOf("RANGE"), definitions) || "None"],
    ["Item count", formatNumber(table.ItemCount)],
    ["Size", formatBytes(table.TableSizeBytes)],
    ["Indexes", indexes.join(", ") || "None"],
    ["Created", formatTime(table.CreationDateTime)],
  ];
}

function settings(table) {
  const stream = table.StreamSpecification;
  const pairs = [
    ["Capacity", capacityText(table)],
    ["Table class", table.TableClassSummary ? table.TableClassSummary.TableClass : "STANDARD"],
    ["Deletion protection", table.DeletionProtectionEnabled ? "On" : "Off"],
    ["Stream", stream && stream.StreamEnabled ? `On (${stream.StreamViewType})` : "Off"],
  ];
  if (table.LatestStreamArn) {
    pairs.push(["Latest stream ARN", h("span", { class: "mono" }, table.LatestStreamArn)]);
    pairs.push(["Latest stream label", table.LatestStreamLabel]);
  }
  return pairs;
}

function ttlFacts(answer) {
  if (answer.error) return [["Time to Live", errorBox(answer.error)]];
  const ttl = answer.TimeToLiveDescription;
  const on = ttl.TimeToLiveStatus === "ENABLED" || ttl.TimeToLiveStatus === "ENABLING";
  return [["Time to Live", on ? `${ttl.TimeToLiveStatus} on ${ttl.AttributeName}` : ttl.TimeToLiveStatus]];
}

function pitrFacts(answer) {
  if (answer.error) return [["Point-in-time recovery", errorBox(answer.error)]];
  const pitr = answer.ContinuousBackupsDescription.PointInTimeRecoveryDescription;
  const pairs = [["Point-in-time recovery", badge(pitr.PointInTimeRecoveryStatus)]];
  if (pitr.PointInTimeRecoveryStatus === "ENABLED") {
    pairs.push(["Earliest restorable time", formatTime(pitr.EarliestRestorableDateTime)]);
    pairs.push(["Latest restorable time", formatTime(pitr.LatestRestorableDateTime)]);
  }
  return pairs;
}

/** Every tag of a resource, following NextToken. */
export async function listTags(arn) {
  const tags = [];
  let token;
  do {
    const page = await dynamodb("ListTagsOfResource", token ? { ResourceArn: arn, NextToken: token } : { ResourceArn: arn });
    tags.push(...(page.Tags || []));
    token = page.NextToken;
  } while (token);
  return tags;
}
