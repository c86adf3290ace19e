import { ApiError } from "../errors.js";
import { hashToken, isGuid } from "../crypto/tokens.js";
import type { AppRecord } from "../apps/app-store.js";
import type { Challenge } from "../challenge/challenge.js";
import type { Services } from "../services.js";

/** The challenge of a browser 2FA token of this app; 1103 for anything unknown, malformed or of another app. */
export async function findChallengeByToken(deps: Pick<Services, "challenges">, app: AppRecord, token: string): Promise<Challenge> {
  if (!isGuid(token)) throw new ApiError(1103);
  const c = await deps.challenges.findByToken(hashToken(token));
  if (!c || c.appId !== app.apiKey) throw new ApiError(1103);
  return c;
}
