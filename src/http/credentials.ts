import type { Request } from "express";
import { ApiError } from "../errors.js";
import { isGuid } from "../crypto/tokens.js";
import type { AppRecord } from "../apps/app-store.js";
import type { SessionOwner } from "../sessions/session-store.js";
import type { Services } from "../services.js";
import { checkedAgainstGuessing } from "../guess-budget.js";
import { together } from "../together.js";
import { credential, queryParam } from "./request-input.js";

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

/**
 * The app, for management calls that also need its secret: 923 missing, 902 wrong. A wrong secret spends the
 * caller's failed-guesses budget; once it is spent, 429 comes before the secret is even hashed.
 */
export async function requireAppWithSecret(deps: Pick<Services, "apps" | "guesses">, req: Request): Promise<AppRecord> {
  const ip = req.ip ?? "";
  const [, app] = await together([deps.guesses.refuseIfGuessing(ip), requireApp(deps, req)]);
  const secret = credential(req, "x-loginradius-apisecret", "apisecret");
  if (!secret) throw new ApiError(923);
  if (secret.length > 256 || !(await deps.apps.verifySecret(app.apiKey, secret))) {
    await deps.guesses.countGuess(ip);
    throw new ApiError(902);
  }
  return app;
}

/** What checking an access token reads: the app, the sessions, and the caller's failed-guesses budget. */
export type UserCredentialDeps = Pick<Services, "apps" | "sessions" | "guesses">;

/**
 * The user behind the access token (Bearer header or access_token query): 1060 missing, 905/906 bad. An invalid
 * token (905) spends the caller's failed-guesses budget; once it is spent, every call here answers 429.
 */
export function requireUser(deps: UserCredentialDeps, req: Request): Promise<{ app: AppRecord; user: SessionOwner }> {
  return checkedAgainstGuessing(deps.guesses, req.ip ?? "", userOf(deps, req));
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
