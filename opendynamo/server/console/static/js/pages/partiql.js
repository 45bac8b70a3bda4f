// The PartiQL editor: a statement with typed parameters run by ExecuteStatement, results as a
// table (columns = attributes found) or as DynamoDB JSON, "Load more" following NextToken, the
// session's statement history (sessionStorage, newest first) and templates for a chosen table.

import { dynamodb, tableNames } from "../api.js";
import { itemsTable } from "../items/grid.js";
import { VALUE_TYPES } from "../items/query_form.js";
import { chosen, radios } from "../items/controls.js";
import { formatJson, typedValue } from "../items/values.js";
import { busy, clear, field, h, select } from "../ui.js";

const HISTORY_KEY = "opendynamo-partiql-history";
const HISTORY_MAX = 50;

export async function render(main) {
  new PartiqlPage(main).show();
}

class PartiqlPage {
  constructor(main) {
    this.main = main;
    this.params = [];
    this.items = [];
    this.last = null; // {body} of the statement whose results are shown, for Load more
  }

  show() {
    const example = 'SELECT * FROM "my-table" WHERE "pk" = ?';
    this.statement = h("textarea", { class: "statement", rows: "6", spellcheck: "false", placeholder: example });
    this.paramBox = h("div", { class: "params" });
    this.consistent = h("input", { type: "checkbox" });
    this.limit = h("input", { type: "number", min: "1", step: "1", size: "6", inputmode: "numeric" });
    this.runButton = h("button", { type: "submit", class: "primary" }, "Run");
    const form = h(
      "form",
      { class: "partiql-form", "aria-label": "PartiQL statement" },
      field("Statement", this.statement, "Ctrl+Enter runs the statement. Write ? for each parameter, in order."),
      h("fieldset", {}, h("legend", {}, "Parameters"), this.paramBox,
        h("button", { type: "button", onclick: () => this.addParam() }, "Add parameter")),
      h("div", { class: "row" },
        field("Limit", this.limit, "Items read per call (optional); more come with Load more."),
        h("label", { class: "check" }, this.consistent, "Consistent read")),
      h("div", { class: "actions" }, this.runButton),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run();
    });
    this.statement.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.run();
      }
    });
    this.status = h("p", { class: "results-status", role: "status" });
    this.output = h("div", { class: "partiql-results" });
    this.more = h("button", { type: "button", hidden: true }, "Load more");
    this.more.addEventListener("click", () => busy(this.more, this.output, () => this.loadMore()));
    this.history = h("ol", { "aria-label": "Statements run in this session" });
    clear(
      this.main,
      h("h1", {}, "PartiQL editor"),
      h(
        "div",
        { class: "partiql-layout" },
        h("div", {}, form, this.templates(), h("h2", {}, "Results"), this.viewChoice(), this.status, this.output,
          this.more),
        h("aside", { class: "history", "aria-labelledby": "history-title" },
          h("h2", { id: "history-title" }, "History"),
          h("p", { class: "hint" }, "This session's statements, newest first. Choose one to edit it again."),
          this.history,
          h("button", { type: "button", class: "link", onclick: () => this.clearHistory() }, "Clear history")),
      ),
    );
    this.showHistory();
    this.statement.focus();
  }

  // --- parameters --------------------------------------------------------------------------

  addParam(type = "S", value = "") {
    const n = this.params.length + 1;
    const param = { type: select(VALUE_TYPES, type), value: h("input", { spellcheck: "false", value }) };
    const remove = h("button", { type: "button", class: "link", "aria-label": `Remove parameter ${n}` }, "Remove");
    param.element = h("div", { class: "param-row", role: "group", "aria-label": `Parameter ${n}` },
      field(`Parameter ${n} type`, param.type), field(`Parameter ${n} value`, param.value), remove);
    remove.addEventListener("click", () => this.setParams(this.paramValues().filter((_, i) => i !== n - 1)));
    this.params.push(param);
    this.paramBox.append(param.element);
    return param;
  }

  paramValues() {
    return this.params.map((p) => ({ type: p.type.value, value: p.value.value }));
  }

  setParams(values) {
    this.params = [];
    this.paramBox.replaceChildren();
    values.forEach((p) => this.addParam(p.type, p.value));
  }

  // --- running -----------------------------------------------------------------------------

  async run() {
    const statement = this.statement.value.trim();
    if (!statement) return;
    const params = this.paramValues();
    remember({ statement, params, consistent: this.consistent.checked });
    this.showHistory();
    await busy(this.runButton, this.output, async () => {
      const body = { Statement: statement };
      try {
        if (params.length) body.Parameters = params.map((p, i) => typedValue(p.type, p.value, `Parameter ${i + 1}`));
      } catch (error) {
        throw Object.assign(new Error(error.message), { type: "Check the parameters" });
      }
      if (this.consistent.checked) body.ConsistentRead = true;
      if (this.limit.value) body.Limit = Number(this.limit.value);
      this.items = [];
      this.last = { body };
      clear(this.output);
      this.status.textContent = "Running…";
      this.showAnswer(await dynamodb("ExecuteStatement", body).catch((error) => {
        this.status.textContent = "";
        this.more.hidden = true;
        throw error;
      }));
    });
  }

  async loadMore() {
    const body = { ...this.last.body, NextToken: this.last.next };
    this.showAnswer(await dynamodb("ExecuteStatement", body));
  }

  showAnswer(answer) {
    const got = answer.Items || [];
    this.items.push(...got);
    this.last.next = answer.NextToken || null;
    this.more.hidden = !answer.NextToken;
    const n = this.items.length;
    let text = `${n} item${n === 1 ? "" : "s"}`;
    if (answer.NextToken) {
      // Like a filtered scan, a page can come back empty before the end.
      text += got.length
        ? ". More results: Load more."
        : ". This page had no matches, but the statement has not reached the end: Load more.";
    } else {
      text += ".";
    }
    this.status.textContent = text;
    this.showResults();
  }

  viewChoice() {
    const legend = h("legend", { class: "sr" }, "Show results as");
    const choices = [["table", "Table"], ["json", "JSON"]];
    this.view = radios(legend, choices, "table", () => this.showResults(), "inline format-choice");
    return this.view;
  }

  showResults() {
    if (!this.last) return;
    const asJson = chosen(this.view) === "json";
    if (asJson) {
      clear(this.output, h("pre", { class: "code", "aria-label": "Results as DynamoDB JSON" }, formatJson(this.items)));
    } else {
      clear(this.output, itemsTable(this.items, { label: "Results", empty: "No items." }).element);
    }
  }

  // --- history -----------------------------------------------------------------------------

  showHistory() {
    const entries = history();
    clear(
      this.history,
      entries.length
        ? entries.map((entry) =>
            h("li", {}, h("button", { type: "button", title: entry.statement, onclick: () => this.reuse(entry) },
              entry.statement)))
        : h("li", { class: "muted" }, "Nothing run yet."),
    );
  }

  reuse(entry) {
    this.statement.value = entry.statement;
    this.setParams(entry.params || []);
    this.consistent.checked = Boolean(entry.consistent);
    this.statement.focus();
  }

  clearHistory() {
    sessionStorage.removeItem(HISTORY_KEY);
    this.showHistory();
  }

  // --- templates ---------------------------------------------------------------------------

  templates() {
    const table = h("select", {}, h("option", { value: "" }, "Loading tables…"));
    const kind = select(["SELECT", "INSERT", "UPDATE", "DELETE"], "SELECT");
    const use = h("button", { type: "button" }, "Use template");
    const box = h("details", { class: "panel templates" }, h("summary", {}, "Templates"),
      h("div", { class: "row" }, field("Table name", table), field("Statement kind", kind), use));
    // Listed only when the panel opens: the editor itself needs no table list.
    box.addEventListener("toggle", () => {
      if (box.open && !table.dataset.loaded) busy(null, box, () => listTables(table));
    }, { once: false });
    use.addEventListener("click", () => busy(use, box, async () => {
      if (!table.value) return;
      const described = await dynamodb("DescribeTable", { TableName: table.value });
      const { statement, params } = template(kind.value, described.Table);
      this.statement.value = statement;
      this.setParams(params);
      this.statement.focus();
    }));
    return box;
  }
}

