// What the pages of tables, backups, exports and imports share: waiting on background work
// (a page polls only while it is shown), status badges, times as the browser shows them,
// checks of a form before it is sent, and attribute values in a short readable form.

import { h } from "../ui.js";

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function safely(step) {
  try {
    return Boolean(await step());
  } catch (error) {
    return false; // a step shows its own errors; a failed step ends the poll
  }
}

/** Call `step()` every `ms` while `node` is in the document and `step` answers true: a page's
 * poll ends by itself when the user goes elsewhere (the router replaces the page's nodes). */
export async function repeat(node, ms, step) {
  while (node.isConnected) {
    if (!(await safely(step))) return;
    await sleep(ms);
  }
}

/** A poll kept in the background: the function returned runs `step()` at once (its promise
 * settles when that step is done, so a page can draw before returning) and, while `step`
 * answers true and `node` is shown, again every `ms`. Calling it while the poll runs (after
 * starting a job) only adds a step; there is never more than one loop. */
export function poller(node, ms, step) {
  let running = false;
  let kicked = false;
  const loop = async () => {
    running = true;
    while (node.isConnected) {
      await sleep(ms);
      if (!node.isConnected) break;
      const again = await safely(step);
      if (!again && !kicked) break;
      kicked = false;
    }
    running = false;
  };
  return async () => {
    const again = await safely(step);
    if (again && running) kicked = true;
    if (again && !running) loop();
    return again;
  };
}

/** An S3 location for a table cell, whole in its tooltip when the cell cuts it short. */
export function s3Url(bucket, prefix) {
  const text = `s3://${bucket}/${prefix || ""}`;
  return h("span", { title: text }, text);
}

/** A status as a coloured badge (console.css colours DynamoDB's statuses by name). */
export function badge(status) {
  const text = String(status || "");
  return h("span", { class: `badge ${text.toLowerCase()}` }, text || "—");
}

function pad(n, width = 2) {
  return String(n).padStart(width, "0");
}

/** Epoch seconds as the value of an <input type=datetime-local> (local time, milliseconds). */
export function localInputValue(epochSeconds) {
  const date = new Date(Math.floor(Number(epochSeconds) * 1000));
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${day}T${time}.${pad(date.getMilliseconds(), 3)}`;
}

/** The value of an <input type=datetime-local> as epoch seconds (NaN when empty or invalid). */
export function epochOfInput(value) {
  return value ? new Date(value).getTime() / 1000 : NaN;
}

/** A validation problem found in a form before anything is sent. */
export class FormError extends Error {
  constructor(message, control) {
    super(message);
    this.type = "Check the form";
    this.control = control || null;
  }
}

/** Point at the control a FormError is about, so keyboard and screen-reader users land there. */
export function markInvalid(form, error) {
  form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  if (error instanceof FormError && error.control) {
    error.control.setAttribute("aria-invalid", "true");
    error.control.focus();
  }
}

/** A table's name as DynamoDB allows it: 3 to 255 of a-z A-Z 0-9 _ - . */
export function checkName(value, what, control) {
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(value)) {
    throw new FormError(`${what} must be 3 to 255 letters, digits, underscores, hyphens or dots.`, control);
  }
  return value;
}

/** A count from an input: a positive whole number, or a FormError naming the field. */
export function positiveInteger(control, what) {
  const value = Number(control.value);
  if (!Number.isInteger(value) || value < 1) {
    throw new FormError(`${what} must be a whole number of at least 1.`, control);
  }
  return value;
}

/** Attribute values in a short readable form (stream records, keys): {"S": "a"} → "a". */
export function plain(value) {
  if (value === null || typeof value !== "object") return value;
  const [type, inner] = Object.entries(value)[0] || [];
  switch (type) {
    case "S": case "B": return inner;
    case "N": return Number.isSafeInteger(Number(inner)) ? Number(inner) : inner;
    case "BOOL": return inner;
    case "NULL": return null;
    case "SS": case "BS": return inner;
    case "NS": return inner.map((n) => plain({ N: n }));
    case "L": return inner.map(plain);
    case "M": return plainItem(inner);
    default: return value;
  }
}

export function plainItem(item) {
  const out = {};
  for (const [name, value] of Object.entries(item || {})) out[name] = plain(value);
  return out;
}

/** An item or key as one line of JSON for a table cell. */
export function itemText(item) {
  return item ? JSON.stringify(plainItem(item)) : "";
}
