// Every on-demand backup of the region (ListBackups, paged), with restore and delete; backups
// are made from a table's Backups tab.

import { clear, h, pageHeader } from "../ui.js";
import { backupList } from "./backup_list.js";

export async function render(main) {
  const list = backupList(null);
  const intro = "Every backup of this region, newest first. A table's Backups tab makes new ones and restores it to a point in time.";
  clear(main, h("div", { class: "tables-ui" }, pageHeader("Backups"), h("p", { class: "muted" }, intro), list.node));
  await list.refresh();
}
