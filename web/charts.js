// Sendguard console: one small chart, drawn by hand as SVG (no library: see ARCHITECTURE.md,
// "Console charts"). A stacked bar chart over days that screen readers read as one image with
// a title and a summary; the numbers themselves are in a table beside it (dashboard.js).
// Colours come from style.css (`.series-N`, a colour-blind-safe palette) and every series is
// named in a legend, so no meaning rests on colour alone.

const SVG = "http://www.w3.org/2000/svg";
/** Series beyond this many share the last colour class. */
export const SERIES_COLOURS = 8;

/** An SVG element with attributes. */
function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A round upper bound for the axis: 1, 2, 5 times a power of ten. */
export function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

/**
 * A stacked bar chart: one bar per category (a day), one stacked part per series.
 * @param {{ id: string, title: string, summary: string, categories: string[],
 *           series: { name: string, values: number[] }[] }} chart
 * @returns {HTMLElement} a figure with the SVG and its legend
 */
export function stackedBars({ id, title, summary, categories, series }) {
  const width = 640, height = 220, left = 40, bottom = 40, top = 10, right = 10;
  const plotWidth = width - left - right, plotHeight = height - top - bottom;
  const totals = categories.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const image = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${id}-title ${id}-desc`, class: "chart" });
  image.append(svg("title", { id: `${id}-title` }, title), svg("desc", { id: `${id}-desc` }, summary));
  for (const fraction of [0, 0.5, 1]) {
    const y = top + plotHeight * (1 - fraction);
    image.append(svg("line", { x1: left, x2: width - right, y1: y, y2: y, class: "grid" }));
    image.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", class: "axis" }, String(max * fraction)));
  }
  const slot = plotWidth / Math.max(1, categories.length);
  const barWidth = Math.max(2, slot * 0.7);
  categories.forEach((category, i) => {
    const x = left + slot * i + (slot - barWidth) / 2;
    let y = top + plotHeight;
    series.forEach((s, n) => {
      const value = s.values[i] || 0;
      if (!value) return;
      const h = (value / max) * plotHeight;
      y -= h;
      image.append(svg("rect", { x, y, width: barWidth, height: h, class: `series-${Math.min(n, SERIES_COLOURS - 1)}` }));
    });
    // Label the first, the last and about every seventh day, so labels never collide.
    const every = Math.max(1, Math.ceil(categories.length / 7));
    if (i % every === 0 || i === categories.length - 1) {
      image.append(svg("text", { x: x + barWidth / 2, y: height - bottom + 16, "text-anchor": "middle", class: "axis" }, category.slice(5)));
    }
  });
  const legend = document.createElement("ul");
  legend.className = "legend";
  series.forEach((s, n) => {
    const item = document.createElement("li");
    const swatch = svg("svg", { viewBox: "0 0 10 10", class: "swatch", "aria-hidden": "true" });
    swatch.append(svg("rect", { width: 10, height: 10, class: `series-${Math.min(n, SERIES_COLOURS - 1)}` }));
    item.append(swatch, document.createTextNode(` ${s.name}`));
    legend.append(item);
  });
  const figure = document.createElement("figure");
  figure.className = "chart-figure";
  figure.append(image, legend);
  return figure;
}
