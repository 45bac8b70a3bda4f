// A table's exports to S3 (ListExports, DescribeExport, ExportTableToPointInTime), polled
// until each is COMPLETED or FAILED, and its stream (table_stream.js).

import { dynamodb } from "../api.js";
import { busy, clear, dataTable, errorBox, field, formatBytes, formatNumber, formatTime, h, notice, select } from "../ui.js";
import { FormError, badge, epochOfInput, markInvalid, poller, s3Url } from "./common.js";
import { streamSection } from "./table_stream.js";

const SHOWN = 25; // the newest exports shown, each with its DescribeExport

export async function renderTab(container, table) {
  const list = h("div", { class: "export-list" });
  const watch = poller(list, 1000, () => drawExports(list, table.TableArn));
  const pitr = await pitrStatus(table.TableName);
  clear(
    container,
    h("section", {}, h("h2", {}, "Exports to S3"), list, exportForm(table, pitr, watch)),
    streamSection(table),
  );
  await watch();
}

async function pitrStatus(tableName) {
  try {
    const described = await dynamodb("DescribeContinuousBackups", { TableName: tableName });
    return described.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus;
  } catch (error) {
    return "";
  }
}

/** The newest exports of the table: ListExports answers newest first (by ARN, as DynamoDB). */
async function newestExports(tableArn) {
  const page = await dynamodb("ListExports", { TableArn: tableArn, MaxResults: SHOWN });
  return { summaries: page.ExportSummaries || [], more: Boolean(page.NextToken) };
}

/** Draw the exports; true while one is still IN_PROGRESS (so the poll goes on). */
async function drawExports(list, tableArn) {
  let described;
  let older;
  try {
    const { summaries, more } = await newestExports(tableArn);
    older = more ? h("p", { class: "muted" }, `The ${SHOWN} newest exports are shown.`) : null;
    described = await Promise.all(
      summaries.map((s) => dynamodb("DescribeExport", { ExportArn: s.ExportArn }).then((a) => a.ExportDescription)),
    );
  } catch (error) {
    clear(list, errorBox(error));
    return false;
  }
  described.sort((a, b) => Number(b.StartTime || 0) - Number(a.StartTime || 0));
  clear(
    list,
    dataTable(
      [
        { key: "start", heading: "Started", render: (e) => formatTime(e.StartTime) },
        { key: "status", heading: "Status", render: (e) => badge(e.ExportStatus) },
        { key: "type", heading: "Type", render: exportType },
        ["ExportFormat", "Format"],
        { key: "to", heading: "Destination", render: (e) => s3Url(e.S3Bucket, e.S3Prefix) },
        { key: "items", heading: "Items", render: (e) => (e.ItemCount === undefined ? "" : formatNumber(e.ItemCount)) },
        { key: "size", heading: "Billed size", render: (e) => (e.BilledSizeBytes === undefined ? "" : formatBytes(e.BilledSizeBytes)) },
        { key: "outcome", heading: "Ended", render: outcome },
      ],
      described,
      { empty: "No exports of this table." },
    ),
    older,
  );
  return described.some((e) => e.ExportStatus === "IN_PROGRESS");
}

/** Full (as of its export time) or incremental (its window). */
function exportType(e) {
  if (e.ExportType !== "INCREMENTAL_EXPORT") return `Full, as of ${formatTime(e.ExportTime)}`;
  const spec = e.IncrementalExportSpecification || {};
  return `Incremental, ${formatTime(spec.ExportFromTime)} to ${formatTime(spec.ExportToTime)}`;
}

function outcome(description) {
  if (description.ExportStatus === "FAILED") {
    return h("span", { class: "failure" }, `${description.FailureCode || "Failed"}: ${description.FailureMessage || ""}`);
  }
  return formatTime(description.EndTime);
}

function exportForm(table, pitr, watch) {
  const bucket = h("input", { type: "text", required: true, autocomplete: "off", spellcheck: "false" });
  const prefix = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  const owner = h("input", { type: "text", inputmode: "numeric", autocomplete: "off" });
  const format = select([["DYNAMODB_JSON", "DynamoDB JSON"], ["ION", "Amazon Ion"]], "DYNAMODB_JSON");
  const kind = select([["FULL_EXPORT", "Full export"], ["INCREMENTAL_EXPORT", "Incremental export"]], "FULL_EXPORT");
  const exportTime = h("input", { type: "datetime-local", step: "1" });
  const from = h("input", { type: "datetime-local", step: "1" });
  const to = h("input", { type: "datetime-local", step: "1" });
  const view = select([["NEW_AND_OLD_IMAGES", "New and old images"], ["NEW_IMAGE", "New image"]], "NEW_AND_OLD_IMAGES");
  const full = field("Export time", exportTime, "Optional: the table as it was then. Empty: now.");
  const incremental = h("div", { class: "row" }, field("Changes from", from), field("Changes until", to), field("Export view type", view));
  incremental.hidden = true;
  kind.addEventListener("change", () => {
    full.hidden = kind.value !== "FULL_EXPORT";
    incremental.hidden = kind.value === "FULL_EXPORT";
  });
  const errors = h("div", { class: "form-errors" });
  const submit = h("button", { type: "submit", class: "primary" }, "Export");
  const form = h(
    "form",
    { novalidate: true },
    h(
      "fieldset",
      {},
      h("legend", {}, "Export to S3"),
      pitr === "ENABLED" ? null : h("p", { class: "muted" }, "Exports need point-in-time recovery, which is off for this table (Backups tab)."),
      h("p", { class: "hint" }, "On opendynamo a bucket is a directory under the server's export directory (--export-dir), or a bucket of the service given with --s3-endpoint."),
      h("div", { class: "row" }, field("S3 bucket", bucket), field("S3 prefix", prefix, "Optional"), field("Bucket owner account", owner, "Optional")),
      h("div", { class: "row" }, field("Export format", format), field("Export type", kind)),
      full,
      incremental,
      errors,
      h("div", { class: "actions" }, submit),
    ),
  );
  const fields = { bucket, prefix, owner, format, kind, exportTime, from, to, view };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    errors.replaceChildren();
    busy(submit, errors, async () => {
      try {
        await dynamodb("ExportTableToPointInTime", exportRequest(table, fields));
      } catch (error) {
        markInvalid(form, error);
        throw error;
      }
      markInvalid(form, null);
      notice("Export started.");
      watch();
    });
  });
  return form;
}

function exportRequest(table, f) {
  if (!f.bucket.value.trim()) throw new FormError("Name the S3 bucket to export to.", f.bucket);
  const body = {
    TableArn: table.TableArn,
    S3Bucket: f.bucket.value.trim(),
    ExportFormat: f.format.value,
    ExportType: f.kind.value,
  };
  if (f.prefix.value.trim()) body.S3Prefix = f.prefix.value.trim();
  if (f.owner.value.trim()) body.S3BucketOwner = f.owner.value.trim();
  if (f.kind.value === "FULL_EXPORT") {
    if (f.exportTime.value) body.ExportTime = epochOfInput(f.exportTime.value);
    return body;
  }
  const from = epochOfInput(f.from.value);
  const to = epochOfInput(f.to.value);
  if (Number.isNaN(from)) throw new FormError("An incremental export needs the time its changes start from.", f.from);
  if (Number.isNaN(to)) throw new FormError("An incremental export needs the time its changes end.", f.to);
  body.IncrementalExportSpecification = { ExportFromTime: from, ExportToTime: to, ExportViewType: f.view.value };
  return body;
}
