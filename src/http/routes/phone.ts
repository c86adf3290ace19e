import { Router, type Request } from "express";
import { z } from "zod";
import { pendingPushData } from "../../devices/pending-pull.js";
import { updatePushToken } from "../../devices/push-token-update.js";
import { removeSigningDevices } from "../../devices/self-removal.js";
import type { Services } from "../../services.js";
import { together } from "../../together.js";
import { requireApp } from "../credentials.js";
import { credential, parseBody, queryParam } from "../request-input.js";
import { clientIp } from "../client-address.js";

/** Contract 2.8: the signed pull of the logins waiting for a phone. */
export const PENDING_PATH = "/identity/v2/auth/account/2fa/push/pending";
/** Contract 2.8: the phone's signed push-token update. */
export const DEVICE_TOKEN_PATH = "/identity/v2/auth/account/2fa/push/device-token";
/** (ext) The phone's signed removal of itself (beside 2.8). */
export const SELF_REMOVAL_PATH = "/identity/v2/auth/account/2fa/push/device";
/** Contract 2.9: the app's server public key, which signs push data. */
export const SERVER_KEY_PATH = "/identity/v2/auth/push/server-key";
/** Contract 2.7: the deployment's VAPID public key, a browser's `applicationServerKey` (the same for every app). */
export const VAPID_KEY_PATH = "/identity/v2/auth/push/vapid-public-key";

/** 2.7: the deployment's VAPID public key, base64url of the uncompressed P-256 point. */
export const vapidKeyAnswer = z.object({ PublicKey: z.string() });

/** The push-token update's body; what the fields must hold beyond their types is checked with the signature (1297). */
export const pushTokenBody = z.object({
  publicKey: z.string().max(4096),
  deviceToken: z.string().min(1, "is required").max(4096),
  timestamp: z.union([z.string().max(32), z.number()]),
  signature: z.string().max(2048),
});

/** The self-removal's body: the push-token update's without a token; what the fields hold is checked with the signature (1297). */
export const selfRemovalBody = pushTokenBody.omit({ deviceToken: true });

/**
 * What an enrolled phone calls besides L5 and L6, authenticated by its key rather than a token: the pull and the
 * push-token update (2.8), its own removal (ext), the key that signs what it receives (2.9), and the VAPID key its
 * browser subscribes with (2.7). Strangers can call them, so each is rate-limited per address before any work, and
 * an address that has been guessing secrets is refused too.
 */
export function phoneRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });
  const admitted = (req: Request) => {
    const ip = clientIp(req);
    return together([s.limits.strangerPerIp(ip), s.guesses.refuseIfGuessing(ip), requireApp(s, req)]).then(([, , app]) => app);
  };
  // The apikey exactly as the phone sent it, which is what it signed.
  const apiKeyAsSent = (req: Request) => credential(req, "x-loginradius-apikey", "apikey") ?? "";

  r.get(PENDING_PATH, async (req, res) => {
    const app = await admitted(req);
    const request = { publicKey: queryParam(req, "publicKey"), timestamp: queryParam(req, "timestamp"), signature: queryParam(req, "signature") };
    res.json(await pendingPushData(s, app, apiKeyAsSent(req), request));
  });

  r.put(DEVICE_TOKEN_PATH, async (req, res) => {
    const app = await admitted(req);
    res.json(await updatePushToken(s, app, apiKeyAsSent(req), parseBody(pushTokenBody, req.body)));
  });

  r.delete(SELF_REMOVAL_PATH, async (req, res) => {
    const app = await admitted(req);
    res.json(await removeSigningDevices(s, app, apiKeyAsSent(req), parseBody(selfRemovalBody, req.body)));
  });

  r.get(SERVER_KEY_PATH, async (req, res) => {
    const app = await admitted(req);
    res.json((await s.serverKeys.of(app.apiKey)).publicJwk);
  });

  r.get(VAPID_KEY_PATH, async (req, res) => {
    await admitted(req);
    res.json({ PublicKey: (await s.vapid.get()).publicKey } satisfies z.infer<typeof vapidKeyAnswer>);
  });

  return r;
}
