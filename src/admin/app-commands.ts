import { readFile } from "node:fs/promises";
import { ApiError } from "../errors.js";
import { maskSettings } from "../settings/push-settings.js";
import { apiKeyArg, CommandError, EXIT, existingApp, stringFlag, UsageError, type Command } from "./command.js";

/** Apps and their push settings: create-app, rotate-secret, settings get|set. */

const ONCE = "The apisecret is shown only this once: keep it in your secret store now.";

export const createApp: Command = {
  name: "create-app",
  usage: "create-app [--name NAME] [--json]",
  help:
    "Create an app (tenant) and print its apikey and apisecret. The secret is stored only as a hash: it is\n" +
    "printed this once and can only be replaced (rotate-secret), not read back. Push is off until its settings\n" +
    "are set (settings set, the console, or L10).",
  args: { min: 0, max: 0 },
  valueFlags: ["name"],
  switches: ["json"],
  async run(ctx, a, io) {
    const name = (stringFlag(a, "name") ?? "Push MFA app").trim();
    if (!name || name.length > 100) throw new UsageError("--name must be 1 to 100 characters");
    const { app, apiSecret } = await (await ctx.services()).apps.create(name);
    if (a.flags.has("json")) {
      io.out(JSON.stringify({ ApiKey: app.apiKey, ApiSecret: apiSecret, Name: app.name, CreatedDate: app.createdAt }, null, 2));
    } else {
      io.out(`created app "${app.name}"`);
      io.out(`  apikey:    ${app.apiKey}`);
      io.out(`  apisecret: ${apiSecret}`);
    }
    io.err(ONCE);
    return EXIT.ok;
  },
};

export const rotateSecret: Command = {
  name: "rotate-secret",
  usage: "rotate-secret <apikey> [--json]",
  help: "Give the app a new apisecret and print it (once). The old secret stops working at once.",
  args: { min: 1, max: 1 },
  switches: ["json"],
  async run(ctx, a, io) {
    const apiKey = apiKeyArg(a.args[0]);
    const services = await ctx.services();
    // The console admins' internal app has no usable secret (its admins sign in with a password and a push): giving
    // it one would let management calls (own challenges, bearer tokens) name it.
    if ((await services.apps.get(apiKey))?.internal) throw new CommandError(`no app with apikey ${apiKey} under REDIS_PREFIX=${ctx.config.REDIS_PREFIX}`);
    const secret = await services.apps.rotateSecret(apiKey);
    if (secret === null) throw new CommandError(`no app with apikey ${apiKey} under REDIS_PREFIX=${ctx.config.REDIS_PREFIX}`);
    io.out(a.flags.has("json") ? JSON.stringify({ ApiKey: apiKey, ApiSecret: secret }, null, 2) : `apisecret: ${secret}`);
    io.err(`${ONCE} The previous secret no longer works.`);
    return EXIT.ok;
  },
};

export const settingsGet: Command = {
  name: "settings get",
  usage: "settings get <apikey>",
  help: "Print the app's push settings (contract 1.5) as JSON, secrets masked (\"****\"), exactly as L10 GET answers.",
  args: { min: 1, max: 1 },
  async run(ctx, a, io) {
    const app = await existingApp(ctx, apiKeyArg(a.args[0]));
    const s = await ctx.services();
    io.out(JSON.stringify(maskSettings(await s.settings.get(app.apiKey, app.name)), null, 2));
    return EXIT.ok;
  },
};

export const settingsSet: Command = {
  name: "settings set",
  usage: "settings set <apikey> <file.json | ->",
  help:
    "Change the app's push settings from a JSON file (or stdin with -), validated exactly as L10 PUT: fields\n" +
    "left out keep their value, nested objects merge, a masked secret (\"****\") keeps the stored one. Prints the\n" +
    "saved settings, secrets masked; a refusal lists each bad field and changes nothing (exit 1).",
  args: { min: 2, max: 2 },
  async run(ctx, a, io) {
    const app = await existingApp(ctx, apiKeyArg(a.args[0]));
    const source = a.args[1]!;
    let text: string;
    try {
      text = source === "-" ? await (io.stdin?.() ?? Promise.resolve("")) : await readFile(source, "utf8");
    } catch (err) {
      throw new CommandError(`cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch (err) {
      throw new CommandError(`${source === "-" ? "stdin" : source} is not JSON: ${(err as Error).message}`);
    }
    const s = await ctx.services();
    try {
      const saved = await s.settings.put(app.apiKey, app.name, input);
      await s.audit.record(app.apiKey, { type: "settings.changed", detail: `${saved.NotificationService}, push ${saved.IsEnabled ? "on" : "off"} (admin CLI)` });
      io.out(JSON.stringify(saved, null, 2));
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const body = err.toBody();
      const lines = (body.Errors ?? []).map((f) => `  ${f.ErrorMessage}`);
      throw new CommandError([`settings refused (${body.ErrorCode} ${body.Message}); nothing was changed`, ...lines].join("\n"));
    }
  },
};
