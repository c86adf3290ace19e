import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, loadConfig } from "../src/config.js";

/** .env.example documents every variable the process reads, each with a comment, and its values start a process. */
describe(".env.example", () => {
  it("lists every variable of src/config.ts once, each under a comment, and nothing else", async () => {
    const lines = (await readFile(new URL("../.env.example", import.meta.url), "utf8")).split("\n");
    const listed = lines.map((l, i) => ({ name: /^([A-Z][A-Z0-9_]*)=/.exec(l)?.[1], i })).filter((v) => v.name !== undefined);
    expect(listed.map((v) => v.name).sort()).toEqual([...CONFIG_VARIABLES].sort());
    for (const { name, i } of listed) {
      // The comment is right above, or above the variables grouped with it (RESEND_MIN_INTERVAL_SECONDS and RESEND_MAX).
      let j = i - 1;
      while (j >= 0 && /^[A-Z][A-Z0-9_]*=/.test(lines[j]!)) j--;
      expect(lines[j], `${name} has a comment above it`).toMatch(/^# \S/);
    }
  });

  it("its values, with a master key, are a valid production configuration with the documented defaults", async () => {
    const text = await readFile(new URL("../.env.example", import.meta.url), "utf8");
    const env = Object.fromEntries(text.split("\n").filter((l) => /^[A-Z]/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    const config = loadConfig({ ...env, MASTER_KEY: Buffer.alloc(32, 7).toString("base64") });
    const defaults = loadConfig({ MASTER_KEY: Buffer.alloc(32, 7).toString("base64") });
    expect(config).toEqual(defaults);
  });
});
