// Form parts for the shapes CreateTable, UpdateTable and ImportTable share: key attributes,
// billing and capacity, projections, global and local secondary indexes, tags. Each part is
// {node, value()}: `value()` answers the wire shape or throws a FormError naming the control.

import { field, h, select } from "../ui.js";
import { FormError, checkName, positiveInteger } from "./common.js";

export const KEY_TYPES = [["S", "String"], ["N", "Number"], ["B", "Binary"]];
export const VIEW_TYPES = [
  ["NEW_AND_OLD_IMAGES", "New and old images"],
  ["NEW_IMAGE", "New image"],
  ["OLD_IMAGE", "Old image"],
  ["KEYS_ONLY", "Keys only"],
];
export const TABLE_CLASSES = [
  ["STANDARD", "Standard"],
  ["STANDARD_INFREQUENT_ACCESS", "Standard-Infrequent Access"],
];

function textInput(attrs) {
  return h("input", { type: "text", autocomplete: "off", spellcheck: "false", ...attrs });
}

/** A key attribute's name and type; `value()` is {name, type}, or null when left empty and
 * optional. */
export function keyInput(label, { required = false } = {}) {
  const name = textInput({ required });
  const type = select(KEY_TYPES, "S");
  const node = h(
    "div",
    { class: "row key-input" },
    field(`${label} name`, name, required ? null : "Optional"),
    field(`${label} type`, type),
  );
  const value = () => {
    const text = name.value.trim();
    if (!text && required) throw new FormError(`${label} name is required.`, name);
    return text ? { name: text, type: type.value } : null;
  };
  return { node, value, name, type };
}

/** Read and write capacity units; `value()` is a ProvisionedThroughput. */
export function capacityInputs(read = 5, write = 5) {
  const rcu = h("input", { type: "number", min: "1", step: "1", value: String(read), class: "units" });
  const wcu = h("input", { type: "number", min: "1", step: "1", value: String(write), class: "units" });
  const node = h("div", { class: "row" }, field("Read capacity units", rcu), field("Write capacity units", wcu));
  const value = () => ({
    ReadCapacityUnits: positiveInteger(rcu, "Read capacity units"),
    WriteCapacityUnits: positiveInteger(wcu, "Write capacity units"),
  });
  return { node, value, rcu, wcu };
}

/** On-demand or provisioned, with the table's units when provisioned. `onChange(provisioned)`
 * lets the index editors show their own units. */
export function billingInput(onChange = () => {}, name = "billing") {
  const onDemand = h("input", { type: "radio", name, value: "PAY_PER_REQUEST", checked: true });
  const provisioned = h("input", { type: "radio", name, value: "PROVISIONED" });
  const capacity = capacityInputs();
  capacity.node.hidden = true;
  const changed = () => {
    capacity.node.hidden = !provisioned.checked;
    onChange(provisioned.checked);
  };
  onDemand.addEventListener("change", changed);
  provisioned.addEventListener("change", changed);
  const node = h(
    "fieldset",
    {},
    h("legend", {}, "Capacity mode"),
    h("label", { class: "check" }, onDemand, "On-demand (pay per request)"),
    h("label", { class: "check" }, provisioned, "Provisioned"),
    capacity.node,
  );
  const value = () =>
    provisioned.checked
      ? { BillingMode: "PROVISIONED", ProvisionedThroughput: capacity.value() }
      : { BillingMode: "PAY_PER_REQUEST" };
  return { node, value, isProvisioned: () => provisioned.checked };
}

/** ALL, KEYS_ONLY or INCLUDE with its non-key attributes. */
export function projectionInput() {
  const type = select(
    [["ALL", "All attributes"], ["KEYS_ONLY", "Keys only"], ["INCLUDE", "Keys and chosen attributes"]],
    "ALL",
  );
  const attributes = textInput({ placeholder: "price, title" });
  const attributesField = field("Non-key attributes", attributes, "Comma-separated");
  attributesField.hidden = true;
  type.addEventListener("change", () => {
    attributesField.hidden = type.value !== "INCLUDE";
  });
  const node = h("div", { class: "row" }, field("Projection", type), attributesField);
  const value = () => {
    if (type.value !== "INCLUDE") return { ProjectionType: type.value };
    const names = attributes.value.split(",").map((name) => name.trim()).filter(Boolean);
    if (names.length === 0) {
      throw new FormError("An INCLUDE projection needs at least one non-key attribute.", attributes);
    }
    return { ProjectionType: "INCLUDE", NonKeyAttributes: names };
  };
  return { node, value };
}

function keySchema(partition, sort) {
  const schema = [{ AttributeName: partition.name, KeyType: "HASH" }];
  if (sort) schema.push({ AttributeName: sort.name, KeyType: "RANGE" });
  return schema;
}

/** One global secondary index: name, keys, projection, and its own units when the table is
 * provisioned. `value()` is {index, keys}: the GlobalSecondaryIndex and its key attributes. */
