import { existsSync, readdirSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { killAllChildren } from "./lib/child.js";
import { PROFILE_DIR } from "./lib/nodes.js";
import { printProfile, summarizeProfile } from "./lib/profile.js";
import { say } from "./lib/progress.js";
import { RESULTS_DIR, latestSummary, machineInfo, printReport, summaryMarkdown, writeReport, type ScenarioReport } from "./lib/report.js";
import { Resources, type Scenario } from "./lib/scenario.js";
import { latency } from "./scenarios/latency.js";
import { ping } from "./scenarios/ping.js";
import { sockets } from "./scenarios/sockets.js";
import { sns } from "./scenarios/sns.js";
import { cpu } from "./scenarios/cpu.js";
import { login } from "./scenarios/login.js";
import { fcm } from "./scenarios/fcm.js";
import { apns } from "./scenarios/apns.js";
import { longpoll } from "./scenarios/longpoll.js";
import { webpush } from "./scenarios/webpush.js";
import { growth } from "./scenarios/growth.js";

/**
 * `npm run bench [-- <scenario>… ] [--quick] [--cpu-prof]`: the scenarios of issues 6 and 17, each against a baseline
 * measured in the same run. Tables and PASS/MISS go to stdout, progress to stderr, JSON and SVG to bench/results/.
 */
const scenarios: Scenario[] = [latency, ping, sockets, sns, cpu, login, fcm, apns, longpoll, webpush, growth];

const args = process.argv.slice(2);
const quick = args.includes("--quick") || process.env.BENCH_QUICK === "1";
const cpuProf = args.includes("--cpu-prof");
const names = args.filter((a) => !a.startsWith("--"));
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(
    `usage: npm run bench [-- [scenario…] [--quick] [--cpu-prof]]\n\nscenarios:\n${scenarios.map((s) => `  ${s.id}  ${s.name.padEnd(8)} ${s.title}`).join("\n")}\n\n` +
      "--quick (or BENCH_QUICK=1): reduced counts and holds, a smoke run of a few minutes\n" +
      "--cpu-prof: profile the gateway/worker process during each measured window (V8 sampling profiler) and print where its main thread spends time\n",
  );
  process.exit(0);
}
const unknown = names.filter((n) => !scenarios.some((s) => s.name === n || String(s.id) === n));
if (unknown.length) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(", ")}; known: ${scenarios.map((s) => s.name).join(", ")}\n`);
  process.exit(2);
}
const selected = names.length ? scenarios.filter((s) => names.some((n) => s.name === n || String(s.id) === n)) : scenarios;

let current: Resources | undefined;
let interrupted = false;
process.on("SIGINT", () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  say("bench", "interrupted: stopping children and deleting this run's keys (Ctrl-C again to quit now)");
  void (current?.release() ?? Promise.resolve()).finally(() => {
    killAllChildren();
    process.exit(130);
  });
});

const machine = machineInfo();
process.stdout.write(
  `push-mfa-gateway benchmarks${quick ? " (--quick)" : ""}: ${machine.nproc} × ${machine.cpu}, ${machine.memTotal} RAM (${machine.memFree} free), ` +
    `Node ${machine.node}, Redis ${machine.redis}, load average ${machine.loadAvg}\n`,
);
if (cpuProf) rmSync(PROFILE_DIR, { recursive: true, force: true });

const reports: ScenarioReport[] = [];
const failures: string[] = [];
for (const s of selected) {
  const res = new Resources(s.name);
  current = res;
  const t0 = Date.now();
  const load = loadavg()[0]!.toFixed(1);
  say(s.name, `start${quick ? " (quick)" : ""}, load average ${load}`);
  try {
    const report = await s.run({ quick, cpuProf, res });
    await res.release();
    report.params = { ...report.params, elapsedSeconds: Math.round((Date.now() - t0) / 1000), loadAverageAtStart: Number(load) };
    printReport(report);
    writeReport(report, machine, quick);
    reports.push(report);
    if (cpuProf) {
      for (const f of existsSync(PROFILE_DIR) ? readdirSync(PROFILE_DIR).filter((f) => f.startsWith(`${s.name}-`) && f.endsWith(".cpuprofile")) : []) {
        const summary = summarizeProfile(join(PROFILE_DIR, f));
        if (summary) printProfile(summary);
      }
    }
  } catch (err) {
    failures.push(`${s.name}: ${(err as Error).message}`);
    process.stderr.write(`\n${s.name} FAILED: ${(err as Error).stack ?? String(err)}\n`);
    await res.release();
  }
  say(s.name, `done in ${Math.round((Date.now() - t0) / 1000)} s`);
}
killAllChildren();

if (reports.length) {
  const command = `npm run bench${names.length || quick ? " --" : ""}${names.length ? ` ${names.join(" ")}` : ""}${quick ? " --quick" : ""}`;
  process.stdout.write(`\n=== summary\n\n${summaryMarkdown(reports, machine, quick, command)}`);
  // bench/results/summary.md: the latest full-size result of every scenario (a scenario run alone replaces its rows).
  if (!quick) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, "summary.md"), latestSummary(scenarios.map((s) => s.name)));
  }
}
if (failures.length) {
  process.stderr.write(`\nscenarios that failed to run:\n${failures.map((f) => `  ${f}`).join("\n")}\n`);
  process.exit(1);
}
process.exit(0);
