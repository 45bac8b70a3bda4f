// Export of query or scan results (DynamoDB JSON lines as DynamoDB's exports write them, or
// CSV) and import of DynamoDB JSON lines through BatchWriteItem.

import { dynamodb } from "../api.js";
import { BATCH_SIZE, writeBatch } from "./batch.js";
import { columnsOf } from "./grid.js";
import { cellText } from "./values.js";

/** Most items an export of "all pages" collects: enough for a look in a spreadsheet, bounded
 * so the browser's memory is (a table export to S3 is the tool for more). */
export const EXPORT_CAP = 100000;

/** Follow a Scan or Query from its first page (pages of up to 1 MB: the page size does not
 * apply) until the end, the cap or stop.stopped; onProgress(count) after each page. */
export async function collect(operation, request, stop, onProgress) {
  const items = [];
  const body = { ...request };
  delete body.Limit;
  delete body.ExclusiveStartKey;
  for (;;) {
    const answer = await dynamodb(operation, body);
    items.push(...answer.Items);
    onProgress(Math.min(items.length, EXPORT_CAP));
    if (items.length >= EXPORT_CAP) return { items: items.slice(0, EXPORT_CAP), complete: false };
    if (!answer.LastEvaluatedKey) return { items, complete: true };
    if (stop.stopped) return { items, complete: false };
    body.ExclusiveStartKey = answer.LastEvaluatedKey;
  }
}

/** One {"Item": …} per line, as DynamoDB's export to S3 writes DYNAMODB_JSON. */
export function toJsonLines(items) {
  return items.map((item) => `${JSON.stringify({ Item: item })}\n`).join("");
}

/** CSV (RFC 4180): a header of the attributes found, key attributes first; scalars as text,
 * lists, maps and sets as JSON; an attribute an item lacks is an empty cell. */
export function toCsv(items, keyNames) {
  const columns = columnsOf(items, keyNames);
  const lines = [columns.map(csvCell).join(",")];
  for (const item of items) {
    lines.push(columns.map((name) => csvCell(item[name] === undefined ? "" : cellText(item[name]))).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

function csvCell(text) {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

// --- import -------------------------------------------------------------------------------

/** Lines of a File as [lineNumber, text], read as a stream so a large file is never held
 * whole; stop.stopped ends early. */
async function* fileLines(file, stop, onBytes) {
  const reader = file.stream().getReader();
  const decoder = new TextDecoder();
  let rest = "";
  let number = 0;
  let bytes = 0;
  while (!stop.stopped) {
    const { value, done } = await reader.read();
    if (done) {
      rest += decoder.decode();
      break;
    }
    bytes += value.length;
    onBytes(bytes);
    const parts = (rest + decoder.decode(value, { stream: true })).split("\n");
    rest = parts.pop();
    for (const line of parts) yield [++number, line];
  }
  if (stop.stopped) await reader.cancel();
  else if (rest) yield [++number, rest];
}

/** The item of one line: DynamoDB JSON, or {"Item": {...}} as DynamoDB's exports write. */
export function lineItem(text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`not JSON: ${error.message}`);
  }
  if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
    const keys = Object.keys(parsed);
    if (keys.length === 1 && keys[0] === "Item") parsed = parsed.Item;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error("not an item: each line must be a JSON object");
  }
  return parsed;
}

/** Import a file of DynamoDB JSON lines into `table`. progress({bytes, lines, written,
 * failures}) is called as it goes; resolves to the same counts. failures: [{line, reason}]. */
export async function importFile(table, file, stop, progress) {
  const state = { bytes: 0, lines: 0, written: 0, failures: [] };
  let batch = [];
  const flush = async () => {
    await writeLines(table, batch, state);
    batch = [];
    progress(state);
  };
  for await (const [number, text] of fileLines(file, stop, (bytes) => { state.bytes = bytes; })) {
    if (stop.stopped) break;
    if (!text.trim()) continue;
    state.lines = number;
    try {
      batch.push({ number, item: lineItem(text) });
    } catch (error) {
      state.failures.push({ line: number, reason: error.message });
    }
    if (batch.length === BATCH_SIZE) await flush();
  }
  if (batch.length) await flush();
  progress(state);
  return state;
}

// One BatchWriteItem for up to 25 lines. DynamoDB refuses a whole batch for one bad item, so a
// refused batch is written again item by item to tell which lines failed and why.
async function writeLines(table, entries, state) {
  if (!entries.length) return;
  try {
    const left = await writeBatch(table, entries.map(({ item }) => ({ PutRequest: { Item: item } })));
    state.written += entries.length - left.length;
    const unprocessed = new Set(left.map((request) => JSON.stringify(request.PutRequest.Item)));
    for (const entry of entries) {
      if (unprocessed.has(JSON.stringify(entry.item))) {
        state.failures.push({ line: entry.number, reason: "still unprocessed after retries (throttled)" });
      }
    }
  } catch (error) {
    if (error.type !== "ValidationException") throw error;
    for (const entry of entries) await writeOne(table, entry, state);
  }
}

async function writeOne(table, entry, state) {
  try {
    await dynamodb("PutItem", { TableName: table, Item: entry.item });
    state.written += 1;
  } catch (error) {
    if (error.type !== "ValidationException") throw error;
    state.failures.push({ line: entry.number, reason: `${error.type}: ${error.message}` });
  }
}
