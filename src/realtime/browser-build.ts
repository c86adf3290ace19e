import { build } from "esbuild";

/**
 * The browser modules (the client, the demo pages) are TypeScript in src/, type-checked with the rest, and
 * compiled to one ES module each on first request with esbuild (already installed with tsx), then kept in memory.
 * Type-only imports of server types vanish in the output; nothing of the server is shipped.
 */
export function browserModule(entry: URL): () => Promise<string> {
  let compiled: Promise<string> | undefined;
  return () => {
    compiled ??= build({
      entryPoints: [decodeURIComponent(entry.pathname)],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: ["es2022"],
      write: false,
      minify: false,
      sourcemap: false,
      legalComments: "none",
      logLevel: "silent",
    }).then(
      (r) => r.outputFiles[0]?.text ?? "",
      (err: unknown) => {
        compiled = undefined; // let the next request try again
        throw err;
      },
    );
    return compiled;
  };
}
