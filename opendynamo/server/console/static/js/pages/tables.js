// The table list: every table of the region with its status, item count, size, billing mode,
// indexes, stream, PITR and TTL. Counts come from DescribeTable (never from a scan).

import { dynamodb, tableNames } from "../api.js";
import { clear, dataTable, errorBox, field, formatBytes, formatNumber, h, pageHeader } from "../ui.js";

const DESCRIBE_AT_ONCE = 8;

export async function render(main) {
  const create = h("a", { class: "button primary", href: "#/create-table" }, "Create table");
  let names;
  try {
    names = await tableNames();
  } catch (error) {
    // Without dynamodb:ListTables a user may still hold rights on tables it knows by name.
    clear(main, pageHeader("Tables", create), errorBox(error), openByName());
    return;
  }
  const described = await describeAll(names);
  // A table the identity may not describe is not shown, only counted: IAM decides what a
  // person sees, as DynamoDB decides what each call may read.
  const denied = described.filter((row) => row.error && row.error.type === "AccessDeniedException");
  const rows = described.filter((row) => !denied.includes(row));
  clear(
    main,
    pageHeader("Tables", create),
    h("p", { class: "muted" }, `${rows.length} table${rows.length === 1 ? "" : "s"} in this region.`,
      denied.length ? ` ${denied.length} more you are not allowed to describe.` : ""),
    tableList(rows),
    openByName(),
  );
}

function openByName() {
  const name = h("input", { name: "table", required: true, spellcheck: "false", autocomplete: "off" });
  const form = h(
    "form",
    { class: "row open-table", "aria-label": "Open a table by name" },
    field("Open a table by name", name),
    h("button", { type: "submit" }, "Open"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/tables/${encodeURIComponent(name.value.trim())}`;
  });
  return form;
}

function tableList(rows) {
  return dataTable(
    [
      { key: "name", heading: "Name", render: (row) => h("a", { href: `#/tables/${encodeURIComponent(row.name)}` }, row.name) },
      { key: "status", heading: "Status", render: (row) => statusBadge(row) },
      { key: "items", heading: "Items", render: (row) => (row.error ? "" : formatNumber(row.table.ItemCount)) },
      { key: "size", heading: "Size", render: (row) => (row.error ? "" : formatBytes(row.table.TableSizeBytes)) },
      { key: "billing", heading: "Capacity", render: (row) => (row.error ? "" : capacityText(row.table)) },
      { key: "indexes", heading: "Indexes", render: (row) => (row.error ? "" : indexText(row.table)) },
      { key: "stream", heading: "Stream", render: (row) => (row.error ? "" : streamText(row.table)) },
      { key: "pitr", heading: "PITR", render: (row) => row.pitr },
      { key: "ttl", heading: "TTL", render: (row) => row.ttl },
    ],
    rows,
    { empty: "No tables yet in this region." },
  );
}

async function describeAll(names) {
  const rows = [];
  for (let i = 0; i < names.length; i += DESCRIBE_AT_ONCE) {
    const slice = names.slice(i, i + DESCRIBE_AT_ONCE);
    rows.push(...(await Promise.all(slice.map(describeOne))));
  }
  return rows;
}

async function describeOne(name) {
  try {
    const [described, backups, ttl] = await Promise.all([
      dynamodb("DescribeTable", { TableName: name }),
      dynamodb("DescribeContinuousBackups", { TableName: name }).catch(() => null),
      dynamodb("DescribeTimeToLive", { TableName: name }).catch(() => null),
    ]);
    const pitr = backups
      ? backups.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus
      : "";
    const ttlDescription = ttl ? ttl.TimeToLiveDescription : null;
    return {
      name,
      table: described.Table,
      pitr: pitr === "ENABLED" ? "On" : pitr ? "Off" : "",
      ttl: ttlDescription && ttlDescription.TimeToLiveStatus === "ENABLED" ? ttlDescription.AttributeName : "Off",
    };
  } catch (error) {
    return { name, error, pitr: "", ttl: "" };
  }
}

function statusBadge(row) {
  if (row.error) return errorBox(row.error);
  const status = row.table.TableStatus;
  return h("span", { class: `badge ${status.toLowerCase()}` }, status);
}

export function capacityText(table) {
  const mode = table.BillingModeSummary ? table.BillingModeSummary.BillingMode : "PROVISIONED";
  if (mode === "PAY_PER_REQUEST") return "On-demand";
  const units = table.ProvisionedThroughput || {};
  return `Provisioned (${units.ReadCapacityUnits} RCU, ${units.WriteCapacityUnits} WCU)`;
}

function indexText(table) {
  const global = (table.GlobalSecondaryIndexes || []).length;
  const local = (table.LocalSecondaryIndexes || []).length;
  const parts = [];
  if (global) parts.push(`${global} global`);
  if (local) parts.push(`${local} local`);
  return parts.join(", ") || "None";
}

function streamText(table) {
  const spec = table.StreamSpecification;
  return spec && spec.StreamEnabled ? spec.StreamViewType : "Off";
}
