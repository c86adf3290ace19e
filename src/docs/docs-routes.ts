import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Router } from "express";
import { webFile, webScript } from "../http/web-assets.js";

export const DOCS_PATH = "/docs";

/** Swagger UI's own files, served from the installed swagger-ui-dist package (never from a CDN). */
const SWAGGER_FILES = {
  "swagger-ui.css": "text/css",
  "swagger-ui-bundle.js": "text/javascript",
} as const;

/**
 * Exactly what Swagger UI needs: its script and ours (the initializer, web/docs/docs.ts), its stylesheet, the SVG
 * icons its stylesheet holds as data: URLs, and calls to this gateway (the document, and "Try it out" on the API's
 * origin). No inline script, no outside network; nothing is framed, no form submits anywhere.
 */
export function docsCsp(publicUrl: string): string {
  const api = new URL(publicUrl).origin;
  return (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    `connect-src 'self' ${api}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'`
  );
}

/**
 * /docs: the OpenAPI document of /openapi.json rendered by Swagger UI, in every mode (it shows what /openapi.json
 * already publishes). The page and the initializer are ours (web/docs/); the rest comes from the package.
 */
export function docsRoutes(publicUrl: string): Router {
  const r = Router({ caseSensitive: false, strict: true });
  const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const init = webScript("docs/docs.js");
  const files = new Map<string, Promise<string>>();
  const packageFile = (name: keyof typeof SWAGGER_FILES) => {
    let text = files.get(name);
    if (!text) {
      // Without its source-map comment: the map is not served.
      text = readFile(join(dist, name), "utf8").then((t) => t.replace(/\n[/][/*]# sourceMappingURL=.*$/, ""));
      files.set(name, text);
    }
    return text;
  };
  const csp = docsCsp(publicUrl);

  r.use(DOCS_PATH, (_req, res, next) => {
    res.setHeader("Content-Security-Policy", csp);
    res.setHeader("Cache-Control", "no-store");
    next();
  });
  r.get(DOCS_PATH, async (_req, res) => {
    res.type("html").send(await webFile("docs/index.html"));
  });
  r.get(`${DOCS_PATH}/`, (_req, res) => res.redirect(302, DOCS_PATH));
  r.get(`${DOCS_PATH}/:file`, async (req, res, next) => {
    const name = String(req.params.file);
    if (name === "docs.js") return void res.type("text/javascript").send(await init());
    if (name === "docs.css") return void res.type("css").send(await webFile("docs/docs.css"));
    if (!(name in SWAGGER_FILES)) return next();
    const file = name as keyof typeof SWAGGER_FILES;
    res.type(SWAGGER_FILES[file]).send(await packageFile(file));
  });
  return r;
}
