import { existsSync, readFileSync } from "node:fs";

/**
 * A `.cpuprofile` (node --cpu-prof) summarised: self time by function and by package, the main thread only
 * (work on libuv's pool, such as scrypt, does not appear in it).
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  functions: Array<{ name: string; ms: number; pct: number }>;
  packages: Array<{ name: string; ms: number; pct: number }>;
  /** Our own functions (src/, workers/) by inclusive time: what they and everything they call cost. */
  ours: Array<{ name: string; ms: number; pct: number }>;
  /** Share of samples that were not idle. */
  busyPct: number;
}

function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith("node:")) return "node: core";
  const own = /\/(src|workers|bench|test)\/(.*)$/.exec(url);
  if (own) return `ours: ${own[1]}/${own[2]!.split("/")[0]}`;
  return url;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary | null {
  if (!existsSync(file)) return null;
  const p = JSON.parse(readFileSync(file, "utf8")) as { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] };
  const totalHits = p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
  const totalMs = (p.endTime - p.startTime) / 1000;
  const msPerHit = totalMs / totalHits;
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const short = url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(src|workers|bench|test)\//, "$1/");
    const fnKey = `${functionName || "(anonymous)"} ${short ? `${short}:${lineNumber + 1}` : ""}`.trim();
    byFn.set(fnKey, (byFn.get(fnKey) ?? 0) + hits);
    const pkg = packageOf(url, functionName);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + hits);
  }
  // Inclusive hits: a node's own plus its subtree's; a function counted once per stack (recursion).
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const keyOf = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const short = url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(src|workers|bench|test)\//, "$1/");
    return `${functionName || "(anonymous)"} ${short ? `${short}:${lineNumber + 1}` : ""}`.trim();
  };
  const inclusive = new Map<string, number>();
  const visit = (id: number, onStack: Set<string>): number => {
    const n = byId.get(id);
    if (!n) return 0;
    const key = keyOf(n);
    const own = /\/(src|workers)\//.test(n.callFrame.url) && !onStack.has(key);
    if (own) onStack.add(key);
    let hits = n.hitCount ?? 0;
    for (const c of n.children ?? []) hits += visit(c, onStack);
    if (own) {
      onStack.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + hits);
    }
    return hits;
  };
  visit(p.nodes[0]!.id, new Set());
  const idle = p.nodes.filter((n) => n.callFrame.functionName === "(idle)").reduce((a, n) => a + (n.hitCount ?? 0), 0);
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, hits]) => ({ name, ms: hits * msPerHit, pct: (100 * hits) / totalHits }));
  return { file, totalMs, functions: rank(byFn), packages: rank(byPkg), ours: rank(inclusive), busyPct: (100 * (totalHits - idle)) / totalHits };
}

export function printProfile(s: ProfileSummary): void {
  const lines = [``, `cpu profile ${s.file} (${(s.totalMs / 1000).toFixed(1)} s wall, main thread busy ${s.busyPct.toFixed(0)}%)`, `  self time by package:`];
  for (const p of s.packages) lines.push(`    ${p.pct.toFixed(1).padStart(5)}%  ${p.name}`);
  lines.push(`  self time by function:`);
  for (const f of s.functions) lines.push(`    ${f.pct.toFixed(1).padStart(5)}%  ${f.name}`);
  lines.push(`  our functions, inclusive (what they and their callees cost):`);
  for (const f of s.ours) lines.push(`    ${f.pct.toFixed(1).padStart(5)}%  ${f.name}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}
