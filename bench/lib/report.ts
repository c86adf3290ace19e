import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { BENCH_DIR } from "./child.js";
import { renderChart, type Chart } from "./svg.js";

export const RESULTS_DIR = join(BENCH_DIR, "results");

/** A target of issue 6: PASS/MISS, or null when the issue asks only for a report. */
export interface Target {
  name: string;
  target: string;
  /** Ours, with the figure the target is about first. */
  value: string;
  /** The baseline it is compared with, measured in the same run. */
  baseline: string;
  pass: boolean | null;
}

export interface ScenarioReport {
  id: number;
  name: string;
  title: string;
  /** Sizes actually used (after --quick or a cap). */
  params: Record<string, unknown>;
  table: { columns: string[]; rows: string[][] };
  /** "gateway ÷ baseline" and similar, printed after the table. */
  ratios: Array<{ name: string; value: string }>;
  targets: Target[];
  notes: string[];
  chart: Chart;
  /** Everything measured, for the JSON file. */
  data: Record<string, unknown>;
}

export interface Machine {
  nproc: number;
  cpu: string;
  memTotal: string;
  memFree: string;
  node: string;
  redis: string;
  loadAvg: string;
  freeH: string;
}

export function machineInfo(): Machine {
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  let redis = "unknown";
  try {
    redis = /redis_version:(\S+)/.exec(execFileSync("redis-cli", ["info", "server"], { encoding: "utf8" }))?.[1] ?? redis;
  } catch {
    /* redis-cli missing: the version stays unknown */
  }
  let freeH = "";
  try {
    freeH = execFileSync("free", ["-h"], { encoding: "utf8" }).trim();
  } catch {
    /* not Linux */
  }
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memTotal: gib(totalmem()),
    memFree: gib(freemem()),
    node: process.version,
    redis,
    loadAvg: loadavg().map((l) => l.toFixed(2)).join(" "),
    freeH,
  };
}

export function formatTable(columns: string[], rows: string[][]): string {
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(columns), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export const verdict = (t: Target): string => (t.pass === null ? "REPORT" : t.pass ? "PASS" : "MISS");

export function printReport(r: ScenarioReport): void {
  const out: string[] = [];
  out.push("", `=== ${r.id}. ${r.name}: ${r.title}`);
  out.push(`params: ${Object.entries(r.params).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(", ")}`);
  out.push("", formatTable(r.table.columns, r.table.rows), "");
  for (const ratio of r.ratios) out.push(`ratio  ${ratio.name}: ${ratio.value}`);
  for (const t of r.targets) out.push(`${verdict(t).padEnd(6)} ${t.name}: ${t.value}; baseline ${t.baseline} (target ${t.target})`);
  for (const n of r.notes) out.push(`note   ${n}`);
  process.stdout.write(`${out.join("\n")}\n`);
}

/**
 * bench/results/<name>.json (the raw results, everything measured) and <name>.svg, both committed, so every
 * figure the README quotes can be traced to what was measured; a --quick run writes <name>.quick.json and
 * <name>.quick.svg (both git-ignored), so a smoke run never replaces the full-size results.
 */
export function writeReport(r: ScenarioReport, machine: Machine, quick: boolean): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = { ...r, chart: undefined, machine, quick, finishedAt: new Date().toISOString() };
  const base = quick ? `${r.name}.quick` : r.name;
  writeFileSync(join(RESULTS_DIR, `${base}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${base}.svg`), renderChart(r.chart));
}

/** The whole run as Markdown: what the README's Performance section shows. */
export function summaryMarkdown(reports: ScenarioReport[], machine: Machine, quick: boolean, command: string): string {
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`${command}\`${quick ? " (--quick: reduced sizes)" : ""} on ${machine.nproc} × ${machine.cpu}, ` +
      `${machine.memTotal} RAM, Node ${machine.node}, Redis ${machine.redis} (load average at start: ${machine.loadAvg}).`,
    "",
    "| # | scenario | push-mfa-gateway | baseline (same run) | target | result |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of reports) {
    for (const t of r.targets) lines.push(`| ${r.id} | ${r.name}: ${t.name} | ${t.value} | ${t.baseline} | ${t.target} | ${verdict(t)} |`);
  }
  return `${lines.join("\n")}\n`;
}

type StoredReport = ScenarioReport & { machine: Machine; quick: boolean; finishedAt: string };

/**
 * summary.md from the latest full-size JSON of each scenario (quick runs never count), with when and under which
 * load each ran: a scenario re-run alone replaces its own rows only. Besides the targets, each scenario's table,
 * ratios and notes, so that every figure the README's Performance section quotes is here, generated, next to
 * the charts and the raw JSON it comes from.
 */
export function latestSummary(order: string[]): string {
  const runs: StoredReport[] = [];
  for (const name of order) {
    const file = join(RESULTS_DIR, `${name}.json`);
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, "utf8")) as StoredReport;
    if (!r.quick && Array.isArray(r.targets) && r.targets.every((t) => "baseline" in t)) runs.push(r);
  }
  const m = runs[0]?.machine;
  const lines = [
    "<!-- Generated by `npm run bench` from bench/results/<scenario>.json: do not edit by hand. -->",
    "",
    m
      ? `Measured with \`npm run bench\` on ${m.nproc} × ${m.cpu}, ${m.memTotal} RAM, Node ${m.node}, Redis ${m.redis}; the machine is shared, so each ratio compares with a baseline measured in the same run.`
      : "No full-size results yet: run `npm run bench`.",
    "",
    "| # | scenario | push-mfa-gateway | baseline (same run) | target | result |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of runs) for (const t of r.targets) lines.push(`| ${r.id} | ${r.name}: ${t.name} | ${cell(t.value)} | ${cell(t.baseline)} | ${t.target} | ${verdict(t)} |`);
  lines.push("", "| scenario | finished | load average at start | sizes |", "|---|---|---|---|");
  for (const r of runs) {
    const { elapsedSeconds, loadAverageAtStart, ...sizes } = r.params;
    lines.push(`| ${r.name} | ${r.finishedAt.slice(0, 16).replace("T", " ")} UTC (${String(elapsedSeconds)} s) | ${String(loadAverageAtStart)} | ${cell(Object.entries(sizes).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(", "))} |`);
  }
  for (const r of runs) lines.push("", ...scenarioSection(r));
  return `${lines.join("\n")}\n`;
}

/** One scenario's figures: its table, ratios and notes as the run printed them, and its chart. */
function scenarioSection(r: StoredReport): string[] {
  const out = [`## ${r.id}. ${r.name}: ${r.title}`, "", `Raw results: [${r.name}.json](${r.name}.json). Finished ${r.finishedAt.slice(0, 16).replace("T", " ")} UTC.`, ""];
  if (r.table?.columns.length) {
    out.push(`| ${r.table.columns.map(cell).join(" | ")} |`, `|${r.table.columns.map(() => "---").join("|")}|`);
    for (const row of r.table.rows) out.push(`| ${r.table.columns.map((_, i) => cell(row[i] ?? "")).join(" | ")} |`);
    out.push("");
  }
  for (const ratio of r.ratios ?? []) out.push(`- ${ratio.name}: ${ratio.value}`);
  for (const note of r.notes ?? []) out.push(`- ${note}`);
  out.push("", `![${r.name}](${r.name}.svg)`);
  return out;
}

/** A Markdown table cell: a pipe would end it. */
const cell = (s: string): string => s.replaceAll("|", "\\|");
