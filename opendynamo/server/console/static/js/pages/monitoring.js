// A table's Monitoring tab: DynamoDB's CloudWatch metrics for the table (namespace
// AWS/DynamoDB, one-minute figures), read with ONE GetMetricData call per refresh for every
// chart, beside the table's own counters from DescribeTable. pages/table.js calls
// `renderMonitoring(container, tableName)` for the tab.
//
// ListMetrics (dimension TableName) says which operations and indexes have figures, so the
// charts ask only for series that exist. CloudWatch returns no datapoint for a period without
// data: counts then read as zero, latency and provisioned capacity as a gap.

import { cloudwatch, dynamodb } from "../api.js";
import { timeChart } from "../charts.js";
import { capacityText } from "./tables.js";
import { clear, errorBox, field, formatBytes, formatNumber, h, select, uid } from "../ui.js";

const NAMESPACE = "AWS/DynamoDB";
// [value, label, seconds, period]: periods keep a chart at or under ~360 points.
const RANGES = [
  ["1h", "Last hour", 3600, 60],
  ["3h", "Last 3 hours", 3 * 3600, 60],
  ["12h", "Last 12 hours", 12 * 3600, 300],
  ["1d", "Last day", 86400, 300],
  ["1w", "Last week", 7 * 86400, 3600],
];
const REFRESH_MS = 60_000;
const MAX_QUERIES = 500; // GetMetricData's limit per call
const RANGE_KEY = "opendynamo-monitoring-range";
// The order operations are listed in (DynamoDB's console order); others follow by name.
const OPERATIONS = [
  "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
  "BatchWriteItem", "TransactGetItems", "TransactWriteItems", "ExecuteStatement",
  "BatchExecuteStatement", "ExecuteTransaction", "GetRecords",
];
const PER_OPERATION = ["SuccessfulRequestLatency", "ThrottledRequests", "SystemErrors", "ReturnedItemCount"];

export async function renderMonitoring(container, tableName) {
  const page = monitoringPage(tableName);
  clear(container, page.element);
  await page.refresh();
  page.schedule();
}

function monitoringPage(tableName) {
  const remembered = sessionStorage.getItem(RANGE_KEY);
  const range = select(
    RANGES.map(([value, label]) => [value, label]),
    RANGES.some(([value]) => value === remembered) ? remembered : "1h",
  );
  const auto = h("input", { type: "checkbox", id: uid("auto-refresh"), checked: true });
  const refreshButton = h("button", { type: "button" }, "Refresh");
  const status = h("p", { class: "muted monitoring-status" });
  const problems = h("div", {});
  const counters = h("aside", { class: "monitoring-counters", "aria-label": "Table counters" });
  const charts = h("div", { class: "charts" });
  const element = h(
    "div",
    { class: "monitoring" },
    h(
      "div",
      { class: "monitoring-toolbar row" },
      field("Time range", range),
      h("div", { class: "check" }, auto, h("label", { for: auto.id }, "Refresh every minute")),
      refreshButton,
      status,
    ),
    problems,
    h(
      "div",
      { class: "monitoring-body" },
      h("div", {}, h("h2", { class: "sr" }, "Charts"), charts),
      counters,
    ),
  );
  const state = { tableName, range, auto, status, problems, counters, charts, shown: new Map() };
  const refresh = () => refreshPage(state);
  range.addEventListener("change", () => {
    sessionStorage.setItem(RANGE_KEY, range.value);
    refresh();
  });
  refreshButton.addEventListener("click", refresh);
  return { element, refresh, schedule: () => schedule(element, state) };
}

// Every minute while the tab is on screen; the timer ends once the page has left the
// document (another tab or page replaced it).
function schedule(element, state) {
  const timer = setInterval(() => {
    if (!element.isConnected) {
      clearInterval(timer);
      return;
    }
    if (state.auto.checked && !document.hidden) refreshPage(state);
  }, REFRESH_MS);
}

// One refresh at a time; one asked for meanwhile (another time range) runs when it ends.
async function refreshPage(state) {
  if (state.busy) {
    state.again = true;
    return;
  }
  state.busy = true;
  state.status.textContent = "Loading…";
  try {
    const table = (await dynamodb("DescribeTable", { TableName: state.tableName })).Table;
    showCounters(state.counters, table);
    await showCharts(state, table, await listTableMetrics(state.tableName));
    clear(state.problems);
    state.status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    clear(state.problems, errorBox(error));
    state.status.textContent = "";
  } finally {
    state.busy = false;
  }
  if (state.again) {
    state.again = false;
    await refreshPage(state);
  }
}

async function listTableMetrics(tableName) {
  const metrics = [];
  let token;
  do {
    const page = await cloudwatch("ListMetrics", {
      Namespace: NAMESPACE,
      Dimensions: [{ Name: "TableName", Value: tableName }],
      ...(token ? { NextToken: token } : {}),
    });
    metrics.push(...(page.Metrics || []));
    token = page.NextToken;
  } while (token);
  return metrics;
}

