// Time-series charts on the vendored uPlot. Each chart is a section with a heading, units on
// its y axis, uPlot's legend, and a text alternative for people who cannot see the canvas:
// the plot is role=img with a summary (each series' largest value and when), and a "Data
// table" disclosure lists the figures themselves. A chart without any datapoint says so in
// words instead of drawing empty axes.

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { clear, h, uid } from "./ui.js";

// Okabe and Ito's palette (told apart with the common colour-vision deficiencies), then the
// same colours dashed when a chart has more series than colours.
const COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"];
const HEIGHT = 220;

/** A number as a person reads it: at most three decimals, thousands separated. */
export function formatValue(value) {
  if (value === null || value === undefined) return "no data";
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { maximumFractionDigits: digits });
}

function formatMoment(seconds) {
  return new Date(seconds * 1000).toLocaleString([], {
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** A chart for `spec` = {key, title, unit, note?, empty, series: [{label, dashed?}]}. Call
 * `update(times, columns, hasData)` with epoch seconds and one array of values (null: a gap)
 * per series. The section carries `data-points` (how many datapoints CloudWatch returned) and
 * the figures drawn as its `chartData` property. */
export function timeChart(spec) {
  const headingId = uid("chart");
  const plot = h("div", { class: "plot", role: "img" });
  const empty = h("p", { class: "chart-empty muted", hidden: true }, spec.empty);
  const table = h("div", { class: "chart-table" });
  const details = h("details", {}, h("summary", {}, "Data table"), table);
  const section = h(
    "section",
    { class: "chart", "aria-labelledby": headingId, dataset: { chart: spec.key, points: "0" } },
    h("h3", { id: headingId }, spec.title),
    spec.note ? h("p", { class: "chart-note muted" }, spec.note) : null,
    plot,
    empty,
    details,
  );
  const state = { plot: null, data: null };
  details.addEventListener("toggle", () => details.open && fillTable(table, spec, state.data));
  watchWidth(section, state);
  return {
    element: section,
    update(times, columns, hasData, points) {
      state.data = { times, columns };
      const series = spec.series.map((s, i) => ({ label: s.label, values: columns[i] }));
      section.chartData = { times, series };
      section.dataset.points = String(points);
      const showPlot = hasData && spec.series.length > 0;
      plot.hidden = !showPlot;
      details.hidden = !showPlot;
      empty.hidden = showPlot;
      if (!showPlot) return;
      plot.setAttribute("aria-label", summary(spec, times, columns));
      draw(state, spec, plot, [times, ...columns]);
      if (details.open) fillTable(table, spec, state.data);
    },
  };
}

function draw(state, spec, plot, data) {
  if (state.plot) {
    state.plot.setData(data);
    return;
  }
  state.plot = new uPlot(options(spec, widthOf(plot.parentElement)), data, plot);
}

function options(spec, width) {
  return {
    width,
    height: HEIGHT,
    series: [
      { label: "Time", value: (u, v) => (v == null ? "" : formatMoment(v)) },
      ...spec.series.map((series, index) => seriesOptions(series, index, spec.unit)),
    ],
    axes: [
      {},
      {
        label: spec.unit,
        size: 64,
        values: (u, ticks) => ticks.map((tick) => formatValue(tick)),
      },
    ],
    // Figures start at zero: a flat line of small values should not look like a spike.
    scales: { y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
  };
}

// uPlot draws a point only where the points are sparse; a datapoint between two gaps (one
// busy minute) would then draw nothing at all, so those points are always drawn.
function lonePoints(u, seriesIndex, show) {
  if (show) return null; // every point is drawn anyway
  const values = u.data[seriesIndex];
  const lone = [];
  values.forEach((value, i) => {
    if (value != null && values[i - 1] == null && values[i + 1] == null) lone.push(i);
  });
  return lone.length ? lone : null;
}

function seriesOptions(series, index, unit) {
  const colour = series.colour || COLOURS[index % COLOURS.length];
  return {
    label: series.label,
    stroke: colour,
    width: 1.5,
    dash: series.dashed || index >= COLOURS.length ? [6, 4] : undefined,
    spanGaps: false, // a minute without a datapoint stays a gap
    points: { size: 5, fill: colour, filter: lonePoints },
    value: (u, v) => (v == null ? "–" : `${formatValue(v)} ${unit}`),
  };
}

function widthOf(section) {
  const style = getComputedStyle(section);
  const inner = section.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return Math.max(240, Math.floor(inner || 480));
}

// uPlot draws at a fixed size: follow the section's width as the window changes.
function watchWidth(section, state) {
  if (typeof ResizeObserver === "undefined") return;
  const observer = new ResizeObserver(() => {
    if (!section.isConnected) {
      observer.disconnect();
      return;
    }
    if (state.plot) state.plot.setSize({ width: widthOf(section), height: HEIGHT });
  });
  observer.observe(section);
}

/** "Title: GetItem peaked at 1.2 ms at Dec 6, 16:58; PutItem: no data." */
export function summary(spec, times, columns) {
  const parts = spec.series.map((series, index) => {
    const [peak, at] = maximum(columns[index]);
    if (peak === null) return `${series.label}: no data`;
    return `${series.label} peaked at ${formatValue(peak)} ${spec.unit} at ${formatMoment(times[at])}`;
  });
  return `${spec.title}. ${parts.join("; ")}.`;
}

function maximum(values) {
  let peak = null;
  let at = -1;
  values.forEach((value, index) => {
    if (value !== null && (peak === null || value > peak)) {
      peak = value;
      at = index;
    }
  });
  return [peak, at];
}

// The figures as a table: one row per period that has any, newest first.
function fillTable(target, spec, data) {
  if (!data) return;
  const head = h(
    "tr",
    {},
    h("th", { scope: "col" }, "Time"),
    spec.series.map((series) => h("th", { scope: "col" }, `${series.label} (${spec.unit})`)),
  );
  const rows = [];
  for (let i = data.times.length - 1; i >= 0; i -= 1) {
    const values = data.columns.map((column) => column[i]);
    if (values.every((value) => value === null || value === 0)) continue;
    rows.push(
      h(
        "tr",
        {},
        h("th", { scope: "row" }, formatMoment(data.times[i])),
        values.map((value) => h("td", {}, value === null ? "–" : formatValue(value))),
      ),
    );
  }
  if (rows.length === 0) {
    const span = String(spec.series.length + 1);
    rows.push(h("tr", {}, h("td", { colspan: span }, "Only zeros in this time range.")));
  }
  clear(
    target,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data" },
        h("caption", { class: "sr" }, spec.title),
        h("thead", {}, head),
        h("tbody", {}, rows),
      ),
    ),
  );
}
