import express, { Router, type Response } from "express";
import { z } from "zod";
import { ApiError } from "../errors.js";
import type { BootstrapResult } from "../bootstrap.js";
import type { Config } from "../config.js";
import type { Operation } from "../http/openapi.js";
import { parseBody } from "../http/request-input.js";
import { webFile, webScript } from "../http/web-assets.js";
import type { Services } from "../services.js";

/** For /openapi.json (development only, as the routes). */
export const demoOperations: Operation[] = [
  { method: "get", path: "/demo", summary: "Redirects to /demo/", tag: "Demo", auth: "none" },
  { method: "get", path: "/demo/", summary: "The demo login page", tag: "Demo", auth: "none" },
  { method: "get", path: "/demo/phone", summary: "Redirects to the authenticator app (/authenticator/), which plays the phone", tag: "Demo", auth: "none" },
  { method: "get", path: "/demo/demo.css", summary: "The demo pages' styles", tag: "Demo", auth: "none" },
  { method: "get", path: "/demo/{script}", summary: "The demo login page's script (login.js)", tag: "Demo", auth: "none" },
  { method: "post", path: "/demo/signup", summary: "Create a user of the demo app (email, password)", tag: "Demo", auth: "none" },
  { method: "post", path: "/demo/inbox", summary: "The demo app's Native webhook: accepts and drops", tag: "Demo", auth: "none" },
];

/**
 * The pages a newcomer sees first (development only: mounted when NODE_ENV=development, as `npm start` sets it):
 * `/demo/` a login page that waits on the socket; the phone is the authenticator app (/authenticator/, served in
 * every mode), to which `/demo/phone` leads. Plain HTML and one script each, no outside network.
 */
export function demoRoutes(s: Services, bootstrap: BootstrapResult): Router {
  const r = Router({ caseSensitive: false, strict: true });
  const app = demoApp(s.config, bootstrap);
  const file = (name: string) => webFile(`demo/${name}`);
  const scripts: Record<string, () => Promise<string>> = {
    "login.js": webScript("demo/login.js"),
  };

  // Only what these pages need: their own scripts and styles, QR images as data: URLs, the socket to this host.
  r.use("/demo", (_req, res, next) => {
    res.setHeader(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
    );
    res.setHeader("Cache-Control", "no-store");
    next();
  });

  const page = async (res: Response, name: string) => {
    const html = (await file(name)).replaceAll("{{APIKEY}}", escapeHtml(app?.apiKey ?? ""));
    res.type("html").send(html);
  };
  r.get("/demo", (_req, res) => res.redirect(302, "/demo/"));
  r.get("/demo/", (_req, res) => page(res, "index.html"));
  r.get("/demo/phone", (_req, res) => res.redirect(302, "/authenticator/"));
  r.get("/demo/demo.css", async (_req, res) => {
    res.type("css").send(await file("demo.css"));
  });
  r.get("/demo/:script", async (req, res, next) => {
    const build = scripts[String(req.params.script)];
    if (!build) return next();
    res.type("text/javascript").send(await build());
  });

  // "Create demo user": accounts need the app's secret (L1), which a page must never hold; in development the
  // gateway makes one for the demo app itself.
  const signupBody = z.object({ email: z.email().max(254), password: z.string().min(8).max(128) }).strict();
  r.post("/demo/signup", async (req, res) => {
    await s.limits.strangerPerIp(req.ip ?? "");
    if (!app) throw new ApiError(901, { description: "There is no demo app: start the gateway in development with an empty Redis prefix." });
    const body = parseBody(signupBody, req.body);
    const profile = await s.accounts.create(app.apiKey, { email: body.email, password: body.password });
    res.json({ Uid: profile.Uid, Email: profile.Email });
  });

  // The demo app's Native webhook (set by the bootstrap): accepted and dropped. The authenticator gets its pushes
  // over its open socket (or Web Push); this only keeps the delivery of a push to another device from failing.
  r.post("/demo/inbox", express.text({ type: "*/*", limit: "16kb" }), (_req, res) => {
    res.json({ IsPosted: true });
  });
  return r;
}

/** The app the demo pages use: the development demo app, or the bootstrap app when one is configured. */
function demoApp(config: Pick<Config, "BOOTSTRAP_API_KEY">, bootstrap: BootstrapResult): { apiKey: string } | undefined {
  if (bootstrap.demo) return { apiKey: bootstrap.demo.apiKey };
  if (config.BOOTSTRAP_API_KEY) return { apiKey: config.BOOTSTRAP_API_KEY.toLowerCase() };
  return undefined;
}

const escapeHtml = (v: string) =>
  v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
