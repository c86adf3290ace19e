import { createHash, timingSafeEqual } from "node:crypto";
import { Router, type Request, type RequestHandler } from "express";
import type { Queue } from "bullmq";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { appRoutes } from "@bull-board/api/dist/routes.js";
import { ExpressAdapter } from "@bull-board/express";
import { ApiError } from "../errors.js";
import type { Operation } from "../http/openapi.js";
import type { GuessBudget } from "../guess-budget.js";

/** Where the queue dashboard is mounted (only with ADMIN_TOKEN set). */
export const ADMIN_BOARD_PATH = "/admin/queues";

export interface AdminBoard {
  router: Router;
  /** Its routes, for /openapi.json. */
  operations: Operation[];
}

/**
 * bull-board over the push and expiry queues, for the deployment's operator: it shows (and can retry, promote or
 * remove) every tenant's jobs, so it sits behind ADMIN_TOKEN, never behind an app's apisecret. Job data carries
 * identifiers only (see delivery/queues.ts), no secret. Credentials: `Authorization: Bearer <ADMIN_TOKEN>` for
 * scripts, or HTTP Basic with ADMIN_TOKEN as the password (any user name) so a browser can open it.
 */
export function createAdminBoard(o: { token: string; queues: Queue[]; guesses: GuessBudget }): AdminBoard {
  const server = new ExpressAdapter();
  server.setBasePath(ADMIN_BOARD_PATH);
  createBullBoard({
    queues: o.queues.map((q) => new BullMQAdapter(q)),
    serverAdapter: server,
    options: { uiConfig: { boardTitle: "push-mfa-gateway queues" } },
  });
  // An Express app of its own (bull-board's), mounted below our auth.
  const board = server.getRouter() as RequestHandler & { disable(setting: string): unknown };
  board.disable("x-powered-by");

  const r = Router();
  r.use(ADMIN_BOARD_PATH, requireAdminToken(o.token, o.guesses), boardSecurityHeaders, board);
  return { router: r, operations: boardOperations() };
}

/**
 * The dashboard is a React page with inline styles and no outside resources we allow (its web font link is
 * blocked and falls back): helmet's CSP is relaxed for this path only, to exactly what it needs.
 */
const boardSecurityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader(
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
      "connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
  );
  res.setHeader("X-Robots-Tag", "noindex");
  next();
};

const digest = (v: string) => createHash("sha256").update(v, "utf8").digest();
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The token a request presents, and whether the browser could have sent it on its own (Basic). */
function presented(authorization: string | undefined): { token: string; ambient: boolean } | null {
  if (!authorization) return null;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) return { token: bearer[1]!, ambient: false };
  const basic = /^Basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(authorization);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { token: decoded.slice(colon + 1), ambient: true };
}

/** A browser request from this host's own pages (Fetch metadata, else Origin); non-browser clients send neither. */
function fromOwnPages(req: Request): boolean {
  const site = req.headers["sec-fetch-site"];
  if (typeof site === "string") return site === "same-origin" || site === "none";
  const origin = req.headers.origin;
  if (typeof origin !== "string") return true;
  const host = req.headers.host?.toLowerCase();
  return host !== undefined && (origin.toLowerCase() === `http://${host}` || origin.toLowerCase() === `https://${host}`);
}

/**
 * ADMIN_TOKEN as a Bearer token or an HTTP Basic password, compared in constant time (both sides hashed to the
 * same length first). A Basic-authenticated change must come from the board's own pages: the browser replays
 * Basic credentials on any request to this host, including one a hostile page triggers. A wrong token (902)
 * spends the caller's failed-guesses budget like any other credential.
 */
export function requireAdminToken(token: string, guesses: GuessBudget): RequestHandler {
  const expected = digest(token);
  return async (req, res, next) => {
    const ip = req.ip ?? "";
    await guesses.refuseIfGuessing(ip);
    const p = presented(req.headers.authorization);
    if (!p || !timingSafeEqual(digest(p.token), expected)) {
      await guesses.countGuess(ip);
      res.setHeader("WWW-Authenticate", 'Basic realm="push-mfa-gateway operator", charset="UTF-8"');
      throw new ApiError(902, {
        description: "The operator dashboard needs ADMIN_TOKEN: send 'Authorization: Bearer <ADMIN_TOKEN>', or HTTP Basic with it as the password.",
      });
    }
    if (p.ambient && !SAFE_METHODS.has(req.method) && !fromOwnPages(req)) {
      throw new ApiError(905, { description: "Cross-site request refused: the operator dashboard takes changes from its own pages only." });
    }
    next();
  };
}

/** bull-board's own route table (its UI entry points and JSON API), as OpenAPI operations under the board's path. */
function boardOperations(): Operation[] {
  const full = (route: string) => (route === "/" ? ADMIN_BOARD_PATH : `${ADMIN_BOARD_PATH}${route}`).replace(/:(\w+)/g, "{$1}");
  const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
  const ops: Operation[] = [];
  for (const route of list(appRoutes.entryPoint.route)) {
    ops.push({ method: appRoutes.entryPoint.method, path: full(route), summary: "The queue dashboard (HTML, bull-board)", tag: "Operator", auth: "operator", page: true });
  }
  for (const api of appRoutes.api) {
    for (const method of list(api.method)) {
      for (const route of list(api.route)) {
        ops.push({ method, path: full(route), summary: `bull-board: ${api.spec.summary}`, tag: "Operator", auth: "operator" });
      }
    }
  }
  return ops;
}
