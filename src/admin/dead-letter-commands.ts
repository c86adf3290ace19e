import { EXIT, stringFlag, UsageError, type Command, type CommandArgs } from "./command.js";
import { listDeadLetters, retryAllDeadLetters, retryDeadLetter, type DeadLetter } from "../delivery/dead-letters.js";

/** dead-letters list|retry: jobs that failed for good, and retrying them once the cause is fixed. */

const line = (d: DeadLetter) =>
  [d.failedAt ?? "-", d.queue, d.id, `app=${d.app ?? "-"}`, `attempts=${d.attemptsMade}`, `by=${d.processedBy ?? "-"}`, d.failedReason].join("  ");

const appFlag = (a: CommandArgs) => stringFlag(a, "app")?.toLowerCase();

export const deadLettersList: Command = {
  name: "dead-letters list",
  usage: "dead-letters list [--limit N] [--app APIKEY] [--json]",
  help: "The newest failed jobs of both queues, newest first (default 50), with their reason and the worker that ran them.",
  args: { min: 0, max: 0 },
  valueFlags: ["limit", "app"],
  switches: ["json"],
  async run(ctx, a, io) {
    const raw = stringFlag(a, "limit");
    const limit = raw === undefined ? 50 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit must be a whole number of at least 1");
    const app = appFlag(a);
    const letters = await listDeadLetters([ctx.queues.push, ctx.queues.expiry], { limit, ...(app && { app }) });
    if (a.flags.has("json")) io.out(JSON.stringify(letters, null, 2));
    else if (!letters.length) io.out("no dead letters");
    else for (const d of letters) io.out(line(d));
    return EXIT.ok;
  },
};

export const deadLettersRetry: Command = {
  name: "dead-letters retry",
  usage: "dead-letters retry <jobId> | --all [--app APIKEY]",
  help:
    "Retry one dead letter, or all of them (of one app), with fresh attempts. Safe: a send whose challenge has\n" +
    "ended meanwhile does nothing.",
  args: { min: 0, max: 1 },
  valueFlags: ["app"],
  switches: ["all"],
  async run(ctx, a, io) {
    const both = [ctx.queues.push, ctx.queues.expiry];
    const all = a.flags.get("all") === true;
    if (all === (a.args[0] !== undefined)) throw new UsageError("give a job id or --all");
    if (all) {
      const app = appFlag(a);
      const n = await retryAllDeadLetters(both, app ? { app } : {});
      io.out(`retried ${n} job${n === 1 ? "" : "s"}`);
      return EXIT.ok;
    }
    const id = a.args[0]!;
    if (await retryDeadLetter(both, id)) {
      io.out(`retried ${id}`);
      return EXIT.ok;
    }
    io.err(`no dead letter with id ${id}`);
    return EXIT.failed;
  },
};
