// Items as a table: one column per attribute found in the items shown (key attributes first,
// then the others in the order they first appear), each value compact with its full value in a
// tooltip. Used by the items page and the PartiQL editor.

import { h } from "../ui.js";
import { compact } from "./values.js";

/** Column names for `items`: `keyNames` first, then every other attribute in first-seen order. */
export function columnsOf(items, keyNames = []) {
  const seen = new Set(keyNames);
  const rest = [];
  for (const item of items) {
    for (const name of Object.keys(item)) {
      if (!seen.has(name)) {
        seen.add(name);
        rest.push(name);
      }
    }
  }
  const present = keyNames.filter((name) => items.some((item) => name in item));
  return [...present, ...rest];
}

/** A short label of an item by its key, for buttons and checkboxes ("pk=a, sk=1"). */
export function keyLabel(item, keyNames) {
  return keyNames
    .filter((name) => item[name])
    .map((name) => `${name}=${compact(item[name]).text}`)
    .join(", ");
}

function cell(value) {
  if (value === undefined) return h("td", { class: "absent" });
  const shown = compact(value);
  return h("td", { class: `value-${shown.kind}`, title: shown.title || null }, shown.text);
}

/** The table. Options: label (its accessible name), keyNames, onOpen(item) (the first cell
 * becomes a button opening the item), selectable (a checkbox per row). Returns {element,
 * selected()} where selected() lists the checked items. */
export function itemsTable(items, options = {}) {
  const { label = "Items", keyNames = [], onOpen, selectable, empty = "No items." } = options;
  const columns = columnsOf(items, keyNames);
  const boxes = [];
  const all = selectable
    ? h("input", { type: "checkbox", "aria-label": "Select all items on this page", disabled: !items.length })
    : null;
  const head = h(
    "tr",
    {},
    selectable ? h("th", { scope: "col", class: "pick" }, all) : null,
    columns.map((name) => h("th", { scope: "col", title: name }, name)),
  );
  const rows = items.map((item) => {
    const box = selectable ? h("input", { type: "checkbox", "aria-label": `Select ${keyLabel(item, keyNames)}` }) : null;
    if (box) boxes.push([box, item]);
    const cells = columns.map((name) => cell(item[name]));
    if (onOpen && cells.length) opener(cells[0], item, keyNames, onOpen);
    return h("tr", {}, box ? h("td", { class: "pick" }, box) : null, cells);
  });
  if (!rows.length) {
    const span = String(columns.length + (selectable ? 1 : 0) || 1);
    rows.push(h("tr", {}, h("td", { class: "empty", colspan: span }, empty)));
  }
  if (all) {
    all.addEventListener("change", () => boxes.forEach(([box]) => { box.checked = all.checked; }));
  }
  const table = h("table", { class: "data items-grid", "aria-label": label }, h("thead", {}, head), h("tbody", {}, rows));
  return {
    element: h("div", { class: "table-wrap" }, table),
    selected: () => boxes.filter(([box]) => box.checked).map(([, item]) => item),
    boxes: () => boxes.map(([box]) => box),
  };
}

// The first cell's value becomes a link-styled button: a native button, so the keyboard reaches it.
function opener(td, item, keyNames, onOpen) {
  const text = td.textContent || "(open)";
  const label = `Open ${keyLabel(item, keyNames)}`;
  const button = h("button", { type: "button", class: "link open-item", "aria-label": label }, text);
  button.addEventListener("click", () => onOpen(item));
  td.replaceChildren(button);
}
