import { text } from "node:stream/consumers";
import { runAdmin } from "./run-admin.js";

/** `npm run admin -- <command>`: see USAGE in run-admin.ts, or `npm run admin -- --help`. */
process.exitCode = await runAdmin(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  stdin: () => text(process.stdin),
});
