/**
 * Small, accessible SVG charts drawn here (no library): each is a <figure> whose <svg role="img"> carries a
 * <title> and is described by a text summary beside it (the figcaption), so the numbers read without the picture.
 * Colours come from classes in console.css (the page's CSP allows no inline style).
 */

const NS = "http://www.w3.org/2000/svg";

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export interface Part {
  name: string;
  /** The CSS class that colours it (console.css: .c-approved, .c-denied…). */
  className: string;
  value: number;
}

/** A figure around `svg`, titled and described by `summary`, with a legend of `legend`. */
function figure(id: string, title: string, summary: string, svg: SVGSVGElement, legend: Array<Pick<Part, "name" | "className">>): HTMLElement {
  const fig = document.createElement("figure");
  fig.className = "chart";
  fig.id = id;
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-labelledby", `${id}-title`);
  svg.setAttribute("aria-describedby", `${id}-summary`);
  svg.prepend(svgEl("title", { id: `${id}-title` }, title));
  const heading = document.createElement("h3");
  heading.textContent = title;
  const caption = document.createElement("figcaption");
  caption.id = `${id}-summary`;
  caption.textContent = summary;
  const keys = document.createElement("ul");
  keys.className = "legend";
  keys.setAttribute("aria-hidden", "true");
  for (const l of legend) {
    const li = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch ${l.className}`;
    li.append(swatch, l.name);
    keys.append(li);
  }
  fig.append(heading, svg, ...(legend.length > 1 ? [keys] : []), caption);
  return fig;
}

/** Stacked vertical bars, one per label (time buckets), the newest at the right. */
export function stackedBars(o: { id: string; title: string; summary: string; labels: string[]; bars: Part[][]; width?: number; height?: number }): HTMLElement {
  const width = o.width ?? 600;
  const height = o.height ?? 140;
  const axis = 16;
  const max = Math.max(1, ...o.bars.map((parts) => parts.reduce((a, p) => a + p.value, 0)));
  const slot = width / Math.max(1, o.bars.length);
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height + axis}`, width: "100%", preserveAspectRatio: "none", class: "bars" });
  svg.append(svgEl("line", { x1: 0, y1: height, x2: width, y2: height, class: "axis" }));
  o.bars.forEach((parts, i) => {
    let y = height;
    const g = svgEl("g");
    const total = parts.reduce((a, p) => a + p.value, 0);
    g.append(svgEl("title", {}, `${o.labels[i] ?? ""}: ${total ? parts.filter((p) => p.value).map((p) => `${p.value} ${p.name}`).join(", ") : "none"}`));
    for (const p of parts) {
      if (!p.value) continue;
      const h = (p.value / max) * (height - 4);
      y -= h;
      g.append(svgEl("rect", { x: i * slot + slot * 0.1, y, width: Math.max(1, slot * 0.8), height: h, class: p.className }));
    }
    svg.append(g);
  });
  svg.append(svgEl("text", { x: 0, y: height + axis - 3, class: "tick" }, o.labels[0] ?? ""));
  svg.append(svgEl("text", { x: width, y: height + axis - 3, class: "tick end" }, o.labels.at(-1) ?? ""));
  svg.append(svgEl("text", { x: 2, y: 10, class: "tick" }, `max ${max}`));
  const legend = o.bars[0]?.map(({ name, className }) => ({ name, className })) ?? [];
  return figure(o.id, o.title, o.summary, svg, legend);
}

/** Horizontal stacked bars, one row per label (providers, percentiles). */
export function rowBars(o: { id: string; title: string; summary: string; rows: Array<{ label: string; parts: Part[]; note?: string }>; width?: number }): HTMLElement {
  const width = o.width ?? 600;
  const labelW = 120;
  const row = 22;
  const height = Math.max(1, o.rows.length) * row;
  const max = Math.max(1, ...o.rows.map((r) => r.parts.reduce((a, p) => a + p.value, 0)));
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", class: "rows" });
  o.rows.forEach((r, i) => {
    const y = i * row;
    svg.append(svgEl("text", { x: 0, y: y + 15, class: "tick" }, r.label));
    let x = labelW;
    const g = svgEl("g");
    g.append(svgEl("title", {}, `${r.label}: ${r.note ?? r.parts.map((p) => `${p.value} ${p.name}`).join(", ")}`));
    for (const p of r.parts) {
      if (!p.value) continue;
      const w = (p.value / max) * (width - labelW - 70);
      g.append(svgEl("rect", { x, y: y + 4, width: Math.max(1, w), height: row - 8, class: p.className }));
      x += w;
    }
    svg.append(g);
    svg.append(svgEl("text", { x: x + 6, y: y + 15, class: "tick" }, r.note ?? String(r.parts.reduce((a, p) => a + p.value, 0))));
  });
  if (!o.rows.length) svg.append(svgEl("text", { x: 0, y: 15, class: "tick" }, "No data yet"));
  const legend = o.rows[0]?.parts.map(({ name, className }) => ({ name, className })) ?? [];
  return figure(o.id, o.title, o.summary, svg, legend);
}
