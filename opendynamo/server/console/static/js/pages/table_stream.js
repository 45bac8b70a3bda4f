// A table's stream: on or off with its view type (UpdateTable StreamSpecification), and
// "watch newest records": every open shard read from LATEST, GetRecords about once a second,
// newest records first, until Stop is pressed or the page is left.

import { dynamodb, streams } from "../api.js";
import { busy, clear, dataTable, errorBox, field, formatTime, h, notice, select } from "../ui.js";
import { badge, itemText, repeat } from "./common.js";
import { VIEW_TYPES } from "./table_form.js";

const KEPT = 100; // records shown; older ones scroll away

export function streamSection(table) {
  const section = h("section", { class: "stream" });
  draw(section, table);
  return section;
}

function draw(section, table) {
  const spec = table.StreamSpecification;
  const on = Boolean(spec && spec.StreamEnabled);
  const errors = h("div", { class: "form-errors" });
  const viewType = select(VIEW_TYPES, "NEW_AND_OLD_IMAGES");
  const toggle = h("button", { type: "button" }, on ? "Turn off the stream" : "Turn on the stream");
  toggle.addEventListener("click", () =>
    busy(toggle, errors, async () => {
      const StreamSpecification = on ? { StreamEnabled: false } : { StreamEnabled: true, StreamViewType: viewType.value };
      await dynamodb("UpdateTable", { TableName: table.TableName, StreamSpecification });
      notice(`Stream turned ${on ? "off" : "on"}.`);
      const fresh = (await dynamodb("DescribeTable", { TableName: table.TableName })).Table;
      draw(section, fresh);
    }),
  );
  clear(
    section,
    h("h2", {}, "Stream"),
    h("p", {}, "Status: ", on ? badge("ENABLED") : badge("DISABLED"), on ? ` (${spec.StreamViewType})` : ""),
    table.LatestStreamArn ? h("p", { class: "mono muted" }, table.LatestStreamArn) : null,
    h("div", { class: "row bottom" }, on ? null : field("Stream view type", viewType), toggle),
    errors,
    table.LatestStreamArn ? watcher(table.LatestStreamArn) : null,
  );
}

function watcher(streamArn) {
  const start = h("button", { type: "button", class: "primary" }, "Watch newest records");
  const stop = h("button", { type: "button" }, "Stop watching");
  stop.hidden = true;
  const state = h("p", { class: "muted", "aria-live": "polite" });
  const out = h("div", { class: "stream-records" });
  const box = h("div", { class: "watcher" }, h("div", { class: "actions" }, start, stop, state), out);
  let watching = null;
  start.addEventListener("click", async () => {
    watching = { stopped: false };
    start.hidden = true;
    stop.hidden = false;
    await watch(streamArn, out, state, watching);
    start.hidden = false;
    stop.hidden = true;
  });
  stop.addEventListener("click", () => {
    if (watching) watching.stopped = true;
    state.textContent = "Stopped.";
  });
  return box;
}

/** Open shards of the stream (DescribeStream pages by LastEvaluatedShardId). */
async function openShards(streamArn) {
  const shards = [];
  let start;
  do {
    const body = { StreamArn: streamArn };
    if (start) body.ExclusiveStartShardId = start;
    const description = (await streams("DescribeStream", body)).StreamDescription;
    shards.push(...description.Shards.filter((shard) => !shard.SequenceNumberRange.EndingSequenceNumber));
    start = description.LastEvaluatedShardId;
  } while (start);
  return shards.map((shard) => shard.ShardId);
}

async function iterator(streamArn, shardId, type) {
  const answer = await streams("GetShardIterator", { StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type });
  return answer.ShardIterator;
}

async function watch(streamArn, out, state, watching) {
  const iterators = new Map();
  const records = [];
  try {
    for (const shard of await openShards(streamArn)) iterators.set(shard, await iterator(streamArn, shard, "LATEST"));
  } catch (error) {
    clear(state, errorBox(error));
    return;
  }
  state.textContent = "Watching for new records…";
  clear(out, recordTable(records));
  await repeat(out, 1000, async () => {
    if (watching.stopped) return false;
    try {
      const fresh = await readAll(streamArn, iterators);
      if (fresh.length) {
        records.unshift(...fresh.reverse());
        records.length = Math.min(records.length, KEPT);
        clear(out, recordTable(records));
      }
      return !watching.stopped;
    } catch (error) {
      clear(state, errorBox(error));
      return false;
    }
  });
}

/** One GetRecords per shard; a closed shard is left for its children, read from their start
 * (their records all came after the watch began). */
async function readAll(streamArn, iterators) {
  const fresh = [];
  let closed = false;
  for (const [shard, position] of Array.from(iterators)) {
    const answer = await streams("GetRecords", { ShardIterator: position, Limit: 100 });
    fresh.push(...(answer.Records || []));
    if (answer.NextShardIterator) {
      iterators.set(shard, answer.NextShardIterator);
    } else {
      iterators.delete(shard);
      closed = true;
    }
  }
  if (closed || iterators.size === 0) {
    for (const shard of await openShards(streamArn)) {
      if (!iterators.has(shard)) iterators.set(shard, await iterator(streamArn, shard, "TRIM_HORIZON"));
    }
  }
  return fresh;
}

function recordTable(records) {
  const image = (name) => (record) => itemText(record.dynamodb[name]);
  return dataTable(
    [
      { key: "time", heading: "Approximate time", render: (r) => formatTime(r.dynamodb.ApproximateCreationDateTime) },
      ["eventName", "Event"],
      { key: "keys", heading: "Keys", render: image("Keys") },
      { key: "new", heading: "New image", render: image("NewImage") },
      { key: "old", heading: "Old image", render: image("OldImage") },
    ],
    records,
    { empty: "No records since the watch began." },
  );
}
