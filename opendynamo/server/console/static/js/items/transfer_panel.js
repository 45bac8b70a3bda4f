// The items page's Export and Import panels: download the current results, upload a file of
// DynamoDB JSON lines into the table. Both show progress and can be stopped.

import { busy, download, field, formatNumber, h, notice } from "../ui.js";
import { chosen, radios } from "./controls.js";
import { EXPORT_CAP, collect, importFile, toCsv, toJsonLines } from "./transfer.js";

const IMPORT_HINT =
  'One item per line in DynamoDB JSON, or {"Item": {…}} per line as DynamoDB\'s exports write. ' +
  "Items with the key of an existing item replace it.";

/** `current()` answers {operation, body, items, keyNames, name} for the results on screen. */
export function exportPanel(current) {
  const format = radios(h("legend", {}, "Format"), [["json", "DynamoDB JSON lines"], ["csv", "CSV"]], "json");
  const all = `All pages (at most ${formatNumber(EXPORT_CAP)} items)`;
  const scope = radios(h("legend", {}, "Which items"), [["page", "This page"], ["all", all]], "page");
  const run = h("button", { type: "button", class: "primary" }, "Download");
  const stop = h("button", { type: "button", hidden: true }, "Stop");
  const progress = h("p", { class: "hint", "aria-live": "polite" });
  const panel = h(
    "details",
    { class: "panel" },
    h("summary", {}, "Export results"),
    h("div", { class: "row" }, format, scope),
    h("div", { class: "actions" }, run, stop),
    progress,
  );
  let stopper = null;
  stop.addEventListener("click", () => { if (stopper) stopper.stopped = true; });
  run.addEventListener("click", () =>
    busy(run, panel, async () => {
      const now = current();
      if (!now) throw Object.assign(new Error("Run a scan or query first."), { type: "Nothing to export" });
      let items = now.items;
      let note = "";
      if (chosen(scope) === "all") {
        stopper = { stopped: false };
        stop.hidden = false;
        const counted = (n) => {
          progress.textContent = `${formatNumber(n)} items read…`;
        };
        try {
          const got = await collect(now.operation, now.body, stopper, counted);
          items = got.items;
          note = got.complete ? "" : " (not all: stopped or at the cap)";
        } finally {
          stop.hidden = true;
          stopper = null;
        }
      }
      const csv = chosen(format) === "csv";
      const text = csv ? toCsv(items, now.keyNames) : toJsonLines(items);
      download(`${now.name}.${csv ? "csv" : "json"}`, text, csv ? "text/csv" : "application/json");
      progress.textContent = `Exported ${formatNumber(items.length)} items${note}.`;
    }),
  );
  return panel;
}

const FAILURES_SHOWN = 200;

/** Upload DynamoDB JSON lines into `table`; `onDone()` after an import wrote something. */
export function importPanel(table, onDone) {
  const file = h("input", { type: "file", accept: ".json,.jsonl,.ndjson,application/json,text/plain" });
  const run = h("button", { type: "button", class: "primary" }, "Import");
  const stop = h("button", { type: "button", hidden: true }, "Stop");
  const bar = h("progress", { max: "1", value: "0", hidden: true, "aria-label": "Import progress" });
  const progress = h("p", { class: "hint", "aria-live": "polite" });
  const failures = h("div", { class: "import-failures" });
  const panel = h(
    "details",
    { class: "panel" },
    h("summary", {}, "Import items"),
    field("DynamoDB JSON lines file", file, IMPORT_HINT),
    h("div", { class: "actions" }, run, stop, bar),
    progress,
    failures,
  );
  let stopper = null;
  stop.addEventListener("click", () => { if (stopper) stopper.stopped = true; });
  run.addEventListener("click", () =>
    busy(run, panel, async () => {
      const picked = file.files[0];
      if (!picked) throw Object.assign(new Error("Choose a file first."), { type: "No file" });
      failures.replaceChildren();
      stopper = { stopped: false };
      stop.hidden = false;
      bar.hidden = false;
      const show = (state) => {
        bar.value = picked.size ? state.bytes / picked.size : 1;
        const [lines, written, failed] = [state.lines, state.written, state.failures.length].map(formatNumber);
        progress.textContent = `Line ${lines}: ${written} items written, ${failed} failed.`;
      };
      try {
        const state = await importFile(table, picked, stopper, show);
        show(state);
        progress.textContent = `${stopper.stopped ? "Stopped. " : "Done. "}${progress.textContent}`;
        failures.replaceChildren(failureList(state.failures));
        notice(`Imported ${formatNumber(state.written)} items.`);
        if (state.written) onDone();
      } finally {
        stop.hidden = true;
        stopper = null;
      }
    }),
  );
  return panel;
}

function failureList(list) {
  if (!list.length) return "";
  const shown = list.slice(0, FAILURES_SHOWN);
  return h(
    "div",
    { class: "error", role: "alert" },
    h("strong", {}, `${list.length} line${list.length === 1 ? "" : "s"} not imported:`),
    h("ul", {}, shown.map((f) => h("li", {}, `Line ${f.line}: ${f.reason}`))),
    list.length > shown.length ? h("p", {}, `…and ${list.length - shown.length} more.`) : null,
  );
}
