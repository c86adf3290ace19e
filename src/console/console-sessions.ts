import { randomBytes } from "node:crypto";
import { hashToken } from "../crypto/tokens.js";
import type { Services } from "../services.js";

/** A named admin's console session: whose it is and when it ends whatever happens. */
export interface ConsoleSession {
  uid: string;
  /** Unix ms: the absolute end (a session used all day still ends). */
  until: number;
}

/** Idle and absolute lifetimes of a console session. */
export interface ConsoleSessionTimes {
  /** Ends after this long without a request. @default 8 h */
  idleSeconds: number;
  /** Ends this long after sign-in, used or not. @default 24 h */
  absoluteSeconds: number;
}

export const DEFAULT_SESSION_TIMES: ConsoleSessionTimes = { idleSeconds: 8 * 3600, absoluteSeconds: 24 * 3600 };

type Deps = Pick<Services, "redis" | "keys" | "now">;

/** An opaque session id (256 random bits); Redis keeps only its hash. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** Open a session for an admin; returns the id for the cookie (never stored). */
export async function openConsoleSession(deps: Deps, uid: string, times: ConsoleSessionTimes): Promise<string> {
  const id = randomBytes(32).toString("base64url");
  const until = deps.now() + times.absoluteSeconds * 1000;
  const record: ConsoleSession = { uid, until };
  await deps.redis.set(deps.keys.consoleSession(hashToken(id)), JSON.stringify(record), "EX", Math.min(times.idleSeconds, times.absoluteSeconds));
  return id;
}

/**
 * The live session of this id, its idle time restarted; null when unknown, malformed, idle too long (Redis dropped
 * it) or past its absolute end.
 */
export async function touchConsoleSession(deps: Deps, id: string, times: ConsoleSessionTimes): Promise<ConsoleSession | null> {
  if (!SESSION_ID.test(id)) return null;
  const key = deps.keys.consoleSession(hashToken(id));
  const raw = await deps.redis.get(key);
  if (!raw) return null;
  const session = JSON.parse(raw) as ConsoleSession;
  const left = session.until - deps.now();
  if (left <= 0) {
    await deps.redis.del(key);
    return null;
  }
  await deps.redis.expire(key, Math.max(1, Math.min(times.idleSeconds, Math.ceil(left / 1000))));
  return session;
}

/** End a session (sign-out): its id no longer opens anything, on any node. */
export async function endConsoleSession(deps: Pick<Services, "redis" | "keys">, id: string): Promise<void> {
  if (SESSION_ID.test(id)) await deps.redis.del(deps.keys.consoleSession(hashToken(id)));
}
