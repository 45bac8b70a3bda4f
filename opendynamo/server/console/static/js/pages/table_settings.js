// A table's settings, each saved on its own with DynamoDB's errors shown beside it: capacity
// mode and units (the table's and each global index's), table class, deletion protection,
// Time to Live and tags.

import { dynamodb } from "../api.js";
import { busy, clear, dataTable, errorBox, field, h, notice, select } from "../ui.js";
import { FormError, markInvalid } from "./common.js";
import { TABLE_CLASSES, capacityInputs } from "./table_form.js";
import { listTags } from "./table_overview.js";

export async function renderTab(container, table) {
  const reload = async () => {
    const fresh = (await dynamodb("DescribeTable", { TableName: table.TableName })).Table;
    await renderTab(container, fresh);
  };
  const [ttl, tags] = await Promise.all([
    dynamodb("DescribeTimeToLive", { TableName: table.TableName }).catch((error) => ({ error })),
    listTags(table.TableArn).catch((error) => ({ error })),
  ]);
  clear(
    container,
    h(
      "div",
      { class: "settings" },
      capacitySection(table, reload),
      classSection(table, reload),
      protectionSection(table, reload),
      ttlSection(table, ttl, reload),
      tagsSection(table, tags, reload),
    ),
  );
}

/** A fieldset whose button runs `save()`; errors show inside it, success reloads the tab. */
function section(legend, body, buttonText, save, reload) {
  const errors = h("div", { class: "form-errors" });
  const button = h("button", { type: "submit", class: "primary" }, buttonText);
  const form = h("form", { novalidate: true }, h("fieldset", {}, h("legend", {}, legend), body, errors, h("div", { class: "actions" }, button)));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    errors.replaceChildren();
    busy(button, errors, async () => {
      try {
        const done = await save();
        markInvalid(form, null);
        notice(done);
      } catch (error) {
        markInvalid(form, error);
        throw error;
      }
      await reload();
    });
  });
  return form;
}

function modeOf(table) {
  return table.BillingModeSummary ? table.BillingModeSummary.BillingMode : "PROVISIONED";
}

function capacitySection(table, reload) {
  const current = modeOf(table);
  const name = `mode-${table.TableName}`;
  const onDemand = h("input", { type: "radio", name, value: "PAY_PER_REQUEST", checked: current === "PAY_PER_REQUEST" });
  const provisioned = h("input", { type: "radio", name, value: "PROVISIONED", checked: current === "PROVISIONED" });
  const units = (pt) => capacityInputs(pt && pt.ReadCapacityUnits ? pt.ReadCapacityUnits : 5, pt && pt.WriteCapacityUnits ? pt.WriteCapacityUnits : 5);
  const tableUnits = units(table.ProvisionedThroughput);
  const indexUnits = (table.GlobalSecondaryIndexes || []).map((index) => ({ index, inputs: units(index.ProvisionedThroughput) }));
  const unitsBox = h(
    "div",
    {},
    h("fieldset", { class: "units" }, h("legend", {}, "Table units"), tableUnits.node),
    indexUnits.map(({ index, inputs }) =>
      h("fieldset", { class: "units" }, h("legend", {}, `Index ${index.IndexName} units`), inputs.node),
    ),
  );
  const show = () => {
    unitsBox.hidden = !provisioned.checked;
  };
  onDemand.addEventListener("change", show);
  provisioned.addEventListener("change", show);
  show();
  const body = [
    h("label", { class: "check" }, onDemand, "On-demand (pay per request)"),
    h("label", { class: "check" }, provisioned, "Provisioned"),
    unitsBox,
  ];
  const save = async () => {
    const update = capacityUpdate(table, provisioned.checked, tableUnits, indexUnits);
    await dynamodb("UpdateTable", { TableName: table.TableName, ...update });
    return "Capacity saved.";
  };
  return section("Capacity", body, "Save capacity", save, reload);
}

function sameUnits(pt, wanted) {
  return Boolean(pt) && pt.ReadCapacityUnits === wanted.ReadCapacityUnits && pt.WriteCapacityUnits === wanted.WriteCapacityUnits;
}

/** The UpdateTable fields for the capacity asked: only what changes (DynamoDB refuses units
 * equal to the current ones), and every index's units when the table becomes provisioned. */
