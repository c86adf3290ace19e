import { text } from "node:stream/consumers";
import { runAdmin } from "./run-admin.js";
import { readHidden } from "./hidden-prompt.js";

/** `npm run admin -- <command>`: see USAGE in run-admin.ts, or `npm run admin -- --help`. */
process.exitCode = await runAdmin(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  stdin: () => text(process.stdin),
  // A person at a terminal types secrets at a prompt that does not echo; a pipe gives them on stdin.
  ...(process.stdin.isTTY && { secret: (prompt: string) => readHidden(process.stdin, process.stderr, prompt) }),
});
