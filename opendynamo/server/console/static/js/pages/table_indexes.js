// A table's indexes: its global and local secondary indexes with their keys, projection,
// status and size; adding a global index and watching its backfill; deleting one.
//
// DescribeTable says only that an index is CREATING and Backfilling. The figure of progress is
// CloudWatch's OnlineIndexPercentageProgress (published while an index backfills), shown when
// there is a datapoint, beside the count of items indexed so far.

import { cloudwatch, dynamodb } from "../api.js";
import { busy, clear, confirm, dataTable, formatBytes, formatNumber, h, notice } from "../ui.js";
import { badge, markInvalid, poller } from "./common.js";
import { attributeDefinitions, gsiEditor, keysText, projectionText } from "./table_form.js";
import { capacityText } from "./tables.js";

export async function renderTab(container, table) {
  const state = { table, progress: new Map() };
  const lists = h("div", { class: "index-lists" });
  const redraw = () => clear(lists, globalList(state, watch), localList(state.table));
  // Polled while an index is being created or deleted, started again by each change made here.
  const watch = poller(lists, 1000, async () => {
    state.table = (await dynamodb("DescribeTable", { TableName: table.TableName })).Table;
    state.progress = await backfillProgress(state.table);
    redraw();
    return !settled(state.table);
  });
  redraw();
  clear(container, lists, addForm(state, watch));
  if (!settled(table)) await watch();
}

function settled(table) {
  return (table.GlobalSecondaryIndexes || []).every((index) => index.IndexStatus === "ACTIVE");
}

function globalList(state, watch) {
  const table = state.table;
  const keyOf = (index, type) => keysText(index.KeySchema.filter((k) => k.KeyType === type), table.AttributeDefinitions);
  const provisioned = capacityText(table).startsWith("Provisioned");
  return h(
    "section",
    {},
    h("h2", {}, "Global secondary indexes"),
    dataTable(
      [
        ["IndexName", "Name"],
        { key: "pk", heading: "Partition key", render: (index) => keyOf(index, "HASH") },
        { key: "sk", heading: "Sort key", render: (index) => keyOf(index, "RANGE") },
        { key: "projection", heading: "Projection", render: (index) => projectionText(index.Projection) },
        { key: "status", heading: "Status", render: (index) => statusCell(index, state.progress) },
        { key: "items", heading: "Items", render: (index) => formatNumber(index.ItemCount) },
        { key: "size", heading: "Size", render: (index) => formatBytes(index.IndexSizeBytes) },
        provisioned ? { key: "units", heading: "Capacity", render: unitsText } : null,
        { key: "actions", heading: "Actions", render: (index) => deleteButton(table, index, watch) },
      ].filter(Boolean),
      table.GlobalSecondaryIndexes || [],
      { empty: "No global secondary indexes." },
    ),
  );
}

function unitsText(index) {
  const units = index.ProvisionedThroughput || {};
  return `${units.ReadCapacityUnits} RCU, ${units.WriteCapacityUnits} WCU`;
}

function statusCell(index, progress) {
  const parts = [badge(index.IndexStatus)];
  if (index.IndexStatus === "CREATING") {
    const percent = progress.get(index.IndexName);
    const figure = percent === undefined ? "" : ` ${percent.toFixed(0)}%`;
    const text = index.Backfilling ? `Backfilling${figure}` : `Waiting to backfill${figure}`;
    parts.push(h("span", { class: "backfill" }, ` ${text}, ${formatNumber(index.ItemCount)} items indexed`));
  }
  return h("span", {}, parts);
}

function localList(table) {
  const indexes = table.LocalSecondaryIndexes || [];
  const sortKey = (index) => keysText(index.KeySchema.filter((k) => k.KeyType === "RANGE"), table.AttributeDefinitions);
  return h(
    "section",
    {},
    h("h2", {}, "Local secondary indexes"),
    dataTable(
      [
        ["IndexName", "Name"],
        { key: "sk", heading: "Sort key", render: sortKey },
        { key: "projection", heading: "Projection", render: (index) => projectionText(index.Projection) },
        { key: "items", heading: "Items", render: (index) => formatNumber(index.ItemCount) },
        { key: "size", heading: "Size", render: (index) => formatBytes(index.IndexSizeBytes) },
      ],
      indexes,
      { empty: "No local secondary indexes (they can only be made with the table)." },
    ),
  );
}

/** OnlineIndexPercentageProgress's latest datapoint of each index being created. */
async function backfillProgress(table) {
  const creating = (table.GlobalSecondaryIndexes || []).filter((index) => index.IndexStatus === "CREATING");
  const found = new Map();
  if (creating.length === 0) return found;
  const now = Date.now() / 1000;
  const queries = creating.map((index, i) => ({
    Id: `i${i}`,
    MetricStat: {
      Metric: {
        Namespace: "AWS/DynamoDB",
        MetricName: "OnlineIndexPercentageProgress",
        Dimensions: [
          { Name: "TableName", Value: table.TableName },
          { Name: "GlobalSecondaryIndexName", Value: index.IndexName },
        ],
      },
      Period: 60,
      Stat: "Maximum",
    },
  }));
  try {
    const answer = await cloudwatch("GetMetricData", { MetricDataQueries: queries, StartTime: now - 900, EndTime: now + 60 });
    for (const result of answer.MetricDataResults || []) {
      const index = creating[Number(result.Id.slice(1))];
      if (result.Values && result.Values.length) found.set(index.IndexName, Number(result.Values[0]));
    }
  } catch (error) {
    // No CloudWatch permission, or no metrics: the status and item count still show.
  }
  return found;
}

function deleteButton(table, index, watch) {
  const button = h("button", { type: "button", class: "link" }, `Delete ${index.IndexName}`);
  button.disabled = index.IndexStatus === "DELETING";
  button.addEventListener("click", async () => {
    const sure = await confirm(
      `Delete index ${index.IndexName}?`,
      `Queries and scans of ${index.IndexName} stop working. The table's items stay.`,
      "Delete index",
    );
    if (!sure) return;
    await busy(button, null, async () => {
      await dynamodb("UpdateTable", {
        TableName: table.TableName,
        GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: index.IndexName } }],
      });
      notice(`Deleting index ${index.IndexName}.`);
      watch();
    });
  });
  return button;
}

function addForm(state, watch) {
  const provisioned = () => capacityText(state.table).startsWith("Provisioned");
  let editor = gsiEditor("New global secondary index", provisioned);
  const errors = h("div", { class: "form-errors" });
  const submit = h("button", { type: "submit", class: "primary" }, "Create index");
  const form = h("form", { novalidate: true }, editor.node, errors, h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    errors.replaceChildren();
    busy(submit, errors, async () => {
      try {
        await createIndex(state.table, editor);
      } catch (error) {
        markInvalid(form, error);
        throw error;
      }
      markInvalid(form, null);
      notice("The index is being created; its backfill shows above.");
      const fresh = gsiEditor("New global secondary index", provisioned);
      editor.node.replaceWith(fresh.node);
      editor = fresh;
      watch();
    });
  });
  return h("section", { class: "add-index" }, h("h2", {}, "Add a global secondary index"), form);
}

async function createIndex(table, editor) {
  const { index, keys } = editor.value();
  await dynamodb("UpdateTable", {
    TableName: table.TableName,
    // New key attributes need their definitions; known ones are repeated with the same type.
    AttributeDefinitions: attributeDefinitions(keys),
    GlobalSecondaryIndexUpdates: [{ Create: index }],
  });
}
