/**
 * `npm run build`, second step (after tsc has compiled src/ and workers/ to dist/): the browser side into
 * dist/web/, where the built server looks for it (src/http/web-assets.ts). Each script of WEB_SCRIPTS is bundled
 * from its .ts with the server's own bundling function; every other file of web/ but TypeScript and tsconfig
 * (the pages' HTML and CSS) is copied as it is. A production image then serves the pages with no bundler.
 */
import { copyFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWebScript, WEB_ROOT, WEB_SCRIPTS } from "../src/http/web-assets.js";

const source = fileURLToPath(WEB_ROOT);
const out = fileURLToPath(new URL("../dist/web/", import.meta.url));

await rm(out, { recursive: true, force: true });
for (const name of WEB_SCRIPTS) {
  const target = join(out, name);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, await bundleWebScript(join(source, name.replace(/\.js$/, ".ts"))));
}
for (const entry of await readdir(source, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || entry.name.endsWith(".ts") || entry.name === "tsconfig.json") continue;
  const from = join(entry.parentPath, entry.name);
  const target = join(out, relative(source, from));
  await mkdir(dirname(target), { recursive: true });
  await copyFile(from, target);
}
console.log(`built ${WEB_SCRIPTS.length} browser scripts and the pages' files into ${relative(process.cwd(), out)}/`);
