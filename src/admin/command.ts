import type { AdminContext } from "./context.js";

/** Exit codes of every admin command. */
export const EXIT = {
  ok: 0,
  /** Not found, refused (validation), or failed (Redis, a wrong master key). */
  failed: 1,
  /** Bad arguments or configuration. */
  usage: 2,
} as const;

export interface AdminOutput {
  /** Results, on stdout. */
  out(line: string): void;
  /** Errors and notes, on stderr. */
  err(line: string): void;
  /** The whole of stdin, for `settings set <apikey> -`. */
  stdin?: () => Promise<string>;
  /** A secret typed at a hidden prompt, when a person is at a terminal (else secrets come from stdin). */
  secret?: (prompt: string) => Promise<string>;
}

export interface CommandArgs {
  /** Positional arguments after the command's name. */
  args: string[];
  flags: Map<string, string | true>;
}

export interface Command {
  /** One or two words: "create-app", "settings set". */
  name: string;
  /** The synopsis after `admin `. */
  usage: string;
  /** What it does, and what it prints. */
  help: string;
  /** Positional arguments accepted. */
  args: { min: number; max: number };
  /** Flags that take a value (`--name X` or `--name=X`). */
  valueFlags?: string[];
  /** Flags without a value. */
  switches?: string[];
  run(ctx: AdminContext, a: CommandArgs, io: AdminOutput): Promise<number>;
}

/** A usage error: printed with the command's synopsis, exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A refusal or a miss the operator can act on: printed as is, exit 1. */
export class CommandError extends Error {
  override name = "CommandError";
}

/** Words and flags; a flag listed in `valueFlags` takes the next word as its value. */
export function parseArgv(argv: string[], valueFlags: ReadonlySet<string>): { words: string[]; flags: Map<string, string | true> } {
  const words: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "-h") {
      flags.set("help", true);
      continue;
    }
    if (!a.startsWith("--") || a === "--") {
      words.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (eq >= 0) flags.set(name, a.slice(eq + 1));
    else if (valueFlags.has(name) && argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--")) flags.set(name, argv[++i]!);
    else flags.set(name, true);
  }
  return { words, flags };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An apikey argument, lowercased as the stores keep it. */
export function apiKeyArg(raw: string | undefined): string {
  if (!raw || !GUID.test(raw)) throw new UsageError(`"${raw ?? ""}" is not an apikey (a GUID like 3f2a…-…)`);
  return raw.toLowerCase();
}

/** A flag's string value, or undefined when absent; a flag given without its value is a usage error. */
export function stringFlag(a: CommandArgs, name: string): string | undefined {
  const v = a.flags.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

/** The app, or a CommandError naming the apikey. */
export async function existingApp(ctx: AdminContext, apiKey: string) {
  const app = await (await ctx.services()).apps.get(apiKey);
  if (!app) throw new CommandError(`no app with apikey ${apiKey} under REDIS_PREFIX=${ctx.config.REDIS_PREFIX}`);
  return app;
}
