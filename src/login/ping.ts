import { ApiError } from "../errors.js";
import { hashToken } from "../crypto/tokens.js";
import type { AppRecord } from "../apps/app-store.js";
import { openLogin, type LoginResponse } from "../challenge/login-response.js";
import type { Services } from "../services.js";
import { findChallengeByToken } from "./find-challenge.js";

/**
 * L4, for pages that poll: the login response once approved (until the finalize window closes), otherwise the
 * error that says why not yet or not any more.
 */
export async function ping(s: Services, app: AppRecord, token: string): Promise<LoginResponse> {
  await s.limits.pingPerToken(hashToken(token));
  const c = await findChallengeByToken(s, app, token);
  const now = s.now();
  switch (c.status) {
    case "Pending":
      throw new ApiError(now >= c.expiresAt ? 1104 : 1295);
    case "Approved": {
      const login = now < c.finalizeUntil ? openLogin(s.sealer, c) : null;
      if (!login) throw new ApiError(1104);
      return login;
    }
    case "Denied":
      throw new ApiError(1312);
    default:
      throw new ApiError(1104);
  }
}
