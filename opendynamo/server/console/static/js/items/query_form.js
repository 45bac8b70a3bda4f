// The items page's form: what to read (the table or one of its indexes, by Scan or Query),
// which items (key condition, filters built from rows or typed as an expression), which
// attributes, and how many per page. It turns into one Scan or Query request.

import { field, h, select } from "../ui.js";
import { chosen, radios } from "./controls.js";
import {
  FILTER_OPERATORS,
  Placeholders,
  SORT_OPERATORS,
  filterFromRows,
  keyCondition,
  operandCount,
  projection,
  typedFilter,
} from "./expressions.js";

const PROJECTION_HINT = "Names separated by commas; empty shows all. Key attributes are always shown.";
export const PAGE_SIZES = [10, 25, 50, 100, 250, 500, 1000];
const TYPE_NAMES = { S: "string", N: "number", B: "binary, base64" };
export const VALUE_TYPES = [
  ["S", "String"],
  ["N", "Number"],
  ["B", "Binary (base64)"],
  ["BOOL", "Boolean"],
  ["NULL", "Null"],
  ["JSON", "DynamoDB JSON value"],
];

/** The table and its indexes as places to read from: {index, label, global, keys: [{name,
 * type}], itemCount}. An index's keys come first, then the table's (what identifies a row). */
export function sourcesOf(table) {
  const types = Object.fromEntries(table.AttributeDefinitions.map((d) => [d.AttributeName, d.AttributeType]));
  const keysOf = (schema) => schema.map((k) => ({ name: k.AttributeName, type: types[k.AttributeName] }));
  const tableKeys = keysOf(table.KeySchema);
  const index = (kind, global) => (ix) => ({
    index: ix.IndexName,
    label: `${kind}: ${ix.IndexName}`,
    global,
    keys: keysOf(ix.KeySchema),
    itemCount: ix.ItemCount,
  });
  return [
    { index: null, label: `Table: ${table.TableName}`, global: false, keys: tableKeys, itemCount: table.ItemCount },
    ...(table.GlobalSecondaryIndexes || []).map(index("Global index", true)),
    ...(table.LocalSecondaryIndexes || []).map(index("Local index", false)),
  ];
}

