import { fmt } from "./stats.js";

/** Where an item's CPU went, per item: one kind of process, and how many of them ran. */
export interface Cost {
  name: string;
  msEach: number;
  processes: number;
}

/** One step of a scaling curve: `n` processes, their rate, the cores busy meanwhile, and where an item's CPU went. */
export interface SlopeStep {
  n: number;
  perSec: number;
  coresBusy: number;
  costs: Cost[];
}

/** Each step's gain over the one before: "1 → 2: 1.6× (cores busy 1.1 → 1.9), 2 → 4: 1.02× (1.9 → 2.0)". */
export const gains = (steps: readonly SlopeStep[]): string =>
  steps
    .slice(1)
    .map((s, i) => {
      const p = steps[i]!;
      return `${p.n} → ${s.n}: ${fmt(s.perSec / p.perSec)}× (cores busy ${fmt(p.coresBusy, 2)} → ${fmt(s.coresBusy, 2)})`;
    })
    .join(", ");

/** Where the curve bends: the first step after which more processes gain less than `minGain` (15 %), if any. */
export function bendAt<T extends SlopeStep>(steps: readonly T[], minGain = 1.15): T | undefined {
  return steps.find((s, i) => i + 1 < steps.length && steps[i + 1]!.perSec < s.perSec * minGain);
}

/**
 * A curve read off in words: the gain per step, where it bends, and why. Past the bend, what an item cost on all
 * the cores (the measured processes' CPU) against what the cores could carry at that cost; if the cores were
 * all busy, they ran out; if not, how busy each single process was (one of them set the pace).
 */
export function readSlope(steps: readonly SlopeStep[], o: { what: string; items: string; item: string; cores: number; uncounted?: string }): string {
  const procs = (n: number) => `${n} ${o.what} process${n > 1 ? "es" : ""}`;
  const head = `${o.items[0]!.toUpperCase()}${o.items.slice(1)} vs ${o.what} processes, gain per step: ${gains(steps)}.`;
  const b = bendAt(steps);
  if (!b) return `${head} No bend up to ${procs(steps[steps.length - 1]!.n)}: each step still gained 15 % or more.`;
  const next = steps[steps.indexOf(b) + 1]!;
  const total = next.costs.reduce((s, c) => s + c.msEach, 0);
  const share = (c: Cost, s: SlopeStep) => `${fmt((100 * c.msEach * s.perSec) / 1000 / c.processes, 2)} %`;
  const full = next.coresBusy >= 0.85 * o.cores;
  const own = b.costs.find((c) => c.name === o.what);
  return (
    `${head} The curve bends at ${procs(b.n)} (${fmt(b.perSec)}/s, ${fmt(b.coresBusy, 2)} of ${o.cores} cores busy` +
    (own ? `, each ${o.what} process ${share(own, b)} of a core` : "") +
    `): ${procs(next.n)} gained ${fmt(next.perSec / b.perSec)}×, with ${fmt(next.coresBusy, 2)} of ${o.cores} cores busy. ` +
    `${/^[aeiou]/i.test(o.item) ? "An" : "A"} ${o.item} there cost ${next.costs.map((c) => `${fmt(c.msEach)} ms ${c.name}`).join(" + ")} = ${fmt(total)} ms of CPU${o.uncounted ? ` (${o.uncounted} not counted)` : ""}, ` +
    `so ${o.cores} cores carry at most about ${fmt((o.cores * 1000) / total)} ${o.items}/s at that cost (measured ${fmt(next.perSec)}/s). ` +
    (full
      ? `The cores ran out: more ${o.what} processes only share them` +
        (own ? ` (${o.what} CPU per ${o.item}: ${steps.map((s) => fmt(s.costs.find((c) => c.name === o.what)?.msEach ?? Number.NaN)).join(" → ")} ms)` : "") +
        `, a limit of this machine's ${o.cores} cores, not of the design.`
      : `The cores were not all busy, so one process set the pace: ${next.costs.map((c) => `${c.processes > 1 ? `each ${c.name} process` : c.name} ${share(c, next)}`).join(", ")} of a core.`)
  );
}
