// How the editor saves: a plan (plain data) computed from the item as loaded and as edited,
// so that two people editing one item cannot overwrite each other unknowingly.
//
// An edit becomes one UpdateItem: SET for changed and added attributes, REMOVE for removed
// ones, and a ConditionExpression that the item still exists and that every attribute still
// holds the value it had when the editor opened (added ones still do not exist). If another
// writer changed the item in between, DynamoDB refuses with ConditionalCheckFailedException.
//
// DynamoDB limits every expression to 4 KB and 300 operators and functions (each clause is
// one, each AND another, so at most 150 clauses). An item with very many attributes gets a
// condition on a subset, chosen in this order until the next clause would not fit: the item's
// existence, the attributes this edit changes or removes, the ones it adds, then the untouched
// ones. A concurrent change to an untouched attribute left out that way goes unnoticed (the
// update does not overwrite it either); the plan lists those attributes so the editor can say
// so. An edit whose SET/REMOVE itself exceeds 4 KB (hundreds of changed attributes) is saved
// with PutItem of the whole item under the same condition instead.

import { equalValues } from "./values.js";

export const EXPRESSION_LIMIT = 4096;
export const OPERATOR_LIMIT = 300;
const MAX_CLAUSES = Math.floor((OPERATOR_LIMIT + 1) / 2); // n clauses joined by n - 1 ANDs

/** The request for saving `edited` over `loaded` (both DynamoDB JSON items with the same key):
 * {operation, request, unchecked: [names], changes: n}; changes is 0 when nothing changed. */
export function planSave(tableName, loaded, edited, keyNames) {
  const names = allNames(loaded, edited, keyNames);
  const placeholder = (name) => `#a${names.indexOf(name)}`;
  const oldValue = (name) => `:o${names.indexOf(name)}`;
  const newValue = (name) => `:n${names.indexOf(name)}`;
  const isKey = (name) => keyNames.includes(name);
  const set = names.filter((n) => !isKey(n) && n in edited && !(n in loaded && equalValues(loaded[n], edited[n])));
  const remove = names.filter((n) => !isKey(n) && n in loaded && !(n in edited));
  const changes = set.length + remove.length;
  const key = Object.fromEntries(keyNames.map((name) => [name, loaded[name]]));
  if (!changes) return { operation: "", request: null, unchecked: [], changes };

  const clauses = conditionClauses(names, loaded, edited, { set, remove, isKey, placeholder, oldValue });
  const condition = fitting(clauses, EXPRESSION_LIMIT);
  const update = updateExpression(set, remove, placeholder, newValue);
  const used = [...condition.used, ...(update.length <= EXPRESSION_LIMIT ? set.concat(remove) : [])];
  const request = {
    TableName: tableName,
    ConditionExpression: condition.text,
    ExpressionAttributeNames: Object.fromEntries(used.map((n) => [placeholder(n), n])),
    ReturnValuesOnConditionCheckFailure: "ALL_OLD",
  };
  const values = Object.fromEntries(condition.values.map((n) => [oldValue(n), loaded[n]]));
  let operation = "UpdateItem";
  if (update.length <= EXPRESSION_LIMIT) {
    Object.assign(request, { Key: key, UpdateExpression: update });
    for (const n of set) values[newValue(n)] = edited[n];
  } else {
    operation = "PutItem";
    request.Item = edited;
  }
  if (Object.keys(values).length) request.ExpressionAttributeValues = values;
  const unchecked = names.filter((n) => !isKey(n) && n in loaded && !condition.values.includes(n));
  return { operation, request, unchecked, changes };
}

function allNames(loaded, edited, keyNames) {
  const names = [...keyNames];
  for (const name of [...Object.keys(loaded), ...Object.keys(edited)]) {
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

// [text, name, whether the clause needs the name's old value], most important first.
function conditionClauses(names, loaded, edited, how) {
  const { set, remove, isKey, placeholder, oldValue } = how;
  const equal = (n) => [`${placeholder(n)} = ${oldValue(n)}`, n, true];
  const touched = set.concat(remove);
  return [
    [`attribute_exists(${placeholder(names[0])})`, names[0], false],
    ...touched.filter((n) => n in loaded).map(equal),
    ...set.filter((n) => !(n in loaded)).map((n) => [`attribute_not_exists(${placeholder(n)})`, n, false]),
    ...names.filter((n) => !isKey(n) && n in loaded && !touched.includes(n)).map(equal),
  ];
}

/** The clauses joined with AND, as many as fit in `limit` bytes (placeholders are ASCII) and
 * in DynamoDB's operator count. */
function fitting(clauses, limit) {
  const taken = [];
  let length = 0;
  for (const clause of clauses) {
    const extra = clause[0].length + (taken.length ? 5 : 0); // " AND "
    if (length + extra > limit || taken.length >= MAX_CLAUSES) break;
    taken.push(clause);
    length += extra;
  }
  return {
    text: taken.map(([text]) => text).join(" AND "),
    used: taken.map(([, name]) => name),
    values: taken.filter(([, , old]) => old).map(([, name]) => name),
  };
}

function updateExpression(set, remove, placeholder, newValue) {
  const parts = [];
  if (set.length) parts.push(`SET ${set.map((n) => `${placeholder(n)} = ${newValue(n)}`).join(", ")}`);
  if (remove.length) parts.push(`REMOVE ${remove.map(placeholder).join(", ")}`);
  return parts.join(" ");
}

/** A PutItem that never replaces an item: for new items and duplicates. */
export function planCreate(tableName, item, keyNames) {
  return {
    TableName: tableName,
    Item: item,
    ConditionExpression: "attribute_not_exists(#k)",
    ExpressionAttributeNames: { "#k": keyNames[0] },
  };
}
