// Create a table with everything CreateTable takes, then, once it is ACTIVE, the settings
// CreateTable cannot take: Time to Live (UpdateTimeToLive) and point-in-time recovery
// (UpdateContinuousBackups). Each step's progress and DynamoDB's errors show as they come.

import { dynamodb } from "../api.js";
import { busy, clear, errorBox, field, h, pageHeader, select } from "../ui.js";
import { FormError, badge, checkName, markInvalid, repeat } from "./common.js";
import {
  TABLE_CLASSES, VIEW_TYPES, attributeDefinitions, billingInput, editorList, gsiEditor, keyInput, lsiEditor,
  tagsEditor,
} from "./table_form.js";

export async function render(main) {
  const parts = formParts();
  const progress = h("section", { class: "progress", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, "Create table");
  // Errors show beside the button that caused them, not at the top of a long form.
  const errors = h("div", { class: "form-errors" });
  const form = h(
    "form",
    { class: "create-table", novalidate: true },
    parts.nodes,
    errors,
    h("div", { class: "actions" }, submit, h("a", { class: "button", href: "#/tables" }, "Cancel")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(submit, errors, async () => {
      errors.replaceChildren();
      await create(form, parts, progress);
    });
  });
  clear(main, h("div", { class: "tables-ui" }, pageHeader("Create table"), form, progress));
}

function formParts() {
  const name = h("input", { type: "text", required: true, autocomplete: "off", spellcheck: "false" });
  const partition = keyInput("Partition key", { required: true });
  const sort = keyInput("Sort key");
  const gsis = editorList("Global secondary indexes", "Global secondary index", (legend) =>
    gsiEditor(legend, () => billing.isProvisioned()),
  );
  const billing = billingInput((provisioned) => gsis.editors.forEach((e) => e.showCapacity(provisioned)));
  const lsis = editorList("Local secondary indexes", "Local secondary index", lsiEditor);
  const tableClass = select(TABLE_CLASSES, "STANDARD");
  const stream = h("input", { type: "checkbox" });
  const viewType = select(VIEW_TYPES, "NEW_AND_OLD_IMAGES");
  const viewTypeField = field("Stream view type", viewType);
  viewTypeField.hidden = true;
  stream.addEventListener("change", () => {
    viewTypeField.hidden = !stream.checked;
  });
  const protection = h("input", { type: "checkbox" });
  const ttl = h("input", { type: "text", autocomplete: "off", spellcheck: "false", placeholder: "expiresAt" });
  const pitr = h("input", { type: "checkbox" });
  const tags = tagsEditor();
  const nodes = [
    h("fieldset", {}, h("legend", {}, "Table"), field("Table name", name), partition.node, sort.node),
    billing.node,
    h(
      "fieldset",
      {},
      h("legend", {}, "Settings"),
      field("Table class", tableClass),
      h("label", { class: "check" }, stream, "Turn on a stream"),
      viewTypeField,
      h("label", { class: "check" }, protection, "Deletion protection"),
      field("Time to Live attribute", ttl, "Optional: a Number attribute of epoch seconds. Set once the table is ACTIVE."),
      h("label", { class: "check" }, pitr, "Point-in-time recovery (turned on once the table is ACTIVE)"),
    ),
    gsis.node,
    lsis.node,
    tags.node,
  ];
  return { nodes, name, partition, sort, billing, gsis, lsis, tableClass, stream, viewType, protection, ttl, pitr, tags };
}

/** The CreateTable request the form describes, and the settings to apply after it. */
function request(parts) {
  const TableName = checkName(parts.name.value.trim(), "Table name", parts.name);
  const partition = parts.partition.value();
  const sort = parts.sort.value();
  const gsis = parts.gsis.value();
  const lsis = parts.lsis.value(partition);
  const keys = [partition, sort, ...gsis.flatMap((g) => g.keys), ...lsis.flatMap((l) => l.keys)];
  const names = [...gsis, ...lsis].map((index) => index.index.IndexName);
  const twice = names.find((indexName, i) => names.indexOf(indexName) !== i);
  if (twice) throw new FormError(`Two indexes are named ${twice}.`);
  const body = {
    TableName,
    KeySchema: [{ AttributeName: partition.name, KeyType: "HASH" }],
    AttributeDefinitions: attributeDefinitions(keys),
    ...parts.billing.value(),
    TableClass: parts.tableClass.value,
    DeletionProtectionEnabled: parts.protection.checked,
  };
  if (sort) body.KeySchema.push({ AttributeName: sort.name, KeyType: "RANGE" });
  if (gsis.length) body.GlobalSecondaryIndexes = gsis.map((g) => g.index);
  if (lsis.length) body.LocalSecondaryIndexes = lsis.map((l) => l.index);
  if (parts.stream.checked) {
    body.StreamSpecification = { StreamEnabled: true, StreamViewType: parts.viewType.value };
  }
  const tags = parts.tags.value();
  if (tags.length) body.Tags = tags;
  return { body, ttl: parts.ttl.value.trim(), pitr: parts.pitr.checked };
}

async function create(form, parts, progress) {
  let plan;
  try {
    plan = request(parts);
  } catch (error) {
    markInvalid(form, error);
    throw error;
  }
  markInvalid(form, null);
  await dynamodb("CreateTable", plan.body);
  form.hidden = true;
  const name = plan.body.TableName;
  const steps = h("ol", { class: "steps" });
  clear(progress, h("h2", {}, `Creating ${name}`), steps);
  const status = step(steps, "CreateTable", badge("CREATING"));
  const active = await waitActive(progress, name, status);
  if (!active) return;
  if (plan.ttl) await afterwards(steps, `Time to Live on ${plan.ttl}`, () => setTtl(name, plan.ttl));
  if (plan.pitr) await afterwards(steps, "Point-in-time recovery", () => setPitr(name));
  progress.append(
    h("p", {}, h("a", { class: "button primary", href: `#/tables/${encodeURIComponent(name)}` }, `Open ${name}`)),
  );
}

function step(list, text, state) {
  const where = h("span", { class: "step-state" }, state);
  list.append(h("li", {}, h("span", {}, text), " ", where));
  return where;
}

/** Poll DescribeTable until the table is ACTIVE, showing each status. */
async function waitActive(progress, name, where) {
  let active = false;
  await repeat(progress, 500, async () => {
    try {
      const table = (await dynamodb("DescribeTable", { TableName: name })).Table;
      clear(where, badge(table.TableStatus));
      active = table.TableStatus === "ACTIVE";
      return !active;
    } catch (error) {
      clear(where, errorBox(error));
      return false;
    }
  });
  return active;
}

async function afterwards(steps, text, action) {
  const where = step(steps, text, badge("UPDATING"));
  try {
    const status = await action();
    clear(where, badge(status));
  } catch (error) {
    clear(where, errorBox(error));
  }
}

async function setTtl(name, attribute) {
  const answer = await dynamodb("UpdateTimeToLive", {
    TableName: name,
    TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
  });
  return answer.TimeToLiveSpecification && answer.TimeToLiveSpecification.Enabled ? "ENABLED" : "DISABLED";
}

async function setPitr(name) {
  const answer = await dynamodb("UpdateContinuousBackups", {
    TableName: name,
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
  });
  return answer.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus;
}
