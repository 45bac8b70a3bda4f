// Small DOM helpers every page uses: building elements, labelled fields, errors, notices,
// dialogs and data tables. Text is always set as text (never as HTML), so nothing a table
// holds can run as script.

let uniqueCounter = 0;

export function uid(prefix = "f") {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

/** h("button", {class: "primary", onclick: fn}, "Save"): an element with attributes, event
 * handlers (on…) and children (strings become text nodes; null and false are skipped). */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "value") {
      element.value = value;
    } else if (name === "checked" || name === "disabled" || name === "selected" || name === "hidden") {
      element[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A labelled control: h("label") bound to the input by id, with an optional hint. */
export function field(label, control, hint) {
  if (!control.id) control.id = uid("field");
  const hintNode = hint ? h("small", { class: "hint", id: `${control.id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintNode);
}

export function select(options, value, attrs) {
  return h(
    "select",
    attrs || {},
    options.map((option) => {
      const [optionValue, text] = Array.isArray(option) ? option : [option, option];
      return h("option", { value: optionValue, selected: optionValue === value }, text);
    }),
  );
}

/** An error shown where it happened: DynamoDB's type and message, never a stack trace. */
export function errorBox(error) {
  const type = error && error.type ? error.type : "Error";
  const message = error && error.message ? error.message : String(error);
  return h("div", { class: "error", role: "alert" }, h("strong", {}, type), ": ", message);
}

export function showError(container, error) {
  container.querySelectorAll(":scope > .error").forEach((node) => node.remove());
  container.prepend(errorBox(error));
}

/** A short notice in the corner that goes away by itself. */
export function notice(text, kind = "ok") {
  const toasts = document.getElementById("toasts");
  const toast = h("div", { class: `toast ${kind}` }, text);
  toasts.append(toast);
  setTimeout(() => toast.remove(), 5000);
}

/** A modal dialog: resolves to the value of the button pressed (or null when dismissed). */
export function dialog(title, body, buttons) {
  return new Promise((resolve) => {
    const form = h("form", { method: "dialog" });
    const box = h(
      "dialog",
      { class: "modal", "aria-labelledby": uid("dialog-title") },
      h("h2", { id: "" }, title),
      form,
    );
    box.querySelector("h2").id = box.getAttribute("aria-labelledby");
    append(form, [body]);
    form.append(
      h(
        "div",
        { class: "actions" },
        buttons.map(([value, text, kind]) => h("button", { value, class: kind || "" }, text)),
      ),
    );
    box.addEventListener("close", () => {
      resolve(box.returnValue || null);
      box.remove();
    });
    document.body.append(box);
    box.showModal();
  });
}

export async function confirm(title, message, action = "Delete") {
  const answer = await dialog(title, h("p", {}, message), [
    ["cancel", "Cancel"],
    ["ok", action, "danger"],
  ]);
  return answer === "ok";
}

/** A data table: `columns` are [key, heading] pairs or {key, heading, render}; rows are
 * objects. Optional `onRow(row)` makes each row's first cell a button opening it. */
export function dataTable(columns, rows, options = {}) {
  const cols = columns.map((column) =>
    Array.isArray(column) ? { key: column[0], heading: column[1] } : column,
  );
  const head = h(
    "tr",
    {},
    options.selectable ? h("th", { scope: "col" }, h("span", { class: "sr" }, "Select")) : null,
    cols.map((column) => h("th", { scope: "col" }, column.heading)),
  );
  const body = rows.map((row, index) =>
    h(
      "tr",
      {},
      options.selectable
        ? h(
            "td",
            {},
            h("input", {
              type: "checkbox",
              "aria-label": `Select row ${index + 1}`,
              dataset: { index: String(index) },
            }),
          )
        : null,
      cols.map((column) => {
        const value = column.render ? column.render(row) : row[column.key];
        return h("td", {}, value === undefined || value === null ? "" : value);
      }),
    ),
  );
  if (rows.length === 0) {
    body.push(
      h(
        "tr",
        {},
        h("td", { colspan: String(cols.length + (options.selectable ? 1 : 0)), class: "empty" }, options.empty || "Nothing to show."),
      ),
    );
  }
  return h("div", { class: "table-wrap" }, h("table", { class: "data" }, h("thead", {}, head), h("tbody", {}, body)));
}

export function tabs(items, active) {
  return h(
    "nav",
    { class: "tabs", "aria-label": "Sections" },
    items.map(([href, text, key]) =>
      h("a", { href, "aria-current": key === active ? "page" : null }, text),
    ),
  );
}

export function pageHeader(title, ...actions) {
  return h("div", { class: "page-header" }, h("h1", {}, title), h("div", { class: "actions" }, actions));
}

export function formatBytes(bytes) {
  const n = Number(bytes || 0);
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatNumber(value) {
  return Number(value || 0).toLocaleString("en-US");
}

/** A DynamoDB timestamp (epoch seconds, possibly fractional) as local date and time. */
export function formatTime(epochSeconds) {
  if (epochSeconds === undefined || epochSeconds === null || epochSeconds === "") return "";
  const date = new Date(Number(epochSeconds) * 1000);
  return Number.isNaN(date.getTime()) ? String(epochSeconds) : date.toLocaleString();
}

/** Run an async action from a button: disabled while it runs, errors shown in `where`. */
export async function busy(button, where, action) {
  if (button) button.disabled = true;
  try {
    return await action();
  } catch (error) {
    if (where) showError(where, error);
    else notice(`${error.type || "Error"}: ${error.message}`, "bad");
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** Offer a string as a file download (exports of query results). */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = h("a", { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
