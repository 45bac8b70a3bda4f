// A table's backups: on-demand backups (create, restore, delete) and point-in-time recovery
// (on/off, the restorable window, and a restore to a point picked on a timeline).

import { dynamodb } from "../api.js";
import { busy, clear, errorBox, field, formatTime, h, notice } from "../ui.js";
import { FormError, badge, checkName, epochOfInput, localInputValue, markInvalid } from "./common.js";
import { backupList } from "./backup_list.js";
import { restoreForm } from "./restore.js";

export async function renderTab(container, table) {
  const backups = backupList(table.TableName);
  const pitr = h("section", { class: "pitr" });
  clear(
    container,
    h("section", {}, h("h2", {}, "On-demand backups"), createForm(table.TableName, backups), backups.node),
    pitr,
  );
  await Promise.all([backups.refresh(), drawPitr(pitr, table.TableName)]);
}

function defaultBackupName(tableName) {
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
  return `${tableName}-${stamp}`.slice(0, 255);
}

function createForm(tableName, backups) {
  const name = h("input", { type: "text", value: defaultBackupName(tableName), autocomplete: "off", spellcheck: "false" });
  const errors = h("div", { class: "form-errors" });
  const submit = h("button", { type: "submit", class: "primary" }, "Create backup");
  const form = h("form", { novalidate: true }, h("div", { class: "row bottom" }, field("Backup name", name), submit), errors);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    errors.replaceChildren();
    busy(submit, errors, async () => {
      try {
        checkName(name.value.trim(), "Backup name", name);
      } catch (error) {
        markInvalid(form, error);
        throw error;
      }
      markInvalid(form, null);
      await dynamodb("CreateBackup", { TableName: tableName, BackupName: name.value.trim() });
      notice(`Backup ${name.value.trim()} is being created.`);
      name.value = defaultBackupName(tableName);
      await backups.refresh();
    });
  });
  return form;
}

async function drawPitr(section, tableName) {
  let described;
  try {
    described = await dynamodb("DescribeContinuousBackups", { TableName: tableName });
  } catch (error) {
    clear(section, h("h2", {}, "Point-in-time recovery"), errorBox(error));
    return;
  }
  const pitr = described.ContinuousBackupsDescription.PointInTimeRecoveryDescription;
  const on = pitr.PointInTimeRecoveryStatus === "ENABLED";
  const errors = h("div", { class: "form-errors" });
  const toggle = h("button", { type: "button" }, on ? "Turn off point-in-time recovery" : "Turn on point-in-time recovery");
  toggle.addEventListener("click", () =>
    busy(toggle, errors, async () => {
      await dynamodb("UpdateContinuousBackups", {
        TableName: tableName,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: !on },
      });
      notice(`Point-in-time recovery turned ${on ? "off" : "on"}.`);
      await drawPitr(section, tableName);
    }),
  );
  const window = on
    ? h(
        "dl",
        { class: "facts" },
        h("dt", {}, "Earliest restorable time"), h("dd", {}, formatTime(pitr.EarliestRestorableDateTime)),
        h("dt", {}, "Latest restorable time"), h("dd", {}, formatTime(pitr.LatestRestorableDateTime)),
      )
    : null;
  clear(
    section,
    h("h2", {}, "Point-in-time recovery"),
    h("p", {}, "Status: ", badge(pitr.PointInTimeRecoveryStatus), " ", toggle),
    errors,
    window,
    on ? timeline(tableName, pitr, () => drawPitr(section, tableName)) : null,
  );
}

/** The inputs hold whole milliseconds: an end of the window, cut to them, would fall just
 * outside it, so a time within a millisecond of an end is that end. */
function snapToEnds(epoch, earliest, latest) {
  if (Math.abs(epoch - earliest) < 0.001) return earliest;
  if (Math.abs(epoch - latest) < 0.001) return latest;
  return epoch;
}

/** "Restore to a point in time": a range between the earliest and latest restorable times and
 * a date-and-time input kept in step with it, or the latest restorable time. */
function timeline(tableName, pitr, reload) {
  const earliest = Number(pitr.EarliestRestorableDateTime);
  const latest = Number(pitr.LatestRestorableDateTime);
  const range = h("input", { type: "range", min: String(earliest), max: String(latest), step: "any", value: String(latest) });
  const when = h("input", {
    type: "datetime-local",
    step: "0.001",
    min: localInputValue(earliest),
    max: localInputValue(latest),
    value: localInputValue(latest),
  });
  const useLatest = h("input", { type: "checkbox" });
  range.addEventListener("input", () => {
    when.value = localInputValue(range.value);
  });
  when.addEventListener("input", () => {
    const epoch = epochOfInput(when.value);
    if (!Number.isNaN(epoch)) range.value = String(epoch);
  });
  useLatest.addEventListener("change", () => {
    range.disabled = useLatest.checked;
    when.disabled = useLatest.checked;
  });
  const refresh = h("button", { type: "button", class: "link", onclick: reload }, "Refresh the restorable window");
  const picker = h(
    "div",
    { class: "timeline" },
    field("Restore point", range),
    h("div", { class: "timeline-ends muted" }, h("span", {}, formatTime(earliest)), h("span", {}, formatTime(latest))),
    field("Restore date and time", when, "Local time, to the millisecond"),
    h("label", { class: "check" }, useLatest, "Use the latest restorable time"),
    refresh,
  );
  const send = (target) => {
    const body = { SourceTableName: tableName, ...target };
    if (useLatest.checked) {
      body.UseLatestRestorableTime = true;
    } else {
      const epoch = epochOfInput(when.value);
      if (Number.isNaN(epoch)) throw new FormError("Choose a date and time to restore to.", when);
      body.RestoreDateTime = snapToEnds(epoch, earliest, latest);
    }
    return dynamodb("RestoreTableToPointInTime", body);
  };
  const form = restoreForm("Restore to a point in time", `${tableName}-pitr`, send, "Restore to a new table");
  form.querySelector("fieldset").insertBefore(picker, form.querySelector("fieldset .restore-target"));
  return form;
}
