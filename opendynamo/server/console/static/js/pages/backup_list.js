// A list of on-demand backups (of one table, or of the whole region) with Restore and Delete,
// refreshed while a backup is being created.

import { dynamodb } from "../api.js";
import { busy, clear, confirm, dataTable, errorBox, formatBytes, formatTime, h, notice } from "../ui.js";
import { badge, poller } from "./common.js";
import { restoreForm } from "./restore.js";

/** Every backup, following LastEvaluatedBackupArn; of one table when `tableName` is given. */
export async function listBackups(tableName) {
  const backups = [];
  let start;
  do {
    const body = { BackupType: "ALL" };
    if (tableName) body.TableName = tableName;
    if (start) body.ExclusiveStartBackupArn = start;
    const page = await dynamodb("ListBackups", body);
    backups.push(...(page.BackupSummaries || []));
    start = page.LastEvaluatedBackupArn;
  } while (start);
  return backups.sort((a, b) => Number(b.BackupCreationDateTime) - Number(a.BackupCreationDateTime));
}

/** {node, refresh()}: the list, and a place under it where a restore form opens. */
export function backupList(tableName) {
  const list = h("div", { class: "backup-list" });
  const panel = h("div", { class: "restore-panel" });
  const node = h("div", {}, list, panel);
  const draw = async () => {
    let backups;
    try {
      backups = await listBackups(tableName);
    } catch (error) {
      clear(list, errorBox(error));
      return false;
    }
    clear(list, table(backups, tableName, { refresh: () => refresh(), panel }));
    return backups.some((backup) => backup.BackupStatus === "CREATING");
  };
  // Polled while a backup is still being copied.
  const refresh = poller(node, 1000, draw);
  return { node, refresh };
}

function table(backups, tableName, actions) {
  const columns = [
    tableName ? null : { key: "TableName", heading: "Table", render: (b) => tableLink(b.TableName) },
    ["BackupName", "Backup"],
    { key: "created", heading: "Created", render: (b) => formatTime(b.BackupCreationDateTime) },
    { key: "status", heading: "Status", render: (b) => badge(b.BackupStatus) },
    { key: "size", heading: "Size", render: (b) => formatBytes(b.BackupSizeBytes) },
    ["BackupType", "Type"],
    { key: "actions", heading: "Actions", render: (b) => rowActions(b, actions) },
  ].filter(Boolean);
  return dataTable(columns, backups, { empty: "No backups." });
}

function tableLink(name) {
  return h("a", { href: `#/tables/${encodeURIComponent(name)}` }, name);
}

function rowActions(backup, { refresh, panel }) {
  const restore = h("button", { type: "button", class: "link" }, `Restore ${backup.BackupName}`);
  restore.disabled = backup.BackupStatus !== "AVAILABLE";
  restore.addEventListener("click", () => openRestore(backup, panel));
  const remove = h("button", { type: "button", class: "link" }, `Delete ${backup.BackupName}`);
  remove.disabled = backup.BackupStatus === "DELETED";
  remove.addEventListener("click", async () => {
    const sure = await confirm(
      `Delete backup ${backup.BackupName}?`,
      `The backup of ${backup.TableName} taken ${formatTime(backup.BackupCreationDateTime)} is deleted for good.`,
      "Delete backup",
    );
    if (!sure) return;
    await busy(remove, null, async () => {
      await dynamodb("DeleteBackup", { BackupArn: backup.BackupArn });
      notice(`Backup ${backup.BackupName} deleted.`);
      await refresh();
    });
  });
  return h("span", { class: "actions" }, restore, remove);
}

function openRestore(backup, panel) {
  const send = (target) => dynamodb("RestoreTableFromBackup", { BackupArn: backup.BackupArn, ...target });
  const form = restoreForm(`Restore backup ${backup.BackupName} to a new table`, `${backup.TableName}-restored`, send);
  const close = h("button", { type: "button" }, "Close");
  close.addEventListener("click", () => panel.replaceChildren());
  form.querySelector("fieldset > .actions").append(close);
  clear(panel, form);
  panel.querySelector("input").focus();
}
