import type { AppRecord } from "../apps/app-store.js";
import { pushDataOf } from "../delivery/push-content.js";
import type { PushData } from "../delivery/push-provider.js";
import type { Services } from "../services.js";
import { devicesSigning, type SignedDeviceRequest } from "./signed-request.js";

/** The text a device signs to pull (contract 2.8): `pending:<apikey>:<timestamp>`, the apikey as the request sends it. */
export const pendingPullText = (apiKey: string, timestamp: string): string => `pending:${apiKey}:${timestamp}`;

/**
 * Contract 2.8, the signed pull: for a phone whose push did not arrive (or that has no push service), the push
 * data of every login waiting for any user its key is enrolled for, exactly as the push carried it (the same
 * device handle and `serverSignature`); an empty list when none waits. Only an active device's key pulls: an
 * inactive one cannot answer (L5) until its push-token update revives it.
 */
export async function pendingPushData(
  s: Pick<Services, "now" | "redis" | "keys" | "devices" | "challenges" | "sealer">,
  app: AppRecord,
  apiKeyAsSent: string,
  request: SignedDeviceRequest,
): Promise<{ Data: PushData[] }> {
  const { devices } = await devicesSigning(s, app.apiKey, request, (timestamp) => pendingPullText(apiKeyAsSent, timestamp));
  const users = [...new Set(devices.map((d) => d.uid))];
  const pending = await Promise.all(users.map((uid) => s.challenges.pendingOf(app.apiKey, uid)));
  const now = s.now();
  // As the device channel's catch-up: only a login whose push has gone out (one waiting for an enrollment has not).
  const waiting = pending.filter((c) => c !== null && c.status === "Pending" && now < c.expiresAt && c.sends >= 1);
  return { Data: waiting.map((c) => pushDataOf(s, c!)) };
}