function capacityUpdate(table, provisioned, tableUnits, indexUnits) {
  const switching = (modeOf(table) === "PROVISIONED") !== provisioned;
  if (!provisioned) {
    if (!switching) throw new FormError("The table is already on-demand.");
    return { BillingMode: "PAY_PER_REQUEST" };
  }
  const update = {};
  const wanted = tableUnits.value();
  if (switching) update.BillingMode = "PROVISIONED";
  if (switching || !sameUnits(table.ProvisionedThroughput, wanted)) update.ProvisionedThroughput = wanted;
  const indexes = indexUnits
    .map(({ index, inputs }) => ({ index, wanted: inputs.value() }))
    .filter(({ index, wanted: w }) => switching || !sameUnits(index.ProvisionedThroughput, w))
    .map(({ index, wanted: w }) => ({ Update: { IndexName: index.IndexName, ProvisionedThroughput: w } }));
  if (indexes.length) update.GlobalSecondaryIndexUpdates = indexes;
  if (Object.keys(update).length === 0) throw new FormError("These are the current units: nothing to change.");
  return update;
}

function classSection(table, reload) {
  const current = table.TableClassSummary ? table.TableClassSummary.TableClass : "STANDARD";
  const tableClass = select(TABLE_CLASSES, current);
  const save = async () => {
    await dynamodb("UpdateTable", { TableName: table.TableName, TableClass: tableClass.value });
    return "Table class saved.";
  };
  return section("Table class", field("Table class", tableClass), "Save table class", save, reload);
}

function protectionSection(table, reload) {
  const on = Boolean(table.DeletionProtectionEnabled);
  const text = on
    ? "Deletion protection is on: DeleteTable is refused until it is turned off."
    : "Deletion protection is off: the table can be deleted.";
  const save = async () => {
    await dynamodb("UpdateTable", { TableName: table.TableName, DeletionProtectionEnabled: !on });
    return `Deletion protection turned ${on ? "off" : "on"}.`;
  };
  const button = on ? "Turn off deletion protection" : "Turn on deletion protection";
  return section("Deletion protection", h("p", {}, text), button, save, reload);
}

function ttlSection(table, answer, reload) {
  if (answer.error) return h("fieldset", {}, h("legend", {}, "Time to Live"), errorBox(answer.error));
  const ttl = answer.TimeToLiveDescription;
  const enabled = ttl.TimeToLiveStatus === "ENABLED" || ttl.TimeToLiveStatus === "ENABLING";
  const attribute = h("input", { type: "text", value: ttl.AttributeName || "", autocomplete: "off", spellcheck: "false" });
  attribute.disabled = enabled;
  const body = [
    h("p", {}, `Status: ${ttl.TimeToLiveStatus}`),
    field("Time to Live attribute", attribute, "A Number attribute holding epoch seconds; items expire after that time."),
  ];
  const save = async () => {
    const name = attribute.value.trim();
    if (!name) throw new FormError("Name the attribute that holds the expiry time.", attribute);
    await dynamodb("UpdateTimeToLive", {
      TableName: table.TableName,
      TimeToLiveSpecification: { AttributeName: name, Enabled: !enabled },
    });
    return `Time to Live turned ${enabled ? "off" : "on"}.`;
  };
  return section("Time to Live", body, enabled ? "Turn off Time to Live" : "Turn on Time to Live", save, reload);
}

function tagsSection(table, tags, reload) {
  if (tags.error) return h("fieldset", {}, h("legend", {}, "Tags"), errorBox(tags.error));
  const errors = h("div", { class: "form-errors" });
  const removeButton = (tag) => {
    const button = h("button", { type: "button", class: "link" }, `Remove tag ${tag.Key}`);
    button.addEventListener("click", () =>
      busy(button, errors, async () => {
        await dynamodb("UntagResource", { ResourceArn: table.TableArn, TagKeys: [tag.Key] });
        notice(`Tag ${tag.Key} removed.`);
        await reload();
      }),
    );
    return button;
  };
  const key = h("input", { type: "text", maxlength: "128", autocomplete: "off" });
  const value = h("input", { type: "text", maxlength: "256", autocomplete: "off" });
  const save = async () => {
    if (!key.value.trim()) throw new FormError("A tag needs a key.", key);
    await dynamodb("TagResource", { ResourceArn: table.TableArn, Tags: [{ Key: key.value.trim(), Value: value.value }] });
    return `Tag ${key.value.trim()} saved.`;
  };
  const list = dataTable(
    [["Key", "Key"], ["Value", "Value"], { key: "remove", heading: "Actions", render: removeButton }],
    tags,
    { empty: "No tags." },
  );
  const add = section("Add a tag", h("div", { class: "row" }, field("Tag key", key), field("Tag value", value)), "Add tag", save, reload);
  return h("section", { class: "tags" }, h("h2", {}, "Tags"), errors, list, add);
}
