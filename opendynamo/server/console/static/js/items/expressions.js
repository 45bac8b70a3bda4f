// Building DynamoDB expressions from form input. Every attribute name and value goes through a
// placeholder (#n0, :v0), so reserved words ("name", "size", "status") and names with dots or
// spaces work as they are.

import { typedValue } from "./values.js";

export class Placeholders {
  constructor() {
    this.names = {};
    this.values = {};
    this.byName = new Map();
  }

  /** "#n<i>" for an attribute name (the same placeholder each time for the same name). */
  name(attribute) {
    if (!this.byName.has(attribute)) {
      const placeholder = unused(this.names, "#n");
      this.byName.set(attribute, placeholder);
      this.names[placeholder] = attribute;
    }
    return this.byName.get(attribute);
  }

  /** ":v<i>" for an attribute value. */
  value(attributeValue) {
    const placeholder = unused(this.values, ":v");
    this.values[placeholder] = attributeValue;
    return placeholder;
  }

  /** ExpressionAttributeNames/Values for a request, leaving out the empty ones (DynamoDB refuses
   * an empty map). */
  request() {
    const out = {};
    if (Object.keys(this.names).length) out.ExpressionAttributeNames = this.names;
    if (Object.keys(this.values).length) out.ExpressionAttributeValues = this.values;
    return out;
  }
}

// The first free placeholder: a typed filter's own placeholders are added first, and the ones
// the form makes step around them.
function unused(taken, prefix) {
  let i = Object.keys(taken).length;
  while (`${prefix}${i}` in taken) i += 1;
  return `${prefix}${i}`;
}

export const SORT_OPERATORS = [
  ["", "(any)"],
  ["=", "="],
  ["<", "<"],
  ["<=", "<="],
  [">", ">"],
  [">=", ">="],
  ["BETWEEN", "between"],
  ["begins_with", "begins with"],
];

/** A KeyConditionExpression: `key` is {name, type, value}, `sort` {name, type, op, value, value2}
 * (op "" leaves the sort key free). */
export function keyCondition(ph, key, sort) {
  const parts = [`${ph.name(key.name)} = ${ph.value(typedValue(key.type, key.value, `The value of ${key.name}`))}`];
  if (sort && sort.op) {
    const name = ph.name(sort.name);
    const value = () => ph.value(typedValue(sort.type, sort.value, `The value of ${sort.name}`));
    if (sort.op === "BETWEEN") {
      const low = value();
      const high = ph.value(typedValue(sort.type, sort.value2, `The upper value of ${sort.name}`));
      parts.push(`${name} BETWEEN ${low} AND ${high}`);
    } else if (sort.op === "begins_with") {
      parts.push(`begins_with(${name}, ${value()})`);
    } else {
      parts.push(`${name} ${sort.op} ${value()}`);
    }
  }
  return parts.join(" AND ");
}

// [operator, label, how many values it takes]
export const FILTER_OPERATORS = [
  ["=", "=", 1],
  ["<>", "≠", 1],
  ["<", "<", 1],
  ["<=", "<=", 1],
  [">", ">", 1],
  [">=", ">=", 1],
  ["BETWEEN", "between", 2],
  ["begins_with", "begins with", 1],
  ["contains", "contains", 1],
  ["not_contains", "does not contain", 1],
  ["exists", "exists", 0],
  ["not_exists", "does not exist", 0],
  ["attribute_type", "is of type", 1],
  ["size =", "size =", 1],
  ["size <>", "size ≠", 1],
  ["size <", "size <", 1],
  ["size <=", "size <=", 1],
  ["size >", "size >", 1],
  ["size >=", "size >=", 1],
];

export function operandCount(op) {
  const found = FILTER_OPERATORS.find(([value]) => value === op);
  return found ? found[2] : 1;
}

/** One filter row {name, op, type, value, value2} as a condition. attribute_type takes a type
 * name (S, N, L…) and size compares with a number, whatever type the row names. */
export function filterCondition(ph, row) {
  if (!row.name) throw new Error("Each filter needs an attribute name.");
  const name = ph.name(row.name);
  const what = `The value for ${row.name}`;
  const value = (text) => ph.value(typedValue(row.type, text, what));
  switch (row.op) {
    case "exists":
      return `attribute_exists(${name})`;
    case "not_exists":
      return `attribute_not_exists(${name})`;
    case "attribute_type":
      return `attribute_type(${name}, ${ph.value({ S: row.value.trim() })})`;
    case "BETWEEN":
      return `${name} BETWEEN ${value(row.value)} AND ${value(row.value2)}`;
    case "begins_with":
      return `begins_with(${name}, ${value(row.value)})`;
    case "contains":
      return `contains(${name}, ${value(row.value)})`;
    case "not_contains":
      return `NOT contains(${name}, ${value(row.value)})`;
    default:
      if (row.op.startsWith("size ")) {
        const size = ph.value(typedValue("N", row.value, `The size for ${row.name}`));
        return `size(${name}) ${row.op.slice(5)} ${size}`;
      }
      return `${name} ${row.op} ${value(row.value)}`;
  }
}

/** Filter rows joined with AND or OR, or "" when there are none. */
export function filterFromRows(ph, rows, join) {
  const parts = rows.map((row) => filterCondition(ph, row));
  if (parts.length <= 1) return parts.join("");
  return parts.map((part) => `(${part})`).join(` ${join} `);
}

/** A ProjectionExpression of attribute names (comma separated in the form), always with the
 * key attributes so every row can still be opened, duplicated or deleted. */
export function projection(ph, text, keyNames) {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  if (!names.length) return "";
  const all = [...new Set([...keyNames, ...names])];
  return all.map((name) => ph.name(name)).join(", ");
}

/** A typed FilterExpression with its own names and values (JSON objects in the form). Call it
 * on fresh Placeholders, before the key condition and projection take theirs, so those step
 * around the typed ones. */
export function typedFilter(ph, expression, namesText, valuesText) {
  Object.assign(ph.names, jsonObject(namesText, "ExpressionAttributeNames"));
  Object.assign(ph.values, jsonObject(valuesText, "ExpressionAttributeValues"));
  return expression.trim();
}

function jsonObject(text, what) {
  if (!text.trim()) return {};
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not JSON: ${error.message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${what} must be a JSON object.`);
  }
  return parsed;
}
