// The item editor: a dialog showing one item as DynamoDB JSON or plain JSON, checked as you
// type, saved with a condition on the version loaded (see save_plan.js). New items and
// duplicates are written with PutItem under attribute_not_exists, so they never replace one.

import { dynamodb } from "../api.js";
import { busy, confirm, errorBox, h, notice, uid } from "../ui.js";
import { radios } from "./controls.js";
import { planCreate, planSave } from "./save_plan.js";
import {
  PLAIN_HELP,
  equalValues,
  formatJson,
  itemProblem,
  itemToPlain,
  parseKeepingNumbers,
  plainToItem,
} from "./values.js";

const FORMAT_KEY = "opendynamo-editor-format";

/** Open the editor. `keys` are the table's key attributes [{name, type}]. mode "edit" loads
 * the item by `key` (consistently, from the table, so index rows open whole); "create" starts
 * from the key attributes; "duplicate" from `item` with its keys editable. `onDone` runs after
 * a save or delete. */
export async function openEditor({ table, keys, mode, key, item, onDone }) {
  let loaded = null;
  if (mode === "edit") {
    const answer = await dynamodb("GetItem", { TableName: table, Key: key, ConsistentRead: true });
    if (!answer.Item) {
      notice("This item no longer exists.", "bad");
      if (onDone) onDone();
      return;
    }
    loaded = answer.Item;
  }
  const start = mode === "edit" ? loaded : item || blankItem(keys);
  new Editor({ table, keys, mode, loaded, onDone }).show(start);
}

function blankItem(keys) {
  return Object.fromEntries(keys.map((key) => [key.name, { [key.type]: "" }]));
}

const TITLES = { edit: "Edit item", create: "Create item", duplicate: "Duplicate item" };

class Editor {
  constructor({ table, keys, mode, loaded, onDone }) {
    Object.assign(this, { table, keys, mode, loaded, onDone });
    this.keyNames = keys.map((key) => key.name);
    this.format = sessionStorage.getItem(FORMAT_KEY) === "plain" ? "plain" : "dynamodb";
  }

  show(item) {
    this.text = h("textarea", { id: uid("item"), rows: "18", spellcheck: "false", class: "item-json" });
    this.status = h("p", { id: uid("item-status"), class: "editor-status", "aria-live": "polite" });
    this.text.setAttribute("aria-describedby", this.status.id);
    this.problems = h("div", { class: "editor-problems" });
    this.help = h("p", { class: "hint", hidden: this.format !== "plain" }, PLAIN_HELP);
    this.box = h(
      "dialog",
      { class: "modal item-editor", "aria-labelledby": uid("editor-title") },
      h("h2", {}, TITLES[this.mode]),
      this.formatChoice(),
      h("label", { for: this.text.id }, "Item"),
      this.help,
      this.text,
      this.status,
      this.problems,
      this.actions(),
    );
    this.box.querySelector("h2").id = this.box.getAttribute("aria-labelledby");
    this.box.addEventListener("close", () => this.box.remove());
    this.text.addEventListener("input", () => this.check());
    this.setText(item);
    document.body.append(this.box);
    this.box.showModal();
    this.text.focus();
    if (this.mode !== "create") this.check();
    else this.say(`Fill in the key attributes (${this.keyNames.join(", ")}) and any others.`, false);
  }

  formatChoice() {
    const choices = [["dynamodb", "DynamoDB JSON"], ["plain", "Plain JSON"]];
    this.formats = radios(h("legend", {}, "Show as"), choices, this.format, (f) => this.switchFormat(f), "format-choice");
    return this.formats;
  }

  actions() {
    const save = h("button", { type: "button", class: "primary" }, "Save");
    save.addEventListener("click", () => busy(save, this.problems, () => this.save()));
    const buttons = [save];
    if (this.mode === "edit") {
      const duplicate = h("button", { type: "button", onclick: () => this.duplicate() }, "Duplicate");
      const remove = h("button", { type: "button", class: "danger" }, "Delete item");
      remove.addEventListener("click", () => busy(remove, this.problems, () => this.remove()));
      buttons.push(duplicate, remove);
    }
    buttons.push(h("button", { type: "button", onclick: () => this.box.close() }, "Cancel"));
    return h("div", { class: "actions" }, buttons);
  }

  setText(item) {
    const shown = this.format === "plain" ? itemToPlain(item) : item;
    this.text.value = formatJson(shown);
    // As tall as the item, within reason: the dialog keeps room for messages below it.
    this.text.rows = Math.min(22, Math.max(6, this.text.value.split("\n").length + 1));
    this.text.setSelectionRange(0, 0);
    this.text.scrollTop = 0;
  }

  /** The item the text holds, in DynamoDB JSON; throws a message saying what is wrong. */
  parse() {
    let item;
    try {
      item = this.format === "plain" ? plainToItem(parseKeepingNumbers(this.text.value)) : JSON.parse(this.text.value);
    } catch (error) {
      throw new Error(error instanceof SyntaxError ? `Not JSON: ${error.message}` : error.message);
    }
    const problem = itemProblem(item, this.keys) || this.keyChange(item);
    if (problem) throw new Error(problem);
    return item;
  }

