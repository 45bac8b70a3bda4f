// Attribute values as the console shows, edits and checks them: DynamoDB JSON ({"S": "x"}), a
// "plain" JSON view of it that stays exact, compact text for a table cell, and DynamoDB's own
// equality (sets ignore order, numbers compare by value).

export const TYPES = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"];
export const SCALAR_TYPES = ["S", "N", "B", "BOOL", "NULL"];

// DynamoDB's number syntax: an optional sign, digits with an optional point, an optional exponent.
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The type key of an attribute value ("S", "N", …), or "" for something that is not one. */
export function typeOf(value) {
  if (!value || typeof value !== "object" || Array.isArray(value)) return "";
  const keys = Object.keys(value);
  return keys.length === 1 && TYPES.includes(keys[0]) ? keys[0] : "";
}

/** A number's canonical text (no sign on zero, no leading or trailing zeros, no exponent unless
 * needed), or null when the text is not a DynamoDB number. "1.50" and "15e-1" give "1.5". */
export function canonicalNumber(text) {
  if (typeof text !== "string" || !NUMBER.test(text.trim())) return null;
  const [, sign, whole, fraction = "", exponent = "0"] = text
    .trim()
    .match(/^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/);
  const all = whole + fraction;
  const lead = all.length - all.replace(/^0+/, "").length;
  const digits = all.slice(lead).replace(/0+$/, "");
  if (!digits) return "0";
  // How many of `digits` stand before the decimal point.
  const before = whole.length - lead + Number(exponent);
  // DynamoDB keeps 38 significant digits, magnitudes from 1E-130 to below 1E+126.
  if (digits.length > 38 || before - 1 > 125 || before - 1 < -130) return null;
  let out;
  if (before <= 0) out = `0.${"0".repeat(-before)}${digits}`;
  else if (before >= digits.length) out = digits + "0".repeat(before - digits.length);
  else out = `${digits.slice(0, before)}.${digits.slice(before)}`;
  return (sign === "-" ? "-" : "") + out;
}

export function isBase64(text) {
  return typeof text === "string" && BASE64.test(text);
}

// --- equality ---------------------------------------------------------------------------

/** DynamoDB's equality of two attribute values. */
export function equalValues(a, b) {
  const type = typeOf(a);
  if (!type || type !== typeOf(b)) return false;
  const x = a[type];
  const y = b[type];
  switch (type) {
    case "N":
      return canonicalNumber(x) === canonicalNumber(y);
    case "SS":
    case "BS":
      return sameSet(x, y, (v) => v);
    case "NS":
      return sameSet(x, y, canonicalNumber);
    case "L":
      return x.length === y.length && x.every((item, i) => equalValues(item, y[i]));
    case "M":
      return equalItems(x, y);
    default:
      return x === y;
  }
}

function sameSet(x, y, key) {
  const left = new Set(x.map(key));
  return x.length === y.length && y.every((v) => left.has(key(v)));
}

/** Two items (maps of attribute values) hold the same attributes with equal values. */
export function equalItems(a, b) {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  return names.every((name) => name in b && equalValues(a[name], b[name]));
}

// --- plain JSON -------------------------------------------------------------------------
//
// Plain JSON writes S as a string, N as a JSON number when the number survives the trip
// exactly, BOOL as true/false, NULL as null, L as an array and M as an object. Everything
// else keeps its DynamoDB JSON: sets ({"SS": [...]}, {"NS": [...]}, {"BS": [...]}), binary
// ({"B": "base64"}), numbers a JSON number would round, and maps whose only key is a type
// name (written {"M": {...}} so they do not read as a typed value).

export const PLAIN_HELP =
  "Plain JSON: strings, numbers, true/false, null, arrays (lists) and objects (maps). " +
  'Sets and binary stay in DynamoDB JSON: {"SS": ["a"]}, {"NS": ["1"]}, {"BS": ["AQI="]}, ' +
  '{"B": "base64"}; so does a number JSON cannot hold exactly ({"N": "…"}) and a map whose ' +
  'only key is a type name ({"M": {…}}).';

export function itemToPlain(item) {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, toPlain(value)]));
}

