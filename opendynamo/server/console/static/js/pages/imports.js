// Imports from S3: ImportTable (the source bucket and prefix, the input format with its CSV
// options and compression, the new table's keys, capacity and optional global indexes), and
// the newest imports (ListImports, DescribeImport) with their counts, polled until done.

import { dynamodb } from "../api.js";
import { busy, clear, dataTable, errorBox, field, formatBytes, formatNumber, formatTime, h, notice, pageHeader, select } from "../ui.js";
import { FormError, badge, checkName, markInvalid, poller, s3Url } from "./common.js";
import { attributeDefinitions, billingInput, editorList, gsiEditor, keyInput } from "./table_form.js";

const SHOWN = 25; // ListImports answers newest first; the newest page is shown

export async function render(main) {
  const list = h("div", { class: "import-list" });
  const watch = poller(list, 1000, () => drawImports(list));
  clear(
    main,
    h(
      "div",
      { class: "tables-ui" },
      pageHeader("Imports from S3"),
      h("section", {}, h("h2", {}, "Imports"), list),
      h("section", {}, h("h2", {}, "Import a new table from S3"), importForm(watch)),
    ),
  );
  await watch();
}

/** Draw the newest imports; true while one is still IN_PROGRESS (so the poll goes on). */
async function drawImports(list) {
  let described;
  let more;
  try {
    const page = await dynamodb("ListImports", { PageSize: SHOWN });
    more = Boolean(page.NextToken);
    described = await Promise.all(
      (page.ImportSummaryList || []).map((s) =>
        dynamodb("DescribeImport", { ImportArn: s.ImportArn }).then((a) => a.ImportTableDescription),
      ),
    );
  } catch (error) {
    clear(list, errorBox(error));
    return false;
  }
  clear(
    list,
    dataTable(
      [
        { key: "start", heading: "Started", render: (i) => formatTime(i.StartTime) },
        { key: "table", heading: "Table", render: tableLink },
        { key: "status", heading: "Status", render: (i) => badge(i.ImportStatus) },
        { key: "source", heading: "Source", render: (i) => s3Url(i.S3BucketSource.S3Bucket, i.S3BucketSource.S3KeyPrefix) },
        ["InputFormat", "Format"],
        { key: "processed", heading: "Processed", render: (i) => `${formatNumber(i.ProcessedItemCount)} (${formatBytes(i.ProcessedSizeBytes)})` },
        { key: "imported", heading: "Imported", render: (i) => formatNumber(i.ImportedItemCount) },
        { key: "errors", heading: "Errors", render: (i) => formatNumber(i.ErrorCount) },
        { key: "outcome", heading: "Ended", render: outcome },
      ],
      described,
      { empty: "No imports in this region." },
    ),
    more ? h("p", { class: "muted" }, `The ${SHOWN} newest imports are shown.`) : null,
  );
  return described.some((i) => i.ImportStatus === "IN_PROGRESS");
}

function tableLink(description) {
  const name = String(description.TableArn || "").split(":table/").pop();
  return name ? h("a", { href: `#/tables/${encodeURIComponent(name)}` }, name) : "";
}

function outcome(description) {
  if (description.ImportStatus === "FAILED") {
    return h("span", { class: "failure" }, `${description.FailureCode || "Failed"}: ${description.FailureMessage || ""}`);
  }
  return formatTime(description.EndTime);
}