export class QueryForm {
  constructor(table, onRun) {
    this.table = table;
    this.sources = sourcesOf(table);
    this.tableKeys = this.sources[0].keys;
    this.filterRows = [];
    this.element = this.build();
    this.element.addEventListener("submit", (event) => {
      event.preventDefault();
      onRun();
    });
    this.element.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        onRun();
      }
    });
    this.update();
  }

  get source() {
    return this.sources[Number(this.sourceSelect.value)];
  }

  /** Key attributes of what is read, then the table's: the columns shown first. */
  keyNames() {
    return [...new Set([...this.source.keys, ...this.tableKeys].map((k) => k.name))];
  }

  build() {
    this.sourceSelect = select(this.sources.map((s, i) => [String(i), s.label]), "0", { onchange: () => this.update() });
    const operations = [["Scan", "Scan"], ["Query", "Query"]];
    this.operationBox = radios(h("legend", {}, "Operation"), operations, "Scan", () => this.update());
    this.keyBox = this.buildKeyCondition();
    this.filterBox = this.buildFilters();
    this.projectionInput = h("input", { size: "30", spellcheck: "false", placeholder: "all attributes" });
    this.pageSize = select(PAGE_SIZES.map((n) => [String(n), String(n)]), "25");
    this.consistent = h("input", { type: "checkbox" });
    this.consistentHint = h("small", { class: "hint" });
    return h(
      "form",
      { class: "explore", "aria-label": "Explore items" },
      h("div", { class: "row" }, field("Table or index", this.sourceSelect), this.operationBox),
      this.keyBox,
      this.filterBox,
      h(
        "div",
        { class: "row" },
        field("Attributes to show", this.projectionInput, PROJECTION_HINT),
        field("Page size", this.pageSize),
        h("div", { class: "field" }, h("label", { class: "check" }, this.consistent, "Consistent read"), this.consistentHint),
      ),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "primary" }, "Run"),
        h("span", { class: "hint" }, "Ctrl+Enter runs from anywhere in the form."),
      ),
    );
  }

  buildKeyCondition() {
    this.partitionValue = h("input", { spellcheck: "false" });
    this.partitionField = field("Partition key value", this.partitionValue, " ");
    this.sortOperator = select(SORT_OPERATORS, "", { onchange: () => this.update() });
    this.sortValue = h("input", { spellcheck: "false" });
    this.sortValue2 = h("input", { spellcheck: "false" });
    this.sortHint = h("small", { class: "hint" });
    this.sortField2 = field("Sort key upper value", this.sortValue2);
    this.order = select([["asc", "Ascending"], ["desc", "Descending"]], "asc");
    this.sortFields = h(
      "div",
      { class: "row" },
      field("Sort key condition", this.sortOperator),
      field("Sort key value", this.sortValue),
      this.sortField2,
    );
    return h(
      "fieldset",
      { class: "key-condition" },
      h("legend", {}, "Key condition"),
      h("div", { class: "row" }, this.partitionField, this.sortFields, field("Order", this.order)),
      this.sortHint,
    );
  }

  buildFilters() {
    const modes = [["rows", "Built from rows"], ["expression", "Typed as an expression"]];
    this.filterModes = radios(h("legend", { class: "sr" }, "How to filter"), modes, "rows", () => this.update());
    this.rowsBox = h("div", { class: "filter-rows" });
    this.join = select([["AND", "All must match (AND)"], ["OR", "Any may match (OR)"]], "AND");
    this.joinField = field("Combine filters", this.join);
    const area = (placeholder) => h("textarea", { rows: "2", spellcheck: "false", placeholder });
    this.expression = area("#s = :s AND size(#tags) > :n");
    this.expressionNames = area('{"#s": "status", "#tags": "tags"}');
    this.expressionValues = area('{":s": {"S": "open"}, ":n": {"N": "2"}}');
    this.expressionBox = h(
      "div",
      { class: "filter-expression" },
      field("FilterExpression", this.expression),
      h(
        "div",
        { class: "row two" },
        field("ExpressionAttributeNames (JSON)", this.expressionNames),
        field("ExpressionAttributeValues (JSON)", this.expressionValues),
      ),
    );
    const add = h("button", { type: "button", onclick: () => this.addFilterRow() }, "Add filter");
    this.rowsPart = h("div", {}, this.rowsBox, h("div", { class: "row" }, add, this.joinField));
    return h(
      "fieldset",
      { class: "filters" },
      h("legend", {}, "Filter"),
      this.filterModes,
      this.rowsPart,
      this.expressionBox,
    );
  }

  addFilterRow() {
    const row = {
      name: h("input", { spellcheck: "false", size: "16" }),
      type: select(VALUE_TYPES, "S"),
      op: select(FILTER_OPERATORS.map(([value, label]) => [value, label]), "="),
      value: h("input", { spellcheck: "false", size: "16" }),
      value2: h("input", { spellcheck: "false", size: "12" }),
    };
    row.op.addEventListener("change", () => this.update());
    const remove = h("button", { type: "button", class: "link" }, "Remove");
    row.element = h(
      "div",
      { class: "row filter-row", role: "group" },
      field("Attribute", row.name),
      field("Condition", row.op),
      (row.typeField = field("Type", row.type)),
      (row.valueField = field("Value", row.value)),
      (row.value2Field = field("Second value", row.value2)),
      remove,
    );
    remove.addEventListener("click", () => {
      this.filterRows = this.filterRows.filter((r) => r !== row);
      row.element.remove();
      this.update();
    });
    this.filterRows.push(row);
    this.rowsBox.append(row.element);
    this.update();
    row.name.focus();
  }

  get operation() {
    return chosen(this.operationBox);
  }

  get filterMode() {
    return chosen(this.filterModes);
  }

  /** Show the controls that apply to what is chosen now. */
  update() {
    const source = this.source;
    const [partition, sort] = source.keys;
    this.keyBox.hidden = this.operation !== "Query";
    this.partitionField.querySelector(".hint").textContent = `${partition.name} (${TYPE_NAMES[partition.type]})`;
    this.sortFields.hidden = !sort;
    if (sort) this.sortHint.textContent = `Sort key: ${sort.name} (${TYPE_NAMES[sort.type]}).`;
    this.sortHint.hidden = !sort;
    this.sortField2.hidden = this.sortOperator.value !== "BETWEEN";
    // DynamoDB refuses ConsistentRead on a global secondary index.
    this.consistent.disabled = source.global;
    if (source.global) this.consistent.checked = false;
    this.consistentHint.textContent = source.global ? "Not available on a global secondary index." : "";
    const rowsMode = this.filterMode === "rows";
    this.rowsPart.hidden = !rowsMode;
    this.expressionBox.hidden = rowsMode;
    this.joinField.hidden = this.filterRows.length < 2;
    this.filterRows.forEach((row, i) => this.updateRow(row, i));
  }

  updateRow(row, i) {
    const op = row.op.value;
    const count = operandCount(op);
    row.typeField.hidden = count === 0 || op === "attribute_type" || op.startsWith("size ");
    row.valueField.hidden = count === 0;
    row.value2Field.hidden = count < 2;
    row.value.placeholder = op === "attribute_type" ? "S, N, B, BOOL, NULL, L, M, SS, NS or BS" : "";
    if (op.startsWith("size ")) row.value.placeholder = "a number";
    row.element.setAttribute("aria-label", `Filter ${i + 1}`);
    row.element.lastChild.setAttribute("aria-label", `Remove filter ${i + 1}`);
  }

  /** The Scan or Query the form describes: {operation, body}; throws a message for input
   * that cannot become a request (DynamoDB checks the rest and says so itself). */
  request() {
    const source = this.source;
    const ph = new Placeholders();
    const body = { TableName: this.table.TableName, Limit: Number(this.pageSize.value) };
    if (source.index) body.IndexName = source.index;
    let filter = "";
    if (this.filterMode === "expression" && this.expression.value.trim()) {
      filter = typedFilter(ph, this.expression.value, this.expressionNames.value, this.expressionValues.value);
    }
    if (this.operation === "Query") {
      body.KeyConditionExpression = keyCondition(ph, this.partitionKey(), this.sortCondition());
      body.ScanIndexForward = this.order.value === "asc";
    }
    if (this.filterMode === "rows" && this.filterRows.length) {
      filter = filterFromRows(ph, this.filterRows.map(rowValues), this.join.value);
    }
    if (filter) body.FilterExpression = filter;
    const shown = projection(ph, this.projectionInput.value, this.keyNames());
    if (shown) body.ProjectionExpression = shown;
    if (this.consistent.checked) body.ConsistentRead = true;
    Object.assign(body, ph.request());
    return { operation: this.operation, body };
  }

  partitionKey() {
    const [partition] = this.source.keys;
    return { name: partition.name, type: partition.type, value: this.partitionValue.value };
  }

  sortCondition() {
    const sort = this.source.keys[1];
    if (!sort || !this.sortOperator.value) return null;
    const [op, value, value2] = [this.sortOperator.value, this.sortValue.value, this.sortValue2.value];
    return { name: sort.name, type: sort.type, op, value, value2 };
  }
}

function rowValues(row) {
  const [name, type, op, value, value2] = [row.name, row.type, row.op, row.value, row.value2].map((c) => c.value);
  return { name: name.trim(), type, op, value, value2 };
}