function showCounters(target, table) {
  clear(
    target,
    h("h2", {}, "Table"),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Items"),
      h("dd", { dataset: { counter: "ItemCount" } }, formatNumber(table.ItemCount)),
      h("dt", {}, "Size"),
      h("dd", { dataset: { counter: "TableSizeBytes" } }, formatBytes(table.TableSizeBytes)),
      h("dt", {}, "Status"),
      h("dd", {}, table.TableStatus),
      h("dt", {}, "Capacity"),
      h("dd", {}, capacityText(table)),
    ),
    h("p", { class: "hint" }, "Item count and size as DescribeTable reports them."),
  );
}

// --- what to chart ------------------------------------------------------------------------

/** Which operations have figures per metric, which indexes have any, and which of the table
 * (key "") and its indexes have provisioned capacity recorded. */
export function inventory(metrics) {
  const operations = Object.fromEntries(PER_OPERATION.map((name) => [name, new Set()]));
  const indexes = new Set();
  const provisioned = new Set();
  for (const metric of metrics) {
    const dims = Object.fromEntries((metric.Dimensions || []).map((d) => [d.Name, d.Value]));
    // Per table and operation only (GetRecords' stream figures also name a StreamLabel).
    const perOperation = dims.Operation && Object.keys(dims).length === 2;
    if (perOperation && operations[metric.MetricName]) operations[metric.MetricName].add(dims.Operation);
    if (dims.GlobalSecondaryIndexName) indexes.add(dims.GlobalSecondaryIndexName);
    if (metric.MetricName.startsWith("Provisioned")) provisioned.add(dims.GlobalSecondaryIndexName || "");
  }
  const ordered = (set) =>
    [...set].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return {
    operations: Object.fromEntries(Object.entries(operations).map(([name, set]) => [name, ordered(set)])),
    indexes: [...indexes].sort(),
    provisioned,
    any: metrics.length > 0,
  };
}

function rank(operation) {
  const at = OPERATIONS.indexOf(operation);
  return at < 0 ? OPERATIONS.length : at;
}

// A series of a chart: the metric queried, and what a period without a datapoint shows
// (`fill`). Counts are sums per period, zero when missing; `perSecond` divides a sum by the
// period's length, to compare consumed capacity with provisioned (units per second).
function count(name, dims, label, options = {}) {
  return { label, name, dims, stat: "Sum", fill: 0, ...options };
}

// Latencies and gauges: a period without a datapoint is a gap, not zero.
function gauge(name, dims, stat, label, options = {}) {
  return { label, name, dims, stat, fill: null, ...options };
}

/** The charts of one table, as data: each with its series and the query behind each. */
export function chartSpecs(tableName, table, found) {
  const onTable = [{ Name: "TableName", Value: tableName }];
  const byOperation = (operation) => [...onTable, { Name: "Operation", Value: operation }];
  const provisioned = found.provisioned.has("") || isProvisioned(table);
  const specs = [
    capacitySpec("read", "Read capacity", "Read", onTable, provisioned),
    capacitySpec("write", "Write capacity", "Write", onTable, provisioned),
    latencySpec("average", "Average", "average", found, byOperation),
    latencySpec("p99", "p99", "99th percentile", found, byOperation),
    {
      key: "throttles",
      title: "Throttled requests",
      unit: "count",
      note: "ThrottledRequests per operation, and read and write throttle events.",
      empty: "No throttled requests in this time range.",
      series: [
        ...found.operations.ThrottledRequests.map((op) => count("ThrottledRequests", byOperation(op), op)),
        count("ReadThrottleEvents", onTable, "ReadThrottleEvents"),
        count("WriteThrottleEvents", onTable, "WriteThrottleEvents"),
      ],
    },
    {
      key: "errors",
      title: "Errors",
      unit: "count",
      note: "UserErrors counts the whole account and region, not this table alone.",
      empty: "No errors in this time range.",
      series: [
        ...found.operations.SystemErrors.map((op) =>
          count("SystemErrors", byOperation(op), `SystemErrors: ${op}`),
        ),
        count("ConditionalCheckFailedRequests", onTable, "ConditionalCheckFailedRequests"),
        count("UserErrors", [], "UserErrors (whole account)", { dashed: true }),
      ],
    },
    {
      key: "returned-items",
      title: "Returned items",
      unit: "items",
      note: "ReturnedItemCount: items returned per period by Query, Scan and ExecuteStatement.",
      empty: "No Query, Scan or ExecuteStatement returned items in this time range.",
      series: found.operations.ReturnedItemCount.map((op) => count("ReturnedItemCount", byOperation(op), op)),
    },
  ];
  for (const index of indexNames(table, found)) {
    const dims = [{ Name: "GlobalSecondaryIndexName", Value: index }, ...onTable];
    specs.push(indexSpec(index, dims, found.provisioned.has(index) || isProvisioned(table)));
  }
  return specs;
}

function latencySpec(key, stat, words, found, byOperation) {
  return {
    key: `latency-${key}`,
    title: `Latency (${key})`,
    unit: "ms",
    note: `SuccessfulRequestLatency, ${words} per operation.`,
    empty: "No successful requests in this time range.",
    series: found.operations.SuccessfulRequestLatency.map((op) =>
      gauge("SuccessfulRequestLatency", byOperation(op), stat, op),
    ),
  };
}

