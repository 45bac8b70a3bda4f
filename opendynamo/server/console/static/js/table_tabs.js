// The tab bar every page of one table shows (pages/table.js draws most tabs; Items is
// pages/items.js, Monitoring's charts come from pages/monitoring.js).

import { tabs } from "./ui.js";

export const TABLE_TABS = [
  ["overview", "Overview"],
  ["items", "Items"],
  ["indexes", "Indexes"],
  ["monitoring", "Monitoring"],
  ["backups", "Backups"],
  ["exports", "Exports and streams"],
  ["settings", "Settings"],
];

export function tableTabs(table, active) {
  const base = `#/tables/${encodeURIComponent(table)}`;
  return tabs(
    TABLE_TABS.map(([key, text]) => [key === "overview" ? base : `${base}/${key}`, text, key]),
    active,
  );
}
