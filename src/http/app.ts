import express, { type Express } from "express";
import type { Services } from "../services.js";
import { errorHandler, notFound } from "./error-handler.js";
import { healthRoutes } from "./routes/health.js";
import { identityRoutes } from "./routes/identity.js";
import { PUSH_SETTINGS_BODY_LIMIT, PUSH_SETTINGS_PATH, pushSettingsRoutes } from "./routes/push-settings.js";
import { requestLog } from "./request-log.js";
import { cors } from "./cors.js";
import { securityHeaders } from "./security-headers.js";
import { metricsRoutes } from "./routes/metrics.js";
import { adminRoutes } from "./routes/admin.js";
import { devicesRoutes } from "./routes/devices.js";
import { phoneRoutes } from "./routes/phone.js";
import { qrCodeRoutes } from "./routes/qr-code.js";
import { backupCodeRoutes } from "./routes/backup-codes.js";
import { deadLetterRoutes } from "./routes/dead-letters.js";
import { ownChallengeRoutes } from "./routes/own-challenges.js";
import { consoleUserRoutes } from "./routes/console-users.js";
import { consoleAuditRoutes } from "./routes/console-audit.js";
import { CONSOLE_PATH, consoleRoutes } from "../console/console-routes.js";
import { AUTHENTICATOR_PATH, authenticatorRoutes } from "../authenticator/authenticator-routes.js";
import { openApiRoutes } from "./routes/openapi.js";
import { coreOperations, type Operation } from "./openapi.js";
import type { PingWaiters } from "../realtime/ping-waiters.js";
import { keepRawBody } from "./request-signing.js";
import { originAddress } from "./origin-address.js";
import { methodNotAllowed } from "./method-not-allowed.js";
import { serverCallerRoutes } from "./routes/server-callers.js";

export interface HttpAppOptions {
  /** False while starting or draining: /readyz answers 503. */
  isAccepting: () => boolean;
  /** OpenAPI operations of the extra routers, so /openapi.json covers every mounted route. */
  operations?: Operation[];
  /** Path prefixes that serve pages (HTML and their scripts), which get the page security headers. */
  pagePrefixes?: string[];
  /** This node's held L4 requests (contract 2.11's long poll); L4 answers at once without. */
  pingWaiters?: PingWaiters;
  /** Extra routers (demo pages, console, browser client) mounted before the 404. */
  extra?: express.Router[];
}

/** The Express app: every REST endpoint of the contract, health, and one error path. */
export function createHttpApp(s: Services, options: HttpAppOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  // No ETags: API answers carry tokens and states that must never be served from a cache (and hashing every
  // body for one costs the hot paths).
  app.set("etag", false);
  app.set("trust proxy", s.config.TRUST_PROXY);
  app.set("case sensitive routing", false);
  app.use(securityHeaders([CONSOLE_PATH, AUTHENTICATOR_PATH, ...(options.pagePrefixes ?? [])]));
  app.use(requestLog(s.logger, s.metrics));
  // Pages on the configured origins call the API; the operator tools (/admin, /metrics) stay same-origin.
  app.use(cors({ origins: s.config.CORS_ORIGINS, publicUrl: s.config.PUBLIC_URL, except: ["/admin", "/metrics"] }));
  // Bodies are small JSON objects; anything larger is refused before it is read. The push settings carry
  // credential files, and have a limit of their own (parsed there first, the general parser skips them). The raw
  // bytes are kept for signed management calls (request-signing.ts), within the same limits.
  const json = (limit: string) => express.json({ limit, strict: true, type: ["application/json", "application/*+json"], verify: keepRawBody });
  app.use(PUSH_SETTINGS_PATH, json(PUSH_SETTINGS_BODY_LIMIT));
  app.use(json("16kb"));
  // A server-side caller's X-Origin-IP, believed only from a trusted source or with a valid management credential.
  app.use(originAddress(s));
  // The contract's endpoints first: every router a request passes without a match costs it a turn of the event
  // loop (Express leaves a router through setImmediate), and L4 polls and L5 answers are the hot paths.
  app.use(identityRoutes(s, { pingWaiters: options.pingWaiters }));
  app.use(qrCodeRoutes(s));
  app.use(backupCodeRoutes(s));
  app.use(healthRoutes(s.redis, options.isAccepting));
  app.use(metricsRoutes(s));
  app.use(openApiRoutes(s.config.PUBLIC_URL, options.operations ?? []));
  app.use(pushSettingsRoutes(s));
  app.use(adminRoutes(s));
  app.use(devicesRoutes(s));
  app.use(phoneRoutes(s));
  app.use(deadLetterRoutes(s));
  app.use(consoleUserRoutes(s));
  app.use(consoleAuditRoutes(s));
  app.use(serverCallerRoutes(s));
  app.use(ownChallengeRoutes(s));
  // The operator's console, in every mode (it holds nothing: the operator signs in with the app's secret).
  app.use(consoleRoutes());
  // The authenticator app (2.10), in every mode: it holds nothing on the server.
  app.use(authenticatorRoutes());
  for (const router of options.extra ?? []) app.use(router);
  app.use(methodNotAllowed([...coreOperations, ...(options.operations ?? [])]));
  app.use(notFound);
  app.use(errorHandler(s.logger));
  return app;
}
