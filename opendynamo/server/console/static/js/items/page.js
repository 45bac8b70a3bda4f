// The items page itself (pages/items.js loads it while the first page is being read): the
// explore form, the results with paging forwards and backwards, the editor, batch deletes,
// export and import.

import { dynamodb } from "../api.js";
import { tableTabs } from "../table_tabs.js";
import { busy, clear, confirm, formatNumber, h, notice, showError } from "../ui.js";
import { deleteKeys } from "./batch.js";
import { openEditor } from "./editor.js";
import { itemsTable, keyLabel } from "./grid.js";
import { QueryForm } from "./query_form.js";
import { exportPanel, importPanel } from "./transfer_panel.js";

export class ItemsPage {
  constructor(main, table) {
    this.main = main;
    this.table = table;
    this.tableKeys = table.KeySchema.map((k) => ({
      name: k.AttributeName,
      type: table.AttributeDefinitions.find((d) => d.AttributeName === k.AttributeName).AttributeType,
    }));
    this.form = new QueryForm(table, () => this.run());
    this.starts = [undefined]; // ExclusiveStartKey of each page seen; the first page has none
    this.pageIndex = 0;
    this.current = null; // {operation, body} of the results shown
    this.answer = null;
  }

  show(request, firstAnswer) {
    this.status = h("p", { class: "results-status", role: "status" });
    this.results = h("div", { class: "results", "aria-busy": "false" });
    this.pager = h("nav", { class: "pager", "aria-label": "Pages" });
    this.count = h("p", { class: "muted" });
    const name = this.table.TableName;
    clear(
      this.main,
      tableTabs(name, "items"),
      h("div", { class: "page-header" }, h("h1", {}, `Items of ${name}`), this.toolbar()),
      this.count,
      this.form.element,
      h("div", { class: "panels" }, exportPanel(() => this.exportable()), importPanel(name, () => this.load())),
      this.status,
      this.results,
      this.pager,
    );
    this.showCount();
    this.current = request;
    if (firstAnswer.error) showError(this.results, firstAnswer.error);
    else this.showPage(firstAnswer);
  }

  toolbar() {
    const create = h("button", { type: "button", class: "primary" }, "Create item");
    create.addEventListener("click", () => busy(create, null, () => this.edit({ mode: "create" })));
    this.deleteButton = h("button", { type: "button", class: "danger" }, "Delete selected");
    this.deleteButton.addEventListener("click", () => busy(this.deleteButton, null, () => this.deleteSelected()));
    return h("div", { class: "actions" }, create, this.deleteButton);
  }

  showCount() {
    const source = this.form.source;
    const where = source.index ? `the index ${source.index}` : "the table";
    this.count.textContent =
      `About ${formatNumber(source.itemCount)} items in ${where} ` +
      "(DynamoDB's ItemCount, refreshed periodically; not counted by scanning).";
  }

  /** Run the form's request from its first page. */
  async run() {
    let request;
    try {
      request = this.form.request();
    } catch (error) {
      showError(this.results, { type: "Check the form", message: error.message });
      return;
    }
    this.current = request;
    this.starts = [undefined];
    this.pageIndex = 0;
    this.showCount();
    await this.load();
  }

  /** Read the current page again (after a run, a page turn or a write). */
  async load() {
    const { operation, body } = this.current;
    const start = this.starts[this.pageIndex];
    this.status.textContent = "Loading…";
    this.results.setAttribute("aria-busy", "true");
    try {
      this.showPage(await dynamodb(operation, start ? { ...body, ExclusiveStartKey: start } : body));
    } catch (error) {
      this.status.textContent = "";
      clear(this.results);
      showError(this.results, error);
    } finally {
      this.results.setAttribute("aria-busy", "false");
    }
  }

  showPage(answer) {
    this.answer = answer;
    this.starts.length = this.pageIndex + 1; // a page's successors may differ after writes
    if (answer.LastEvaluatedKey) this.starts.push(answer.LastEvaluatedKey);
    const keyNames = this.form.keyNames();
    this.grid = itemsTable(answer.Items, {
      label: "Items",
      keyNames,
      selectable: true,
      onOpen: (item) => this.open(item),
      empty: answer.LastEvaluatedKey ? "No items on this page; later pages may have some." : "No items.",
    });
    clear(this.results, this.grid.element);
    this.status.textContent = this.describePage(answer);
    this.showPager(Boolean(answer.LastEvaluatedKey));
  }

  describePage(answer) {
    const page = `Page ${this.pageIndex + 1}`;
    const n = answer.Items.length;
    const what = this.current.operation === "Query" ? "query" : "scan";
    const scanned = answer.ScannedCount;
    const read = scanned !== undefined && scanned !== n ? ` (${formatNumber(scanned)} read, the rest filtered out)` : "";
    if (n === 0 && answer.LastEvaluatedKey) {
      // DynamoDB filters after reading Limit items: a page can be empty and yet not the last.
      return `${page}: no matching items on this page${read}, but the ${what} has not reached the end. ` +
        "Go to the next page to read on.";
    }
    const items = `${plural(n, "item")}${read}`;
    return `${page}: ${items}. ${answer.LastEvaluatedKey ? "More pages follow." : "This is the last page."}`;
  }

  showPager(more) {
    const previous = h("button", { type: "button", disabled: this.pageIndex === 0 }, "Previous page");
    const next = h("button", { type: "button", disabled: !more }, "Next page");
    previous.addEventListener("click", () => this.turn(-1, previous));
    next.addEventListener("click", () => this.turn(1, next));
    const number = h("span", { class: "page-number", "aria-current": "page" }, `Page ${this.pageIndex + 1}`);
    clear(this.pager, previous, number, next);
  }

  turn(step, button) {
    this.pageIndex += step;
    return busy(button, this.results, () => this.load());
  }

  keyOf(item) {
    return Object.fromEntries(this.tableKeys.map((k) => [k.name, item[k.name]]));
  }

  open(item) {
    return busy(null, null, () => this.edit({ mode: "edit", key: this.keyOf(item) }));
  }

  edit(how) {
    return openEditor({ table: this.table.TableName, keys: this.tableKeys, onDone: () => this.load(), ...how });
  }

  async deleteSelected() {
    const chosen = this.grid ? this.grid.selected() : [];
    if (!chosen.length) {
      notice("Select items with the checkboxes first.", "bad");
      return;
    }
    const list = chosen.slice(0, 5).map((item) => keyLabel(item, this.tableKeys.map((k) => k.name))).join("; ");
    const more = chosen.length > 5 ? ` and ${chosen.length - 5} more` : "";
    const question = `Delete ${plural(chosen.length, "item")} (${list}${more})? This cannot be undone.`;
    if (!(await confirm("Delete items", question))) return;
    const { deleted, failed } = await deleteKeys(this.table.TableName, chosen.map((item) => this.keyOf(item)));
    const left = failed ? `; ${failed} could not be deleted (throttled)` : "";
    notice(`Deleted ${plural(deleted, "item")}${left}.`, failed ? "bad" : "ok");
    await this.load();
  }

  exportable() {
    if (!this.current || !this.answer) return null;
    const source = this.form.source;
    return {
      ...this.current,
      items: this.answer.Items,
      keyNames: this.form.keyNames(),
      name: source.index ? `${this.table.TableName}-${source.index}` : this.table.TableName,
    };
  }
}

function plural(count, noun) {
  return `${formatNumber(count)} ${noun}${count === 1 ? "" : "s"}`;
}
