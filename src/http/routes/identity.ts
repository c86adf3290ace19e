import { Router } from "express";
import { requireAdmin } from "../../console/admin-access.js";
import { ApiError, errorBody, httpStatusOf } from "../../errors.js";
import { registerDevice } from "../../enrollment/register-device.js";
import { ENROLL_PATH } from "../../enrollment/enrollment.js";
import { startLogin } from "../../login/start-login.js";
import { resendPush } from "../../login/resend.js";
import { ping } from "../../login/ping.js";
import { answerPush, challengeRefOfHandle } from "../../answer/answer.js";
import { chargingRefusals } from "../../answer/answer-budget.js";
import { resetPushDevices } from "../../devices/reset.js";
import type { Services } from "../../services.js";
import { together } from "../../together.js";
import { countingGuesses } from "../../guess-budget.js";
import { requireApp, requireUser } from "../credentials.js";
import { parseBody, queryParam } from "../request-input.js";
import { answerBody, deviceBody, firstFactorBody, newAccountBody } from "./schemas.js";

/** The LoginRadius-compatible endpoints L1 to L9 (contract part 1). Paths match case-insensitively. */
export function identityRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });
  const client = (req: { ip?: string | undefined; headers: Record<string, unknown> }) => ({
    ip: req.ip ?? "",
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
      const ip = req.ip ?? "";
      await together([s.limits.strangerPerIp(ip), s.guesses.refuseIfGuessing(ip)]);
      res.json(await countingGuesses(s.guesses, ip, resendPush(s, app, twoFactorToken(req))));
      return;
    }
    const body = parseBody(firstFactorBody, req.body);
    const kind = body.email ? "email" : body.username ? "username" : "phone";
    res.json(await startLogin(s, app, { kind, value: body.email ?? body.username ?? body.phone ?? "", password: body.password }, client(req)));
  });

  // L4: the legacy poll, on both paths.
  for (const path of ["/login/2fa/push/ping", "/identity/v2/auth/login/2fa/push/ping"]) {
    r.get(path, async (req, res) => {
      const app = await requireApp(s, req);
      const result = await ping(s, app, twoFactorToken(req), req.ip ?? "");
      if ("login" in result) res.json(result.login);
      else res.status(httpStatusOf(result.error)).json(errorBody(result.error));
    });
  }

  // L5: the phone answers with the handle it got in the push. A refused answer spends this caller's budget on
  // the handle, not the handle's own, so strangers cannot lock the phone out.
  r.put("/identity/v2/auth/login/2fa/verification/push", async (req, res) => {
    const handle = queryParam(req, "secondfactorauthenticationtoken") ?? "";
    const ip = req.ip ?? "";
    await chargingRefusals(s, handle, ip, async () => {
      // One round trip for the three independent checks; errors still come in this order.
      const [, app, challenge] = await together([s.limits.strangerPerIp(ip), requireApp(s, req), challengeRefOfHandle(s, handle, ip)]);
      if (!handle) throw new ApiError(1296);
      const body = parseBody(answerBody, req.body);
      res.json(await answerPush(s, app, handle, challenge, body));
    });
  });

  // L6: the phone posts to the enrollment URL it scanned.
  r.post(`${ENROLL_PATH}/:token`, async (req, res) => {
    await s.limits.strangerPerIp(req.ip ?? "");
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
    await s.limits.strangerPerIp(req.ip ?? "");
    const { app, user } = await requireUser(s, req);
    const settings = await s.settings.get(app.apiKey, app.name);
    const devices = (await s.devices.list(app.apiKey, user.uid)).filter((d) => d.active);
    // No 2FA token here: the QR image's `token` is an opaque reference made for this enrollment (contract 1.3).
    const qr = await s.enrollment.issue({ appId: app.apiKey, uid: user.uid }, settings);
    res.json({
      IsPushDeviceRegistered: devices.length > 0,
      PushQRCode: qr.PushQRCode,
      PushQRCodeDetails: qr.PushQRCodeDetails,
      IsAuthenticatorVerified: false,
      IsOTPAuthenticatorVerified: false,
      IsEmailOtpAuthenticatorVerified: false,
      IsSecurityQuestionAuthenticatorVerified: false,
    });
  });

  return r;
}
