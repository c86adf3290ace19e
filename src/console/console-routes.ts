import { Router } from "express";
import { webFile, webScript } from "../http/web-assets.js";

export const CONSOLE_PATH = "/console";

/**
 * Only what the console needs: its own script and styles, calls to this gateway. No inline script or style, no
 * outside network; the page holds the app's secret, so it may not be framed and sends no referrer, and its forms
 * may not submit anywhere (without its script, the sign-in form would otherwise put the secret in a URL).
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

/**
 * The operator's console, "Security → MFA → Push Notification" (every mode, production included): plain HTML, one
 * script bundled from web/console/ and one stylesheet, all from this gateway. Everything it shows comes from the
 * management API with the apikey and apisecret the operator types in; the page itself is public and holds nothing.
 */
export function consoleRoutes(): Router {
  const r = Router({ caseSensitive: false, strict: true });
  const script = webScript("console/console.js");

  r.use(CONSOLE_PATH, (_req, res, next) => {
    res.setHeader("Content-Security-Policy", CSP);
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Referrer-Policy", "no-referrer");
    next();
  });
  r.get(CONSOLE_PATH, async (_req, res) => {
    res.type("html").send(await webFile("console/index.html"));
  });
  r.get(`${CONSOLE_PATH}/`, (_req, res) => res.redirect(302, CONSOLE_PATH));
  r.get(`${CONSOLE_PATH}/console.css`, async (_req, res) => {
    res.type("css").send(await webFile("console/console.css"));
  });
  r.get(`${CONSOLE_PATH}/console.js`, async (_req, res) => {
    res.type("text/javascript").send(await script());
  });
  return r;
}
