// Restoring to a new table, shared by the backups pages and point-in-time recovery: the new
// table's name and capacity override, and the new table's status until it is ACTIVE.

import { dynamodb } from "../api.js";
import { busy, clear, errorBox, field, h, select } from "../ui.js";
import { badge, checkName, markInvalid, repeat } from "./common.js";
import { capacityInputs } from "./table_form.js";

/** The new table's name and an optional billing override; `value()` is the part of a
 * Restore… request they decide. */
export function targetFields(suggestedName) {
  const name = h("input", { type: "text", value: suggestedName, autocomplete: "off", spellcheck: "false" });
  const mode = select(
    [["", "Same as the source"], ["PAY_PER_REQUEST", "On-demand"], ["PROVISIONED", "Provisioned"]],
    "",
  );
  const capacity = capacityInputs();
  capacity.node.hidden = true;
  mode.addEventListener("change", () => {
    capacity.node.hidden = mode.value !== "PROVISIONED";
  });
  const node = h(
    "div",
    { class: "restore-target" },
    h("div", { class: "row" }, field("New table name", name), field("Capacity mode of the new table", mode)),
    capacity.node,
  );
  const value = () => {
    const body = { TargetTableName: checkName(name.value.trim(), "New table name", name) };
    if (mode.value) body.BillingModeOverride = mode.value;
    if (mode.value === "PROVISIONED") body.ProvisionedThroughputOverride = capacity.value();
    return body;
  };
  return { node, value };
}

/** A "Restore" form: `send(target)` makes the Restore… call; then the new table's progress. */
export function restoreForm(legend, suggestedName, send, submitText = "Restore") {
  const target = targetFields(suggestedName);
  const errors = h("div", { class: "form-errors" });
  const outcome = h("div", { class: "restore-outcome", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, submitText);
  const form = h(
    "form",
    { class: "restore-form", novalidate: true },
    h("fieldset", {}, h("legend", {}, legend), target.node, errors, h("div", { class: "actions" }, submit)),
    outcome,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    errors.replaceChildren();
    busy(submit, errors, async () => {
      let body;
      try {
        body = target.value();
        await send(body);
      } catch (error) {
        markInvalid(form, error);
        throw error;
      }
      markInvalid(form, null);
      watchNewTable(body.TargetTableName, outcome);
    });
  });
  return form;
}

/** The status of a table being restored, polled until it is ACTIVE, then a link to it. */
export async function watchNewTable(name, where) {
  const status = h("span", {}, badge("CREATING"));
  clear(where, h("p", { class: "watch-table" }, `New table ${name}: `, status));
  await repeat(where, 1000, async () => {
    try {
      const table = (await dynamodb("DescribeTable", { TableName: name })).Table;
      clear(status, badge(table.TableStatus));
      if (table.TableStatus !== "ACTIVE") return true;
      where.firstChild.append(" ", h("a", { href: `#/tables/${encodeURIComponent(name)}` }, `Open ${name}`));
      return false;
    } catch (error) {
      clear(status, errorBox(error));
      return false;
    }
  });
}