export function toPlain(value) {
  const type = typeOf(value);
  const payload = value[type];
  switch (type) {
    case "S":
    case "BOOL":
      return payload;
    case "NULL":
      return null;
    case "N":
      return String(Number(payload)) === payload ? Number(payload) : value;
    case "L":
      return payload.map(toPlain);
    case "M": {
      const plain = itemToPlain(payload);
      return typeOf(plain) ? { M: plain } : plain;
    }
    default:
      return value; // B and sets
  }
}

/** A number read from plain JSON with its source text, so 12345678901234567890 stays exact. */
class SourceNumber {
  constructor(text) {
    this.text = text;
  }
}

/** JSON.parse that keeps each number's source text (Chromium's JSON.parse source access). */
export function parseKeepingNumbers(text) {
  return JSON.parse(text, (key, value, context) =>
    typeof value === "number" ? new SourceNumber(context && context.source ? context.source : String(value)) : value,
  );
}

/** The DynamoDB JSON of a plain JSON value (parsed with parseKeepingNumbers); throws a
 * message naming the path of anything it cannot read. */
export function fromPlain(value, path = "") {
  if (value instanceof SourceNumber) return { N: value.text };
  if (value === null) return { NULL: true };
  if (typeof value === "string") return { S: value };
  if (typeof value === "boolean") return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map((v, i) => fromPlain(v, `${path}[${i}]`)) };
  const type = typeOf(value);
  if (type === "M") return { M: plainMap(value.M, path) };
  if (type === "L") return { L: value.L.map((v, i) => fromPlain(v, `${path}[${i}]`)) };
  if (type) return asWritten(value);
  return { M: plainMap(value, path) };
}

function plainMap(object, path) {
  if (!object || typeof object !== "object" || Array.isArray(object)) {
    throw new Error(`${path || "the item"}: M must hold an object`);
  }
  return Object.fromEntries(
    Object.entries(object).map(([name, v]) => [name, fromPlain(v, path ? `${path}.${name}` : name)]),
  );
}

/** A typed value written inside plain JSON is DynamoDB JSON as it stands: a JSON number in it
 * stays a number, so the check that follows says {"N": 5} should be {"N": "5"}. */
function asWritten(value) {
  return JSON.parse(JSON.stringify(value, (key, v) => (v instanceof SourceNumber ? Number(v.text) : v)));
}

export function plainToItem(parsed) {
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || parsed instanceof SourceNumber) {
    throw new Error("An item is a JSON object of attribute names to values.");
  }
  return plainMap(parsed, "");
}

// --- checking DynamoDB JSON ---------------------------------------------------------------

/** The first problem of an item in DynamoDB JSON, or "" when it is well formed. `keys` are
 * [{name, type}] the item must hold. */
export function itemProblem(item, keys = []) {
  if (!item || typeof item !== "object" || Array.isArray(item)) {
    return "An item is a JSON object of attribute names to values.";
  }
  for (const [name, value] of Object.entries(item)) {
    const problem = valueProblem(value, name);
    if (problem) return problem;
  }
  for (const key of keys) {
    const value = item[key.name];
    if (!value) return `The key attribute "${key.name}" is missing.`;
    if (!(key.type in value)) return `The key attribute "${key.name}" must be of type ${key.type}.`;
    if (key.type !== "N" && value[key.type] === "") {
      return `The key attribute "${key.name}" must not be empty.`;
    }
  }
  return "";
}

/** The first problem of one attribute value, named by its path, or "". */
export function valueProblem(value, path) {
  const type = typeOf(value);
  if (!type) {
    return `${path}: a value is an object with exactly one of ${TYPES.join(", ")}.`;
  }
  const payload = value[type];
  const check = CHECKS[type];
  return check(payload, path);
}

const CHECKS = {
  S: (v, path) => (typeof v === "string" ? "" : `${path}: S must be a string.`),
  N: (v, path) => numberProblem(v, path),
  B: (v, path) => (isBase64(v) ? "" : `${path}: B must be base64 text.`),
  BOOL: (v, path) => (typeof v === "boolean" ? "" : `${path}: BOOL must be true or false.`),
  NULL: (v, path) => (v === true ? "" : `${path}: NULL must be true.`),
  L: (v, path) =>
    Array.isArray(v) ? firstOf(v.map((item, i) => valueProblem(item, `${path}[${i}]`))) : `${path}: L must be an array.`,
  M: (v, path) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? firstOf(Object.entries(v).map(([name, item]) => valueProblem(item, `${path}.${name}`)))
      : `${path}: M must be an object.`,
  SS: (v, path) => setProblem(v, path, "SS", (s) => (typeof s === "string" ? "" : "strings"), (s) => s),
  NS: (v, path) =>
    setProblem(v, path, "NS", (s) => (canonicalNumber(s) === null ? "numbers in strings" : ""), canonicalNumber),
  BS: (v, path) => setProblem(v, path, "BS", (s) => (isBase64(s) ? "" : "base64 strings"), (s) => s),
};

