import { Router, type Request } from "express";
import { z } from "zod";
import { pushQRCodeDetailsSchema } from "../../enrollment/enrollment.js";
import { requireAdmin } from "../../console/admin-access.js";
import { ApiError, errorBody, httpStatusOf } from "../../errors.js";
import { registerDevice } from "../../enrollment/register-device.js";
import { ENROLL_PATH } from "../../enrollment/enrollment.js";
import { startLogin } from "../../login/start-login.js";
import { startStepUp } from "../../login/step-up.js";
import { resendPush } from "../../login/resend.js";
import { ping, type PingResult } from "../../login/ping.js";
import { LONG_POLL_MAX_SECONDS, LONG_POLL_MIN_SECONDS, longPoll } from "../../login/long-poll.js";
import type { PingWaiters } from "../../realtime/ping-waiters.js";
import { answerPush, targetOfHandle } from "../../answer/answer.js";
import { chargingRefusals } from "../../answer/answer-budget.js";
import { resetPushDevices } from "../../devices/reset.js";
import type { Services } from "../../services.js";
import { together } from "../../together.js";
import { countingGuesses } from "../../guess-budget.js";
import { requireApp, requireUser } from "../credentials.js";
import { parseBody, queryParam } from "../request-input.js";
import { clientIp } from "../client-address.js";
import { otherFactorFields, otherFactorFieldsSchema } from "../../login/other-factors.js";
import { answerBody, deviceBody, firstFactorBody, newAccountBody } from "./schemas.js";

/** L9's answer: the user's MFA settings with a fresh enrollment QR; the factors this gateway does not have are false. */
export const accountMfaSettingsSchema = z.object({
  IsPushDeviceRegistered: z.boolean(),
  PushQRCode: z.string(),
  PushQRCodeDetails: pushQRCodeDetailsSchema,
  ...otherFactorFieldsSchema.shape,
});

export interface IdentityRouteOptions {
  /** This node's held L4 requests (contract 2.11); without it `wait` is checked but L4 answers at once. */
  pingWaiters?: PingWaiters | undefined;
}

/** L4's `wait` (contract 2.11): whole seconds 1–30, or absent; anything else (given twice included) is 908. */
function waitSecondsOf(req: Parameters<typeof queryParam>[0]): number | undefined {
  const raw = queryParam(req, "wait");
  if (raw === undefined) return undefined;
  const n = /^\d{1,2}$/.test(raw) ? Number(raw) : NaN;
  if (n >= LONG_POLL_MIN_SECONDS && n <= LONG_POLL_MAX_SECONDS) return n;
  throw new ApiError(908, { fields: [{ FieldName: "wait", ErrorMessage: `must be whole seconds from ${LONG_POLL_MIN_SECONDS} to ${LONG_POLL_MAX_SECONDS}` }] });
}