function sourceParts() {
  const text = (attrs) => h("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
  const f = {
    bucket: text({ required: true }),
    prefix: text({}),
    owner: text({ inputmode: "numeric" }),
    format: select([["DYNAMODB_JSON", "DynamoDB JSON"], ["ION", "Amazon Ion"], ["CSV", "CSV"]], "DYNAMODB_JSON"),
    delimiter: text({ value: ",", maxlength: "1", size: "3" }),
    headers: text({ placeholder: "pk, sk, title" }),
    compression: select([["NONE", "None"], ["GZIP", "gzip"], ["ZSTD", "zstd"]], "NONE"),
  };
  const csv = h(
    "div",
    { class: "row" },
    field("CSV delimiter", f.delimiter),
    field("CSV header list", f.headers, "Optional: the column names when the files have no header line"),
  );
  csv.hidden = true;
  f.format.addEventListener("change", () => {
    csv.hidden = f.format.value !== "CSV";
  });
  f.node = h(
    "fieldset",
    {},
    h("legend", {}, "Source"),
    h("p", { class: "hint" }, "On opendynamo a bucket is a directory under the server's export directory (--export-dir), or a bucket of the service given with --s3-endpoint. An export's items are under <prefix>/AWSDynamoDB/<export id>/data/."),
    h("div", { class: "row" }, field("S3 bucket", f.bucket), field("S3 key prefix", f.prefix, "Optional"), field("Bucket owner account", f.owner, "Optional")),
    h("div", { class: "row" }, field("Input format", f.format), field("Compression", f.compression)),
    csv,
  );
  return f;
}

function tableParts() {
  const name = h("input", { type: "text", required: true, autocomplete: "off", spellcheck: "false" });
  const partition = keyInput("Partition key", { required: true });
  const sort = keyInput("Sort key");
  const gsis = editorList("Global secondary indexes (optional)", "Global secondary index", (legend) =>
    gsiEditor(legend, () => billing.isProvisioned()),
  );
  const billing = billingInput((provisioned) => gsis.editors.forEach((e) => e.showCapacity(provisioned)), "import-billing");
  const node = h("fieldset", {}, h("legend", {}, "New table"), field("Table name", name), partition.node, sort.node, billing.node, gsis.node);
  return { node, name, partition, sort, billing, gsis };
}

function importForm(watch) {
  const source = sourceParts();
  const table = tableParts();
  const errors = h("div", { class: "form-errors" });
  const submit = h("button", { type: "submit", class: "primary" }, "Import");
  const form = h("form", { class: "import-form", novalidate: true }, source.node, table.node, errors, h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    errors.replaceChildren();
    busy(submit, errors, async () => {
      try {
        await dynamodb("ImportTable", importRequest(source, table));
      } catch (error) {
        markInvalid(form, error);
        throw error;
      }
      markInvalid(form, null);
      notice("Import started.");
      await watch();
    });
  });
  return form;
}

function importRequest(source, table) {
  if (!source.bucket.value.trim()) throw new FormError("Name the S3 bucket to import from.", source.bucket);
  const bucketSource = { S3Bucket: source.bucket.value.trim() };
  if (source.prefix.value.trim()) bucketSource.S3KeyPrefix = source.prefix.value.trim();
  if (source.owner.value.trim()) bucketSource.S3BucketOwner = source.owner.value.trim();
  const body = {
    S3BucketSource: bucketSource,
    InputFormat: source.format.value,
    InputCompressionType: source.compression.value,
    TableCreationParameters: creation(table),
  };
  if (source.format.value === "CSV") {
    const csv = { Delimiter: source.delimiter.value || "," };
    const headers = source.headers.value.split(",").map((name) => name.trim()).filter(Boolean);
    if (headers.length) csv.HeaderList = headers;
    body.InputFormatOptions = { Csv: csv };
  }
  return body;
}

function creation(table) {
  const TableName = checkName(table.name.value.trim(), "Table name", table.name);
  const partition = table.partition.value();
  const sort = table.sort.value();
  const gsis = table.gsis.value();
  const KeySchema = [{ AttributeName: partition.name, KeyType: "HASH" }];
  if (sort) KeySchema.push({ AttributeName: sort.name, KeyType: "RANGE" });
  const params = {
    TableName,
    KeySchema,
    AttributeDefinitions: attributeDefinitions([partition, sort, ...gsis.flatMap((g) => g.keys)]),
    ...table.billing.value(),
  };
  if (gsis.length) params.GlobalSecondaryIndexes = gsis.map((g) => g.index);
  return params;
}