function numberProblem(v, path) {
  if (typeof v !== "string") return `${path}: N must be a number written as a string, e.g. {"N": "42"}.`;
  return canonicalNumber(v) === null ? `${path}: "${v}" is not a number (at most 38 digits).` : "";
}

function setProblem(v, path, type, memberProblem, key) {
  if (!Array.isArray(v)) return `${path}: ${type} must be an array.`;
  if (v.length === 0) return `${path}: ${type} must not be empty (DynamoDB has no empty sets).`;
  const bad = v.map(memberProblem).find(Boolean);
  if (bad) return `${path}: ${type} must hold ${bad}.`;
  if (new Set(v.map(key)).size !== v.length) return `${path}: ${type} holds a value twice.`;
  return "";
}

function firstOf(problems) {
  return problems.find(Boolean) || "";
}

// --- compact display ----------------------------------------------------------------------

const SHORT = 60;

/** A value as a table cell shows it: {text, title, kind} (title holds the full value when the
 * text is cut or is JSON). */
export function compact(value) {
  const type = typeOf(value);
  const payload = value[type];
  let text;
  switch (type) {
    case "S":
    case "N":
    case "B":
      text = payload;
      break;
    case "BOOL":
      text = String(payload);
      break;
    case "NULL":
      text = "null";
      break;
    case "L":
    case "M":
      text = JSON.stringify(toPlain(value));
      break;
    default:
      text = `${type} ${JSON.stringify(payload)}`; // sets say so: a list looks the same
  }
  const full = type === "S" || type === "N" || type === "B" ? payload : JSON.stringify(value);
  const cut = text.length > SHORT ? `${text.slice(0, SHORT - 1)}…` : text;
  return { text: cut, title: cut !== text || !SCALAR_TYPES.includes(type) ? full : "", kind: type };
}

/** A value as plain text for a CSV cell: scalars as they are, the rest as JSON. */
export function cellText(value) {
  const type = typeOf(value);
  if (type === "S" || type === "N" || type === "B") return value[type];
  if (type === "BOOL") return String(value.BOOL);
  if (type === "NULL") return "null";
  return JSON.stringify(toPlain(value));
}

// --- layout -----------------------------------------------------------------------------

const LINE = 72;

/** JSON laid out for reading: one attribute per line, and any value whose JSON fits on a line
 * kept on one line ({"N": "1"} rather than three lines). */
export function formatJson(value, indent = "") {
  const flat = inline(value);
  if (indent && flat.length + indent.length <= LINE) return flat;
  if (!value || typeof value !== "object" || !Object.keys(value).length) return flat;
  const inner = `${indent}  `;
  const parts = Array.isArray(value)
    ? value.map((v) => inner + formatJson(v, inner))
    : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${parts.join(",\n")}\n${indent}${close}`;
}

function inline(value) {
  if (Array.isArray(value)) return `[${value.map(inline).join(", ")}]`;
  if (value && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`).join(", ")}}`;
  }
  return JSON.stringify(value);
}

// --- typed input --------------------------------------------------------------------------

/** An attribute value from a form's type and text; throws a message when the text does not
 * fit the type. */
export function typedValue(type, text, what = "The value") {
  switch (type) {
    case "S":
      return { S: text };
    case "N": {
      if (canonicalNumber(text) === null) throw new Error(`${what} is not a number.`);
      return { N: text.trim() };
    }
    case "B":
      if (!isBase64(text.trim())) throw new Error(`${what} is not base64.`);
      return { B: text.trim() };
    case "BOOL":
      if (!/^(true|false)$/i.test(text.trim())) throw new Error(`${what} must be true or false.`);
      return { BOOL: text.trim().toLowerCase() === "true" };
    case "NULL":
      return { NULL: true };
    default: {
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new Error(`${what} is not JSON: ${error.message}`);
      }
      const problem = valueProblem(parsed, what);
      if (problem) throw new Error(problem);
      return parsed;
    }
  }
}