/** The LoginRadius-compatible endpoints L1 to L9 and L12 (contract part 1). Paths match case-insensitively. */
export function identityRoutes(s: Services, options: IdentityRouteOptions = {}): Router {
  const r = Router({ caseSensitive: false });
  const client = (req: Request) => ({
    ip: clientIp(req),
    userAgent: typeof req.headers["user-agent"] === "string" ? req.headers["user-agent"] : "",
  });
  const twoFactorToken = (req: Parameters<typeof queryParam>[0]) => {
    const token = queryParam(req, "secondfactorauthenticationtoken");
    if (!token) throw new ApiError(1103, { description: "The secondfactorauthenticationtoken query parameter is missing." });
    return token;
  };

  // L1: create an account (management).
  r.post("/identity/v2/manage/account", async (req, res) => {
    const { app } = await requireAdmin(s, req, "user.create");
    const body = parseBody(newAccountBody, req.body);
    const primary = body.Email.find((e) => e.Type.toLowerCase() === "primary") ?? body.Email[0]!;
    res.json(await s.accounts.create(app.apiKey, {
      email: primary.Value, password: body.Password, userName: body.UserName, phoneId: body.PhoneId, firstName: body.FirstName,
    }));
  });

  // L2: first factor → push; L3: the same path with a token and no body is the resend.
  r.post("/identity/v2/auth/login/2fa", async (req, res) => {
    const app = await requireApp(s, req);
    if (queryParam(req, "secondfactorauthenticationtoken") !== undefined) {
      const ip = clientIp(req);
      await together([s.limits.strangerPerIp(ip), s.guesses.refuseIfGuessing(ip)]);
      res.json(await countingGuesses(s.guesses, ip, resendPush(s, app, twoFactorToken(req))));
      return;
    }
    const body = parseBody(firstFactorBody, req.body);
    const kind = body.email ? "email" : body.username ? "username" : "phone";
    res.json(await startLogin(s, app, { kind, value: body.email ?? body.username ?? body.phone ?? "", password: body.password }, client(req)));
  });

  // L4: the legacy poll, on both paths; with `wait` (contract 2.11) a long poll.
  for (const path of ["/login/2fa/push/ping", "/identity/v2/auth/login/2fa/push/ping"]) {
    r.get(path, async (req, res) => {
      const app = await requireApp(s, req);
      const wait = waitSecondsOf(req);
      const token = twoFactorToken(req);
      const waiters = options.pingWaiters;
      let result: PingResult;
      if (wait !== undefined && waiters) {
        // The client gone (its request aborted, its connection closed) ends the wait at once.
        const gone = new AbortController();
        res.once("close", () => gone.abort());
        // On the plain client: held requests arrive and wake by the thousand at once, and auto-pipelined batches
        // that large cost RSS (bench scenario 9: 15.4-15.9 KB per held request became 17.6-17.9 KB).
        result = await longPoll(s, waiters, app, token, clientIp(req), wait, gone.signal);
      } else {
        result = await ping(s.pollers, app, token, clientIp(req));
      }
      if ("login" in result) res.json(result.login);
      else res.status(httpStatusOf(result.error)).json(errorBody(result.error));
    });
  }

  // L5: the phone answers with the handle it got in the push. A refused answer spends this caller's budget on
  // the handle, not the handle's own, so strangers cannot lock the phone out.
  r.put("/identity/v2/auth/login/2fa/verification/push", async (req, res) => {
    const handle = queryParam(req, "secondfactorauthenticationtoken") ?? "";
    const ip = clientIp(req);
    await chargingRefusals(s, handle, ip, async () => {
      // One round trip for the three independent checks; errors still come in this order.
      const [, app, target] = await together([s.limits.strangerPerIp(ip), requireApp(s, req), targetOfHandle(s, handle, ip)]);
      if (!handle) throw new ApiError(1296);
      const body = parseBody(answerBody, req.body);
      res.json(await answerPush(s, app, handle, target, body));
    });
  });

  // L6: the phone posts to the enrollment URL it scanned.
  r.post(`${ENROLL_PATH}/:token`, async (req, res) => {
    await s.limits.strangerPerIp(clientIp(req));
    const app = await requireApp(s, req);
    const body = parseBody(deviceBody, req.body);
    res.json(await registerDevice(s, app.apiKey, String(req.params.token), {
      name: body.deviceName, type: body.deviceType, publicKey: body.publicKey, token: body.deviceToken,
    }));
  });

  // L7: the user removes their own push devices.
  r.delete("/identity/v2/auth/account/2fa/authenticator/push", async (req, res) => {
    const { app, user } = await requireUser(s, req);
    res.json(await resetPushDevices(s, app.apiKey, user.uid));
  });

  // L8: an admin removes a user's push devices.
  r.delete("/identity/v2/manage/account/2fa/authenticator/push/:uid", async (req, res) => {
    const { app, actor } = await requireAdmin(s, req, "devices.reset");
    const uid = String(req.params.uid);
    if (!/^[0-9a-f]{32}$/i.test(uid) || !(await s.accounts.get(app.apiKey, uid.toLowerCase()))) throw new ApiError(938);
    res.json(await resetPushDevices(s, app.apiKey, uid.toLowerCase(), actor.name));
  });

  // L9: the user's MFA settings, with a fresh enrollment QR. Every call draws a QR and stores an enrollment token,
  // so it spends the caller's per-address budget as the stranger-facing calls do.
  r.get("/identity/v2/auth/account/2fa", async (req, res) => {
    await s.limits.strangerPerIp(clientIp(req));
    const { app, user } = await requireUser(s, req);
    const settings = await s.settings.get(app.apiKey, app.name);
    const devices = (await s.devices.list(app.apiKey, user.uid)).filter((d) => d.active);
    // No 2FA token here: the QR image's `token` is an opaque reference made for this enrollment (contract 1.3).
    const qr = await s.enrollment.issue({ appId: app.apiKey, uid: user.uid }, settings);
    const answer: z.infer<typeof accountMfaSettingsSchema> = {
      IsPushDeviceRegistered: devices.length > 0,
      PushQRCode: qr.PushQRCode,
      PushQRCodeDetails: qr.PushQRCodeDetails,
      ...otherFactorFields(),
    };
    res.json(answer);
  });

  // L12: step-up. A signed-in user is pushed again; approved, the page gets a validation token, not a session.
  r.get("/identity/v2/auth/account/reauth/2fa", async (req, res) => {
    const { app, user } = await requireUser(s, req);
    res.json(await startStepUp(s, app, user, client(req)));
  });

  return r;
}
