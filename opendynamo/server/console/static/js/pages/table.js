// One table's pages: a header with its status and the Delete button, the tab bar, and the tab
// chosen by the address (#/tables/<name>/<tab>). Each tab is a module of its own; Monitoring's
// charts come from monitoring.js.

import { dynamodb } from "../api.js";
import { tableTabs } from "../table_tabs.js";
import { busy, clear, confirm, errorBox, h, notice } from "../ui.js";
import { badge } from "./common.js";

const TABS = {
  overview: "./table_overview.js",
  indexes: "./table_indexes.js",
  backups: "./table_backups.js",
  exports: "./table_exports.js",
  settings: "./table_settings.js",
};

export async function render(main, [name, tab = "overview"]) {
  // Monitoring's charts style themselves; tables-ui scopes this page's own styles.
  const container = h("div", { class: tab === "monitoring" ? "tab-body" : `tab-body tables-ui tab-${tab}` });
  if (tab === "monitoring") {
    clear(main, header(name, null), tableTabs(name, tab), container);
    const m = await import("./monitoring.js");
    await m.renderMonitoring(container, name);
    return;
  }
  if (!TABS[tab]) {
    clear(main, header(name, null), tableTabs(name, tab), h("p", {}, `This table has no tab named ${tab}.`));
    return;
  }
  const table = (await dynamodb("DescribeTable", { TableName: name })).Table;
  const page = await import(TABS[tab]);
  clear(main, header(name, table), tableTabs(name, tab), container);
  await page.renderTab(container, table);
}

function header(name, table) {
  const problems = h("div", { class: "delete-problems" });
  const remove = h("button", { type: "button", class: "danger" }, "Delete table");
  remove.addEventListener("click", () => deleteTable(name, remove, problems));
  const items = h("a", { class: "button", href: `#/tables/${encodeURIComponent(name)}/items` }, "Explore items");
  return h(
    "div",
    { class: "table-header" },
    h(
      "div",
      { class: "page-header" },
      h("h1", {}, name, " ", table ? badge(table.TableStatus) : null),
      h("div", { class: "actions" }, items, remove),
    ),
    problems,
  );
}

async function deleteTable(name, button, problems) {
  const sure = await confirm(
    `Delete table ${name}?`,
    `Deleting ${name} removes the table, its indexes and all its items. Its on-demand backups stay.`,
    "Delete table",
  );
  if (!sure) return;
  problems.replaceChildren();
  await busy(button, null, async () => {
    try {
      await dynamodb("DeleteTable", { TableName: name });
    } catch (error) {
      problems.append(errorBox(error), await protectionHint(name));
      return;
    }
    notice(`Table ${name} is being deleted.`);
    location.hash = "#/tables";
  });
}

/** When deletion protection is why DynamoDB refused, say where to turn it off. */
async function protectionHint(name) {
  try {
    const table = (await dynamodb("DescribeTable", { TableName: name })).Table;
    if (!table.DeletionProtectionEnabled) return null;
  } catch (error) {
    return null;
  }
  return h(
    "p",
    {},
    "Deletion protection is on for this table. ",
    h("a", { href: `#/tables/${encodeURIComponent(name)}/settings` }, "Turn it off in Settings"),
    ", then delete the table.",
  );
}
