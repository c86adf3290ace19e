import type { Request } from "express";
import { ApiError } from "../errors.js";
import { isGuid } from "../crypto/tokens.js";
import type { AppRecord } from "../apps/app-store.js";
import type { SessionOwner } from "../sessions/session-store.js";
import type { Services } from "../services.js";
import { checkedAgainstGuessing, countingGuesses } from "../guess-budget.js";
import { together } from "../together.js";
import { credential, queryParam } from "./request-input.js";
import { checkSignature, isSigned } from "./request-signing.js";
import { clientIp } from "./client-address.js";

/** The app named by an apikey, wherever it came from (REST or a socket handshake): 922 missing, 920 malformed, 901 unknown. */
export async function appFromKey(deps: Pick<Services, "apps">, apiKey: unknown): Promise<AppRecord> {
  if (typeof apiKey !== "string" || apiKey === "") throw new ApiError(922);
  if (!isGuid(apiKey)) throw new ApiError(920);
  const app = await deps.apps.get(apiKey.toLowerCase());
  if (!app) throw new ApiError(901);
  return app;
}

/** The app named by the request's apikey (header or query). */
export const requireApp = (deps: Pick<Services, "apps">, req: Request): Promise<AppRecord> =>
  appFromKey(deps, credential(req, "x-loginradius-apikey", "apikey"));

/** What a management call's credential check reads: the app, its tokens, the clock and PUBLIC_URL (signatures). */
export type ManagementDeps = Pick<Services, "apps" | "guesses" | "managementTokens" | "config" | "now">;

/** One check per request: the X-Origin-IP trust check and the route share it, so a wrong secret counts once. */
const managementChecks = new WeakMap<Request, Promise<AppRecord>>();

/**
 * The app, for management calls (contract 0 and 1.6), authorised by one of: its apisecret (header or query); a
 * request signature (`X-Request-Expires` + `digest`, the apikey then from the query); or (ext, unless
 * `allowBearer` is false) a management bearer token. 923 when none is given, 902 for a wrong secret or signature,
 * 905 for an unknown or expired bearer. A failure spends the caller's failed-guesses budget (by the address that
 * sent the request, never an X-Origin-IP); once it is spent, 429 comes before anything is checked.
 */
export function requireAppWithSecret(deps: ManagementDeps, req: Request, o: { allowBearer?: boolean } = {}): Promise<AppRecord> {
  if (o.allowBearer === false && !credential(req, "x-loginradius-apisecret", "apisecret") && !isSigned(req)) {
    return requireApp(deps, req).then(() => Promise.reject(new ApiError(923)));
  }
  let check = managementChecks.get(req);
  if (!check) managementChecks.set(req, (check = managementApp(deps, req)));
  return check;
}

/** Whether the request carries any management credential (so the X-Origin-IP check has something to verify). */
export const hasManagementCredential = (req: Request): boolean =>
  req.headers["x-loginradius-apisecret"] !== undefined || isSigned(req) || managementBearer(req) !== undefined || /[?&]apisecret=/i.test(req.originalUrl);

/** A bearer token that is not a user's access token (those are GUIDs). */
function managementBearer(req: Request): string | undefined {
  const auth = req.headers.authorization;
  const token = typeof auth === "string" ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
  return token && !isGuid(token) ? token : undefined;
}

async function managementApp(deps: ManagementDeps, req: Request): Promise<AppRecord> {
  const ip = req.ip ?? "";
  const secret = credential(req, "x-loginradius-apisecret", "apisecret");
  const signed = !secret && isSigned(req);
  const bearer = !secret && !signed ? managementBearer(req) : undefined;
  // A signed request names its app in the query, which the signature covers.
  const apiKey = signed ? queryParam(req, "apikey") : credential(req, "x-loginradius-apikey", "apikey");
  const [, app] = await together([deps.guesses.refuseIfGuessing(ip), appFromKey(deps, apiKey)]);
  // The console admins' internal app is never a tenant, whatever credential names it (contract 2.14).
  if (app.internal) throw new ApiError(901);
  if (!secret && !signed && !bearer) throw new ApiError(923);
  return countingGuesses(deps.guesses, ip, (async () => {
    if (secret) {
      if (secret.length > 256 || !(await deps.apps.verifySecret(app.apiKey, secret))) throw new ApiError(902);
    } else if (signed) {
      const key = await deps.apps.signingSecret(app.apiKey);
      if (key === null) throw new ApiError(902, { description: "Request signing is not available for this app until its secret is rotated or set again." });
      checkSignature(req, key, { now: deps.now(), publicUrl: deps.config.PUBLIC_URL });
    } else if (!(await deps.managementTokens.isValid(app.apiKey, bearer!))) {
      throw new ApiError(905, { description: "The management bearer token is unknown, expired, or was issued under a secret that has since rotated." });
    }
    return app;
  })());
}

/** What checking an access token reads: the app, the sessions, and the caller's failed-guesses budget. */
export type UserCredentialDeps = Pick<Services, "apps" | "sessions" | "guesses">;

/**
 * The user behind the access token (Bearer header or access_token query): 1060 missing, 905/906 bad. An invalid
 * token (905) spends the caller's failed-guesses budget; once it is spent, every call here answers 429.
 */
export function requireUser(deps: UserCredentialDeps, req: Request): Promise<{ app: AppRecord; user: SessionOwner }> {
  return checkedAgainstGuessing(deps.guesses, clientIp(req), userOf(deps, req));
}

async function userOf(deps: UserCredentialDeps, req: Request): Promise<{ app: AppRecord; user: SessionOwner }> {
  const app = await requireApp(deps, req);
  const auth = req.headers.authorization;
  const bearer = typeof auth === "string" ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
  const token = bearer ?? queryParam(req, "access_token");
  if (!token) throw new ApiError(1060);
  if (!isGuid(token)) throw new ApiError(905);
  return { app, user: await deps.sessions.resolve(app.apiKey, token) };
}