  // Keys of a loaded item stay as they are: a new key is a new item (Duplicate makes one).
  keyChange(item) {
    if (this.mode !== "edit") return "";
    const changed = this.keyNames.find((name) => !equalValues(item[name], this.loaded[name]));
    return changed ? `The key attribute "${changed}" cannot change; use Duplicate to copy the item under a new key.` : "";
  }

  /** Check the text and say how it stands; returns the item or null. */
  check() {
    try {
      const item = this.parse();
      this.say(this.summary(item), false);
      return item;
    } catch (error) {
      this.say(error.message, true);
      return null;
    }
  }

  summary(item) {
    const count = Object.keys(item).length;
    let text = `Valid item, ${count} attribute${count === 1 ? "" : "s"}.`;
    if (this.mode === "edit") {
      const plan = planSave(this.table, this.loaded, item, this.keyNames);
      if (!plan.changes) text += " No changes yet.";
      else text += ` ${plan.changes} change${plan.changes === 1 ? "" : "s"} to save.`;
      if (plan.unchecked.length) {
        const checked = Object.keys(this.loaded).length - this.keyNames.length - plan.unchecked.length;
        text += ` The save checks ${checked} of the loaded attributes only`;
        text += " (DynamoDB limits an expression to 4 KB and 300 operators).";
      }
    }
    return text;
  }

  say(message, invalid) {
    this.status.textContent = message;
    this.status.classList.toggle("error-text", invalid);
    this.text.setAttribute("aria-invalid", invalid ? "true" : "false");
  }

  switchFormat(format) {
    const item = this.check();
    if (!item) {
      // The text cannot be converted as it stands: stay in the current format.
      this.formats.querySelector(`input[value="${this.format}"]`).checked = true;
      this.say(`Fix the item before switching format: ${this.status.textContent}`, true);
      return;
    }
    this.format = format;
    sessionStorage.setItem(FORMAT_KEY, format);
    this.help.hidden = format !== "plain";
    this.setText(item);
  }

  async save() {
    this.problems.replaceChildren();
    const item = this.check();
    if (!item) {
      this.text.focus();
      return;
    }
    if (this.mode === "edit") await this.update(item);
    else await this.create(item);
  }

  async update(item) {
    const plan = planSave(this.table, this.loaded, item, this.keyNames);
    if (!plan.changes) {
      this.say("Nothing changed: nothing to save.", false);
      return;
    }
    try {
      await dynamodb(plan.operation, plan.request);
    } catch (error) {
      if (error.type !== "ConditionalCheckFailedException") throw error;
      this.conflict(error);
      return;
    }
    notice(plan.unchecked.length ? "Item saved (checked against a subset of its attributes)." : "Item saved.");
    this.finish();
  }

  async create(item) {
    try {
      await dynamodb("PutItem", planCreate(this.table, item, this.keyNames));
    } catch (error) {
      if (error.type !== "ConditionalCheckFailedException") throw error;
      this.problems.replaceChildren(
        h("p", { class: "error-text" }, "An item with this key already exists; nothing was written."),
        errorBox(error),
      );
      return;
    }
    notice(this.mode === "create" ? "Item created." : "Copy created.");
    this.finish();
  }

  // Someone else wrote the item since it was loaded: nothing was overwritten. Show what it holds
  // now (ALL_OLD came back with the error) and offer to start again from it.
  conflict(error) {
    const now = error.item || null;
    const reload = h(
      "button",
      { type: "button", onclick: () => this.reload(now) },
      "Load the current version (discards your edits)",
    );
    this.problems.replaceChildren(
      h("div", { class: "conflict", role: "alert" },
        h("p", {}, h("strong", {}, "This item changed since you opened it."), " Your changes were not saved."),
        errorBox(error),
        now ? h("details", {}, h("summary", {}, "The item as it is now"), h("pre", { class: "code" }, formatJson(now)))
          : h("p", {}, "It has been deleted since."),
        now ? reload : null,
      ),
    );
  }

  reload(now) {
    this.loaded = now;
    this.setText(now);
    this.problems.replaceChildren();
    this.check();
    this.text.focus();
  }

  duplicate() {
    const item = this.check() || this.loaded;
    this.box.close();
    new Editor({ table: this.table, keys: this.keys, mode: "duplicate", loaded: null, onDone: this.onDone }).show(item);
  }

  async remove() {
    const key = Object.fromEntries(this.keyNames.map((name) => [name, this.loaded[name]]));
    if (!(await confirm("Delete item", `Delete the item ${describeKey(key)}? This cannot be undone.`))) return;
    await dynamodb("DeleteItem", { TableName: this.table, Key: key });
    notice("Item deleted.");
    this.finish();
  }

  finish() {
    this.box.close();
    if (this.onDone) this.onDone();
  }
}

function describeKey(key) {
  return Object.entries(key)
    .map(([name, value]) => `${name} = ${Object.values(value)[0]}`)
    .join(", ");
}