function capacitySpec(key, title, kind, dims, provisioned) {
  const series = [count(`Consumed${kind}CapacityUnits`, dims, `Consumed`, { perSecond: true })];
  if (provisioned) {
    const line = { dashed: true, colour: "#5f6b7a" };
    series.push(gauge(`Provisioned${kind}CapacityUnits`, dims, "Average", "Provisioned", line));
  }
  return {
    key: `capacity-${key}`,
    title,
    unit: "units/s",
    note:
      `Consumed${kind}CapacityUnits per period, as an average per second` +
      (provisioned ? `, and Provisioned${kind}CapacityUnits.` : "."),
    empty: `No ${key} capacity consumed in this time range.`,
    series,
  };
}

function indexSpec(index, dims, provisioned) {
  const series = [
    count("ConsumedReadCapacityUnits", dims, "Consumed read", { perSecond: true }),
    count("ConsumedWriteCapacityUnits", dims, "Consumed write", { perSecond: true }),
  ];
  if (provisioned) {
    const line = { dashed: true };
    series.push(gauge("ProvisionedReadCapacityUnits", dims, "Average", "Provisioned read", line));
    series.push(gauge("ProvisionedWriteCapacityUnits", dims, "Average", "Provisioned write", line));
  }
  return {
    key: `index-${index}`,
    title: `Index ${index}: capacity`,
    unit: "units/s",
    note: "Capacity the global secondary index consumed, as an average per second.",
    empty: "This index consumed no capacity in this time range.",
    series,
  };
}

function isProvisioned(table) {
  const mode = table.BillingModeSummary ? table.BillingModeSummary.BillingMode : "PROVISIONED";
  return mode === "PROVISIONED";
}

function indexNames(table, found) {
  const current = (table.GlobalSecondaryIndexes || []).map((index) => index.IndexName);
  return [...new Set([...current, ...found.indexes])].sort();
}

// --- reading the figures ------------------------------------------------------------------

/** The GetMetricData queries of `specs`: Id c<chart>s<series>, so each result maps back. */
export function queries(specs, period) {
  const out = [];
  specs.forEach((spec, c) =>
    spec.series.forEach((series, s) =>
      out.push({
        Id: `c${c}s${s}`,
        MetricStat: {
          Metric: { Namespace: NAMESPACE, MetricName: series.name, Dimensions: series.dims },
          Period: period,
          Stat: series.stat,
        },
        ReturnData: true,
      }),
    ),
  );
  return out.slice(0, MAX_QUERIES);
}

async function metricData(list, start, end) {
  const results = new Map();
  let token;
  do {
    const page = await cloudwatch("GetMetricData", {
      MetricDataQueries: list,
      StartTime: start,
      EndTime: end,
      ScanBy: "TimestampAscending",
      ...(token ? { NextToken: token } : {}),
    });
    for (const result of page.MetricDataResults || []) {
      const points = results.get(result.Id) || new Map();
      (result.Timestamps || []).forEach((moment, i) => points.set(Number(moment), result.Values[i]));
      results.set(result.Id, points);
    }
    token = page.NextToken; // only when the answer is too large for one page
  } while (token);
  return results;
}

async function showCharts(state, table, listed) {
  const found = inventory(listed);
  if (!found.any) {
    clear(
      state.charts,
      h(
        "p",
        { class: "monitoring-empty" },
        "No metrics for this table yet. opendynamo records them each minute once requests reach it; ",
        "this page shows them as they arrive.",
      ),
    );
    state.shown.clear();
    return;
  }
  const [, , seconds, period] = RANGES.find(([value]) => value === state.range.value);
  const end = Math.ceil(Date.now() / 1000 / period) * period;
  const start = end - seconds;
  const specs = chartSpecs(state.tableName, table, found);
  const results = await metricData(queries(specs, period), start, end);
  const times = [];
  for (let moment = start; moment < end; moment += period) times.push(moment);
  // In the document first, so each chart is drawn at the width it is given.
  const charts = specs.map((spec) => chartFor(state, spec));
  state.charts.replaceChildren(...charts.map((chart) => chart.element));
  specs.forEach((spec, c) => {
    const found = spec.series.map((_, s) => results.get(`c${c}s${s}`));
    const columns = spec.series.map((series, s) => column(series, found[s], times, period));
    const points = found.reduce((sum, points) => sum + (points ? points.size : 0), 0);
    charts[c].update(times, columns, points > 0, points);
  });
}

// A chart keeps its uPlot while its series stay the same; a new operation or index makes a
// new chart.
function chartFor(state, spec) {
  const signature = JSON.stringify([spec.title, spec.series.map((series) => series.label)]);
  const known = state.shown.get(spec.key);
  if (known && known.signature === signature) return known.chart;
  const chart = timeChart(spec);
  state.shown.set(spec.key, { signature, chart });
  return chart;
}

function column(series, points, times, period) {
  return times.map((moment) => {
    const value = points ? points.get(moment) : undefined;
    if (value === undefined) return series.fill;
    return series.perSecond ? value / period : value;
  });
}
