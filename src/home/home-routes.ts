import { Router } from "express";
import { webFile } from "../http/web-assets.js";

/** The landing page's CSP: its stylesheet, nothing else (no script at all). */
const CSP = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

/**
 * `/`: where a newcomer lands. Links to the demo (in development, where it is mounted), the authenticator, the
 * console and the API reference. One HTML file and its stylesheet (web/home/); the demo's links are cut out of the
 * page where the demo is not mounted.
 */
export function homeRoutes(options: { demo: boolean }): Router {
  const r = Router({ caseSensitive: false, strict: true });
  const headers = (res: { setHeader(name: string, value: string): unknown }) => {
    res.setHeader("Content-Security-Policy", CSP);
    res.setHeader("Cache-Control", "no-store");
  };
  r.get("/", async (_req, res) => {
    headers(res);
    const html = await webFile("home/index.html");
    res.type("html").send(options.demo ? html : html.replace(/<!-- demo -->[\s\S]*?<!-- \/demo -->/g, ""));
  });
  r.get("/home.css", async (_req, res) => {
    headers(res);
    res.type("css").send(await webFile("home/home.css"));
  });
  return r;
}
