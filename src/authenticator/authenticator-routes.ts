import { Router, type Response } from "express";
import { webBinaryFile, webFile, webScript } from "../http/web-assets.js";

export const AUTHENTICATOR_PATH = "/authenticator";

/**
 * What the app may do: its own scripts, styles, icons, manifest and service worker; calls and device sockets to
 * this gateway and, since one authenticator holds accounts of several gateways, to any HTTPS gateway (each of which
 * decides by its own CORS list whether to answer), plus plain-HTTP loopback gateways for local development. Camera
 * frames for the QR scan never leave the page. No inline script or style; never framed.
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; " +
  "connect-src 'self' https: wss: http://localhost:* ws://localhost:* http://127.0.0.1:* ws://127.0.0.1:*; " +
  "manifest-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

/** The files under /authenticator/ besides the page, with their content types. */
const FILES: Record<string, { type: string; load: () => Promise<string | Buffer> }> = {
  "app.js": { type: "text/javascript", load: webScript("authenticator/app.js") },
  "sw.js": { type: "text/javascript", load: webScript("authenticator/sw.js") },
  "authenticator.css": { type: "text/css", load: () => webFile("authenticator/authenticator.css") },
  "manifest.webmanifest": { type: "application/manifest+json", load: () => webFile("authenticator/manifest.webmanifest") },
  ...Object.fromEntries(
    ["icon-192.png", "icon-512.png", "icon-maskable-192.png", "icon-maskable-512.png"].map((name) => [
      name,
      { type: "image/png", load: () => webBinaryFile(`authenticator/${name}`) },
    ]),
  ),
};

/**
 * The authenticator app of contract 2.10, in every mode (it holds nothing on the server: each browser keeps its own
 * accounts and keys). The service worker is served from the app's own path, so its scope is /authenticator/.
 */
export function authenticatorRoutes(): Router {
  const r = Router({ caseSensitive: false, strict: true });
  r.use(AUTHENTICATOR_PATH, (_req, res, next) => {
    res.setHeader("Content-Security-Policy", CSP);
    // Always the latest app: an old page or worker would keep old code that answers sign-ins.
    res.setHeader("Cache-Control", "no-cache");
    res.setHeader("Referrer-Policy", "no-referrer");
    // The QR scan needs the camera; nothing else of the kind is used.
    res.setHeader("Permissions-Policy", "camera=(self), microphone=(), geolocation=()");
    next();
  });
  const send = async (res: Response, name: string) => {
    const file = FILES[name]!;
    res.type(file.type).send(await file.load());
  };
  r.get(AUTHENTICATOR_PATH, (_req, res) => res.redirect(302, `${AUTHENTICATOR_PATH}/`));
  r.get(`${AUTHENTICATOR_PATH}/`, async (_req, res) => {
    res.type("html").send(await webFile("authenticator/index.html"));
  });
  r.get(`${AUTHENTICATOR_PATH}/:file`, async (req, res, next) => {
    const name = String(req.params.file);
    if (!Object.hasOwn(FILES, name)) return next();
    await send(res, name);
  });
  return r;
}
