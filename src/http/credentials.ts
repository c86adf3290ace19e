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
export async function appFromKey(s: Services, apiKey: unknown): Promise<AppRecord> {
  if (typeof apiKey !== "string" || apiKey === "") throw new ApiError(922);
  if (!isGuid(apiKey)) throw new ApiError(920);
  const app = await s.apps.get(apiKey.toLowerCase());
  if (!app) throw new ApiError(901);
  return app;
}

/** The app named by the request's apikey (header or query). */
export const requireApp = (s: Services, req: Request): Promise<AppRecord> =>
  appFromKey(s, credential(req, "x-loginradius-apikey", "apikey"));

/**
 * The app, for management calls that also need its secret: 923 missing, 902 wrong. A wrong secret spends the
 * caller's failed-guesses budget; once it is spent, 429 comes before the secret is even hashed.
 */
export async function requireAppWithSecret(s: Services, req: Request): Promise<AppRecord> {
  const ip = req.ip ?? "";
  const [, app] = await together([s.guesses.refuseIfGuessing(ip), requireApp(s, req)]);
  const secret = credential(req, "x-loginradius-apisecret", "apisecret");
  if (!secret) throw new ApiError(923);
  if (secret.length > 256 || !(await s.apps.verifySecret(app.apiKey, secret))) {
    await s.guesses.countGuess(ip);
    throw new ApiError(902);
  }
  return app;
}

/**
 * The user behind the access token (Bearer header or access_token query): 1060 missing, 905/906 bad. An invalid
 * token (905) spends the caller's failed-guesses budget; once it is spent, every call here answers 429.
 */
export function requireUser(s: Services, req: Request): Promise<{ app: AppRecord; user: SessionOwner }> {
  return checkedAgainstGuessing(s.guesses, req.ip ?? "", userOf(s, req));
}

async function userOf(s: Services, req: Request): Promise<{ app: AppRecord; user: SessionOwner }> {
  const app = await requireApp(s, req);
  const auth = req.headers.authorization;
  const bearer = typeof auth === "string" ? /^Bearer\s+(\S+)$/i.exec(auth)?.[1] : undefined;
  const token = bearer ?? queryParam(req, "access_token");
  if (!token) throw new ApiError(1060);
  if (!isGuid(token)) throw new ApiError(905);
  return { app, user: await s.sessions.resolve(app.apiKey, token) };
}
