import { Router, type Request } from "express";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { isGuid } from "../crypto/tokens.js";
import { checkedAgainstGuessing } from "../guess-budget.js";
import { secondFactorResponseSchema, startLogin } from "../login/start-login.js";
import type { Services } from "../services.js";
import { parseBody } from "../http/request-input.js";
import { consoleSessionBody, consoleSignInBody } from "../http/routes/schemas.js";
import { findAdminApp } from "./admin-app.js";
import { getAdmin, mayUseApp, type ConsoleAdmin } from "./admin-store.js";
import { endConsoleSession, openConsoleSession } from "./console-sessions.js";
import { ROLE_ACTIONS } from "./admin-access.js";
import { refuseCrossSiteChange, requireSignedInAdmin, sessionTimesOf } from "./permissions.js";
import { clearConsoleCookie, consoleSessionOf, setConsoleCookie } from "./session-cookie.js";
import { clientIp } from "../http/client-address.js";

/** The console's own API for named admins (contract 2.14). */
export const CONSOLE_API = "/console/api";
export const CONSOLE_SIGN_IN_PATH = `${CONSOLE_API}/sign-in`;
export const CONSOLE_SESSION_PATH = `${CONSOLE_API}/session`;
export const CONSOLE_ME_PATH = `${CONSOLE_API}/me`;
export const CONSOLE_SIGN_OUT_PATH = `${CONSOLE_API}/sign-out`;

/** What the sign-in answers: L2's answer on the admin app, and that app's apikey for the page's wait. */
export const consoleSignInAnswer = secondFactorResponseSchema.extend({ ApiKey: z.string() });
/** Who is signed in (the session exchange and `me`): email, role, what the role allows, the apps given. */
export const consoleAdminAnswer = z.object({
  Email: z.string(),
  Role: z.enum(["owner", "operator", "viewer"]),
  Can: z.array(z.string()),
  Apps: z.array(z.object({ ApiKey: z.string(), Name: z.string() })),
});

/**
 * A named admin signs in to the console: email and password start the same push login as L2 on the internal admin
 * app (the enrollment QR when they have no device yet), the page waits for the answer as a login page does, and
 * the access token of the approved login is exchanged, once, for an httpOnly SameSite=Strict session cookie.
 */
export function consoleAuthRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false, strict: true });
  const adminApp = async () => {
    const app = await findAdminApp(s);
    // Made at every start before the API is served: missing only if Redis lost it since (then a restart makes it).
    if (!app) throw new ApiError(1299, { description: "The console's admin app is missing; restart the gateway to make it again." });
    return app;
  };
  const client = (req: Request) => ({
    ip: clientIp(req),
    userAgent: typeof req.headers["user-agent"] === "string" ? req.headers["user-agent"] : "",
  });

  // Email + password → L2 on the admin app, with L2's limits and lockout. The page gets L2's answer and the
  // admin app's apikey, to wait on the socket (or L4) as any login page does.
  r.post(CONSOLE_SIGN_IN_PATH, async (req, res) => {
    refuseCrossSiteChange(req, s.config.PUBLIC_URL);
    const app = await adminApp();
    const body = parseBody(consoleSignInBody, req.body);
    const login = await startLogin(s, app, { kind: "email", value: body.Email, password: body.Password }, client(req));
    res.json({ ...login, ApiKey: app.apiKey });
  });

  // The approved login's access token, taken once, becomes the console session.
  r.post(CONSOLE_SESSION_PATH, async (req, res) => {
    refuseCrossSiteChange(req, s.config.PUBLIC_URL);
    const ip = req.ip ?? "";
    await s.limits.strangerPerIp(ip);
    const app = await adminApp();
    const body = parseBody(consoleSessionBody, req.body);
    const owner = await checkedAgainstGuessing(
      s.guesses,
      ip,
      isGuid(body.AccessToken) ? s.sessions.consume(app.apiKey, body.AccessToken) : Promise.reject(new ApiError(905)),
    );
    const admin = await getAdmin(s, owner.uid);
    if (!admin) throw new ApiError(905, { description: "This account is no longer a console admin." });
    const id = await openConsoleSession(s, admin.uid, sessionTimesOf(s.config));
    setConsoleCookie(res, s.config, id);
    await s.audit.record(app.apiKey, { type: "console.signed_in", uid: admin.uid, by: admin.email });
    s.logger.info({ uid: admin.uid, role: admin.role }, "console admin signed in");
    res.json(await describe(s, admin));
  });

  // Who is signed in, their role, what it allows and the apps they may see (the page hides the rest).
  r.get(CONSOLE_ME_PATH, async (req, res) => {
    res.json(await describe(s, await requireSignedInAdmin(s, req)));
  });

  // Sign out: the session ends on the server (every node), and the browser forgets the cookie.
  r.post(CONSOLE_SIGN_OUT_PATH, async (req, res) => {
    refuseCrossSiteChange(req, s.config.PUBLIC_URL);
    await s.limits.strangerPerIp(req.ip ?? "");
    const id = consoleSessionOf(req, s.config);
    if (id) await endConsoleSession(s, id);
    clearConsoleCookie(res, s.config);
    res.json({ IsPosted: true });
  });

  return r;
}

/** The signed-in admin as the console shows them: never their uid's secrets, only what the page needs. */
async function describe(s: Pick<Services, "apps">, admin: ConsoleAdmin): Promise<z.infer<typeof consoleAdminAnswer>> {
  const keys = admin.apps === "*" ? await s.apps.list() : admin.apps;
  const apps = (await Promise.all(keys.map((k) => s.apps.get(k))))
    .filter((a): a is NonNullable<typeof a> => a !== null && mayUseApp(admin, a))
    .map((a) => ({ ApiKey: a.apiKey, Name: a.name }))
    .sort((a, b) => a.Name.localeCompare(b.Name) || a.ApiKey.localeCompare(b.ApiKey));
  return { Email: admin.email, Role: admin.role, Can: [...ROLE_ACTIONS[admin.role]].sort(), Apps: apps };
}