async function listTables(selectElement) {
  const names = await tableNames();
  selectElement.dataset.loaded = "yes";
  selectElement.replaceChildren(
    ...(names.length ? names.map((n) => h("option", { value: n }, n)) : [h("option", { value: "" }, "No tables")]),
  );
}

/** A statement of `kind` for `table`, with a parameter per key attribute (typed from the
 * table's AttributeDefinitions). */
export function template(kind, table) {
  const types = Object.fromEntries(table.AttributeDefinitions.map((d) => [d.AttributeName, d.AttributeType]));
  const keys = table.KeySchema.map((k) => k.AttributeName);
  const quoted = (name) => `"${name.replace(/"/g, '""')}"`;
  const where = keys.map((k) => `${quoted(k)} = ?`).join(" AND ");
  const keyParams = keys.map((k) => ({ type: types[k], value: "" }));
  const from = quoted(table.TableName);
  switch (kind) {
    case "INSERT":
      return {
        statement: `INSERT INTO ${from} VALUE {${keys.map((k) => `'${k.replace(/'/g, "''")}': ?`).join(", ")}}`,
        params: keyParams,
      };
    case "UPDATE":
      return {
        statement: `UPDATE ${from} SET "attribute" = ? WHERE ${where}`,
        params: [{ type: "S", value: "" }, ...keyParams],
      };
    case "DELETE":
      return { statement: `DELETE FROM ${from} WHERE ${where}`, params: keyParams };
    default:
      return { statement: `SELECT * FROM ${from} WHERE ${quoted(keys[0])} = ?`, params: keyParams.slice(0, 1) };
  }
}

function history() {
  try {
    const entries = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "[]");
    return Array.isArray(entries) ? entries : [];
  } catch (error) {
    return [];
  }
}

/** Put a statement first in the history (once: running it again moves it up), at most 50. */
function remember(entry) {
  const same = (other) =>
    other.statement === entry.statement && JSON.stringify(other.params) === JSON.stringify(entry.params);
  const entries = [entry, ...history().filter((other) => !same(other))].slice(0, HISTORY_MAX);
  sessionStorage.setItem(HISTORY_KEY, JSON.stringify(entries));
}
