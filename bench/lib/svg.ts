/**
 * Hand-written SVG bar charts (no dependency): one panel per metric, horizontal bars, the baseline in grey, ours
 * in blue, an optional dashed target line. Panels have their own scale, linear or logarithmic.
 */

export interface Bar {
  label: string;
  value: number;
  /** Shown after the bar instead of the plain number. */
  text?: string;
  kind?: "ours" | "baseline" | "other";
}

export interface Panel {
  title: string;
  bars: Bar[];
  log?: boolean;
  /** A dashed vertical line (e.g. "target: ≤ 3× bare"). */
  target?: { value: number; label: string };
}

export interface Chart {
  title: string;
  subtitle?: string;
  panels: Panel[];
  /** Legend text per bar kind, when not the default. */
  legend?: Partial<Record<"ours" | "baseline" | "other", string>>;
}

const LEGEND = { ours: "push-mfa-gateway", baseline: "baseline", other: "polling" } as const;

const COLORS = { ours: "#2b6cb0", baseline: "#a0aec0", other: "#dd6b20" } as const;
const esc = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** About how wide a text is drawn (Helvetica/Arial average advance; bold a little wider): no font metrics here. */
const textWidth = (s: string, size: number, bold = false) => s.length * size * (bold ? 0.62 : 0.56);
/** The font size at which a text fits `room` px by that estimate (never larger than `size`, never below 7). */
const fit = (s: string, size: number, room: number, bold = false) => {
  const w = textWidth(s, size, bold);
  return w > room ? Math.max(7, Math.floor((size * room * 10) / w) / 10) : size;
};

export function renderChart(c: Chart): string {
  const width = 820;
  const labelW = 250;
  const barW = 420;
  const rowH = 24;
  /** Right edge every text stays left of. */
  const right = width - 12;
  const out: string[] = [];
  let y = 28;
  out.push(`<text x="16" y="${y}" font-size="${fit(c.title, 17, right - 16, true)}" font-weight="bold">${esc(c.title)}</text>`);
  if (c.subtitle) {
    y += 20;
    out.push(`<text x="16" y="${y}" font-size="${fit(c.subtitle, 12, right - 16)}" fill="#4a5568">${esc(c.subtitle)}</text>`);
  }
  y += 16;
  for (const p of c.panels) {
    y += 22;
    out.push(`<text x="16" y="${y}" font-size="${fit(p.title, 13, right - 16, true)}" font-weight="bold" fill="#2d3748">${esc(p.title)}</text>`);
    y += 8;
    const values = [...p.bars.map((b) => b.value), ...(p.target ? [p.target.value] : [])].filter((v) => Number.isFinite(v) && v > 0);
    const max = Math.max(...values, 1e-9);
    const min = Math.min(...values, max);
    const lo = p.log ? min / 2 : 0;
    /** A bar's length as a share of the longest possible one. */
    const share = (v: number): number => {
      if (!Number.isFinite(v) || v <= 0) return 0;
      if (!p.log) return v / max;
      return Math.max(2 / barW, Math.log10(v / lo) / Math.log10((max * 1.05) / lo));
    };
    const textOf = (b: Bar) => b.text ?? String(b.value);
    // Shorten the panel's bars (to half at most) so the text after each one ends inside the picture.
    const room = right - labelW - 6;
    const full = Math.max(barW / 2, Math.min(barW, ...p.bars.filter((b) => share(b.value) > 0).map((b) => (room - textWidth(textOf(b), 12)) / share(b.value))));
    const scale = (v: number): number => share(v) * full;
    const top = y;
    for (const b of p.bars) {
      const w = scale(b.value);
      const color = COLORS[b.kind ?? "ours"];
      out.push(`<text x="${labelW - 8}" y="${y + 16}" font-size="${fit(b.label, 12, labelW - 16)}" text-anchor="end">${esc(b.label)}</text>`);
      out.push(`<rect x="${labelW}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${color}" rx="2"/>`);
      out.push(`<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 16}" font-size="${fit(textOf(b), 12, room - w)}" fill="#1a202c">${esc(textOf(b))}</text>`);
      y += rowH;
    }
    if (p.target && Number.isFinite(p.target.value) && p.target.value > 0) {
      const x = labelW + scale(p.target.value);
      out.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${y + 2}" stroke="#c53030" stroke-dasharray="4 3"/>`);
      // Right of the line, or left of it when it would run past the edge.
      const after = x + 4 + textWidth(p.target.label, 11) <= right;
      out.push(`<text x="${(after ? x + 4 : x - 4).toFixed(1)}" y="${y + 14}" font-size="11" fill="#c53030"${after ? "" : ' text-anchor="end"'}>${esc(p.target.label)}</text>`);
      y += 16;
    }
    if (p.log) {
      out.push(`<text x="${labelW}" y="${y + 12}" font-size="10" fill="#718096">log scale</text>`);
      y += 12;
    }
  }
  y += 24;
  const used = new Set(c.panels.flatMap((p) => p.bars.map((b) => b.kind ?? "ours")));
  const legend = (["ours", "baseline", "other"] as const)
    .filter((k) => used.has(k))
    .map((k) => `<tspan fill="${COLORS[k]}">■</tspan> ${esc(c.legend?.[k] ?? LEGEND[k])}`)
    .join("   ");
  out.push(`<text x="16" y="${y - 6}" font-size="10" fill="#718096">${legend}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...out,
    `</svg>`,
    "",
  ].join("\n");
}
