import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/**
 * The pages' files (HTML, CSS and the browser scripts of web/), found beside this module in both layouts:
 * - from the sources (`npm start`, tests, anything run with tsx): `web/` holds `console/console.ts`, and a script
 *   is bundled with esbuild (a devDependency) on its first request, then kept in memory;
 * - from a build (`npm run build`, the production image): `dist/web/` holds `console/console.js`, bundled at build
 *   time by scripts/build-web.ts with the same options, so the process never loads a bundler.
 * Type-only imports vanish in the bundles; nothing of the server is shipped.
 */
export const WEB_ROOT = new URL("../../web/", import.meta.url);

/** The browser scripts the gateway serves, by their path under web/ (each bundled from the `.ts` of that name). */
export const WEB_SCRIPTS = ["client/push-mfa.js", "demo/login.js", "console/console.js", "authenticator/app.js", "authenticator/sw.js"] as const;
export type WebScript = (typeof WEB_SCRIPTS)[number];

/** A page's HTML or CSS by its path under web/, e.g. `console/index.html`, read on each request. */
export const webFile = (path: string): Promise<string> => readFile(new URL(path, WEB_ROOT), "utf8");

/** A binary file of web/ (an icon) by its path, read on each request. */
export const webBinaryFile = (path: string): Promise<Buffer> => readFile(new URL(path, WEB_ROOT));

/** Serves one browser script: the built file when there is one, else bundled from its source once. */
export function webScript(name: WebScript): () => Promise<string> {
  let text: Promise<string> | undefined;
  return () => {
    text ??= loadScript(name).catch((err: unknown) => {
      text = undefined; // let the next request try again
      throw err;
    });
    return text;
  };
}

async function loadScript(name: WebScript): Promise<string> {
  try {
    return await readFile(new URL(name, WEB_ROOT), "utf8");
  } catch (err) {
    // No .js beside this module: we run from the sources.
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  return bundleWebScript(fileURLToPath(new URL(name.replace(/\.js$/, ".ts"), WEB_ROOT)));
}

/**
 * Bundle one browser entry point (a .ts file) into a single ES module: the only place the bundler's options are
 * written. esbuild is imported on demand, so a built deployment, which never gets here, need not install it.
 */
export async function bundleWebScript(entryFile: string): Promise<string> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [entryFile],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    write: false,
    minify: false,
    sourcemap: false,
    legalComments: "none",
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}
