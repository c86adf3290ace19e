import { ConfigError, loadConfig } from "../config.js";
import { RedisUnavailableError } from "../redis.js";
import { createApp, rotateSecret, settingsGet, settingsSet } from "./app-commands.js";
import { CommandError, EXIT, parseArgv, UsageError, type AdminOutput, type Command } from "./command.js";
import { openAdminContext } from "./context.js";
import { deadLettersList, deadLettersRetry } from "./dead-letter-commands.js";
import { backupCodes, devices, indexUsers, unlock } from "./user-commands.js";

export type { AdminOutput };

const COMMANDS: Command[] = [createApp, rotateSecret, settingsGet, settingsSet, devices, unlock, backupCodes, indexUsers, deadLettersList, deadLettersRetry];

export const USAGE = `usage: npm run admin -- <command> [options]

${COMMANDS.map((c) => `  ${c.usage}`).join("\n")}

  <command> --help   what a command does

Reads the same environment as the gateway: REDIS_URL, REDIS_PREFIX, NODE_ENV and MASTER_KEY. Production (NODE_ENV
unset) needs the deployment's MASTER_KEY; against a deployment started with npm start, run it with
NODE_ENV=development (the key kept in Redis). Exit codes: 0 done, 1 not found, refused or failed, 2 usage or
configuration error.`;

const commandHelp = (cs: Command[]) => cs.map((c) => `usage: npm run admin -- ${c.usage}\n\n${c.help}`).join("\n\n");

/** The command named by the first one or two words, and the words left as its arguments. */
function find(words: string[]): { command?: Command; group: Command[]; rest: string[] } {
  const [first = "", second = ""] = words;
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two) return { command: two, group: [two], rest: words.slice(2) };
  const one = COMMANDS.find((c) => c.name === first);
  if (one) return { command: one, group: [one], rest: words.slice(1) };
  return { group: COMMANDS.filter((c) => c.name.startsWith(`${first} `)), rest: [] };
}

/**
 * The admin command line: `tsx src/admin/cli.ts <command>` (`npm run admin -- <command>`). Returns the exit code:
 * 0 done, 1 not found, refused or failed, 2 usage or configuration error. Results go to `out`, errors to `err`.
 */
export async function runAdmin(argv: string[], env: Record<string, string | undefined>, io: AdminOutput): Promise<number> {
  const valueFlags = new Set(COMMANDS.flatMap((c) => c.valueFlags ?? []));
  const { words, flags } = parseArgv(argv, valueFlags);
  const help = flags.has("help");
  if (!words.length || words[0] === "help") {
    (help || words[0] === "help" ? io.out : io.err)(USAGE);
    return help || words[0] === "help" ? EXIT.ok : EXIT.usage;
  }
  const { command, group, rest } = find(words);
  if (!command) {
    // A group's name alone ("settings", "dead-letters"): its commands' help.
    if (group.length) {
      (help ? io.out : io.err)(commandHelp(group));
      return help ? EXIT.ok : EXIT.usage;
    }
    io.err(`unknown command "${words.join(" ")}"\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (help) {
    io.out(commandHelp([command]));
    return EXIT.ok;
  }
  const usageError = (why: string) => {
    io.err(`${why}\nusage: npm run admin -- ${command.usage}`);
    return EXIT.usage;
  };
  const known = new Set([...(command.valueFlags ?? []), ...(command.switches ?? [])]);
  const unknown = [...flags.keys()].find((f) => !known.has(f));
  if (unknown) return usageError(`unknown option --${unknown}`);
  if (rest.length < command.args.min || rest.length > command.args.max) return usageError("wrong number of arguments");

  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(err.message);
    return EXIT.usage;
  }
  let ctx;
  try {
    ctx = await openAdminContext(config);
  } catch (err) {
    if (!(err instanceof RedisUnavailableError)) throw err;
    io.err(`admin: cannot reach Redis at REDIS_URL=${config.REDIS_URL.replace(/\/\/[^@/]*@/, "//***@")} (${err.message})`);
    return EXIT.failed;
  }
  try {
    return await command.run(ctx, { args: rest, flags }, io);
  } catch (err) {
    if (err instanceof UsageError) return usageError(err.message);
    if (err instanceof CommandError) {
      io.err(err.message);
      return EXIT.failed;
    }
    const message = (err as Error)?.message || "failed";
    // AES-GCM refuses to open what another key sealed: say which setting is wrong rather than "unable to authenticate".
    const hint = /unable to authenticate|not a sealed value/i.test(message)
      ? " (the stored secrets do not open with this master key: run with the gateway's MASTER_KEY)"
      : "";
    io.err(`admin: ${message}${hint}`);
    return EXIT.failed;
  } finally {
    await ctx.close();
  }
}