export function gsiEditor(legend, isProvisioned = () => false) {
  const name = textInput({ required: true });
  const partition = keyInput("Partition key", { required: true });
  const sort = keyInput("Sort key");
  const projection = projectionInput();
  const capacity = capacityInputs();
  const node = h(
    "fieldset",
    { class: "index-editor" },
    h("legend", {}, legend),
    field("Index name", name),
    partition.node,
    sort.node,
    projection.node,
    capacity.node,
  );
  const showCapacity = (provisioned) => {
    capacity.node.hidden = !provisioned;
  };
  showCapacity(isProvisioned());
  const value = () => {
    checkName(name.value.trim(), "Index name", name);
    const keys = [partition.value(), sort.value()].filter(Boolean);
    const index = {
      IndexName: name.value.trim(),
      KeySchema: keySchema(keys[0], keys[1]),
      Projection: projection.value(),
    };
    if (isProvisioned()) index.ProvisionedThroughput = capacity.value();
    return { index, keys };
  };
  return { node, value, showCapacity, name };
}

/** One local secondary index: its name, a sort key (the table's partition key is implied) and
 * projection. `value(partitionKey)` is {index, keys}. */
export function lsiEditor(legend) {
  const name = textInput({ required: true });
  const sort = keyInput("Sort key", { required: true });
  const projection = projectionInput();
  const node = h(
    "fieldset",
    { class: "index-editor" },
    h("legend", {}, legend),
    field("Index name", name),
    sort.node,
    projection.node,
  );
  const value = (partitionKey) => {
    checkName(name.value.trim(), "Index name", name);
    const sortKey = sort.value();
    const index = {
      IndexName: name.value.trim(),
      KeySchema: keySchema(partitionKey, sortKey),
      Projection: projection.value(),
    };
    return { index, keys: [sortKey] };
  };
  return { node, value, name };
}

/** A growing list of editors (indexes): "Add" appends one, each has its Remove button.
 * `make(legend)` builds an editor; `value(...args)` is the list of the editors' values. */
export function editorList(title, noun, make) {
  const editors = [];
  const list = h("div", { class: "stack-wide" });
  let made = 0;
  const add = () => {
    made += 1;
    const editor = make(`${noun} ${made}`);
    const remove = h("button", { type: "button", class: "link" }, `Remove ${noun.toLowerCase()} ${made}`);
    remove.addEventListener("click", () => {
      editors.splice(editors.indexOf(editor), 1);
      editor.node.remove();
    });
    editor.node.append(h("div", { class: "actions" }, remove));
    editors.push(editor);
    list.append(editor.node);
    editor.name.focus();
  };
  const addButton = h("button", { type: "button", onclick: add }, `Add ${noun.toLowerCase()}`);
  const node = h("section", { class: "editor-list" }, h("h2", {}, title), list, addButton);
  const value = (...args) => editors.map((editor) => editor.value(...args));
  return { node, value, editors };
}

/** Tags as rows of key and value, added and removed freely; `value()` is a Tags list. */
export function tagsEditor() {
  const rows = h("div", { class: "tag-rows" });
  const renumber = () => {
    Array.from(rows.children).forEach((row, index) => {
      const [key, value, remove] = row.querySelectorAll("input, button");
      key.previousElementSibling.textContent = `Tag ${index + 1} key`;
      value.previousElementSibling.textContent = `Tag ${index + 1} value`;
      remove.textContent = `Remove tag ${index + 1}`;
    });
  };
  const addRow = () => {
    const key = textInput({ maxlength: "128" });
    const value = textInput({ maxlength: "256" });
    const remove = h("button", { type: "button", class: "link" }, "Remove");
    const row = h("div", { class: "row bottom tag-row" }, field("Key", key), field("Value", value), remove);
    remove.addEventListener("click", () => {
      row.remove();
      renumber();
    });
    rows.append(row);
    renumber();
    key.focus();
  };
  const node = h(
    "fieldset",
    {},
    h("legend", {}, "Tags"),
    rows,
    h("button", { type: "button", onclick: addRow }, "Add tag"),
  );
  const value = () =>
    Array.from(rows.children).map((row) => {
      const [key, text] = row.querySelectorAll("input");
      if (!key.value.trim()) throw new FormError("A tag needs a key.", key);
      return { Key: key.value.trim(), Value: text.value };
    });
  return { node, value };
}

/** AttributeDefinitions for the key attributes used, each once: the same name with two types
 * is refused here, as DynamoDB would refuse it. */
export function attributeDefinitions(keys) {
  const types = new Map();
  for (const key of keys) {
    if (!key) continue;
    const known = types.get(key.name);
    if (known && known !== key.type) {
      throw new FormError(`Attribute ${key.name} is used as a key with two types (${known} and ${key.type}).`);
    }
    types.set(key.name, key.type);
  }
  return Array.from(types, ([name, type]) => ({ AttributeName: name, AttributeType: type }));
}

/** The key schema of a table or index as "pk (S), sk (N)" using the table's definitions. */
export function keysText(schema, definitions) {
  const typeOf = new Map((definitions || []).map((d) => [d.AttributeName, d.AttributeType]));
  return (schema || [])
    .map((key) => `${key.AttributeName} (${typeOf.get(key.AttributeName) || "?"})`)
    .join(", ");
}

export function projectionText(projection) {
  if (!projection) return "";
  if (projection.ProjectionType !== "INCLUDE") return projection.ProjectionType;
  return `INCLUDE: ${(projection.NonKeyAttributes || []).join(", ")}`;
}
