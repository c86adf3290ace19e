import { Router } from "express";
import { z } from "zod";
import type { Services } from "../../services.js";
import { clientIp } from "../client-address.js";
import { requireApp, requireAppWithSecret } from "../credentials.js";
import { spendSignature } from "../single-use-signature.js";

/** (ext) The management bearer token and when it expires. */
export const managementTokenAnswer = z.object({ access_token: z.string(), expires_in: z.string() });

/** L17's answer: the app's name, and push as its only second factor. */
export const appInfoAnswer = z.object({
  AppName: z.string(),
  TwoFactorAuthentication: z.object({
    IsEnabled: z.boolean(),
    IsRequired: z.boolean(),
    IsPushAuthenticator: z.boolean(),
    IsGoogleAuthenticator: z.literal(false),
    IsAuthenticator: z.literal(false),
    IsOTPAuthenticator: z.literal(false),
    IsEmailOtpAuthenticator: z.literal(false),
    IsSecurityQuestionAuthenticator: z.literal(false),
  }),
});

/** Contract 1.6: what a customer's backend calls beside the login itself: its bearer token and the app's info. */
export function serverCallerRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });

  // (ext) Trade the apisecret (or a signature) for a management bearer token good for an hour. Not for a bearer
  // itself: a stolen token must not be able to renew itself forever.
  r.post("/v2/manage/token", async (req, res) => {
    const app = await requireAppWithSecret(s, req, { allowBearer: false });
    // A bearer is a credential: a captured signed request for one is good once (single-use-signature.ts).
    await spendSignature(s, req, app.apiKey);
    const { token, expiresAt } = await s.managementTokens.issue(app.apiKey);
    res.json({ access_token: token, expires_in: new Date(expiresAt).toISOString() } satisfies z.infer<typeof managementTokenAnswer>);
  });

  // L17: the app's public configuration, as LoginRadius's web SDK reads it before showing a login form. Push is
  // the only second factor here; the other factors' flags are there, false, for clients that read them.
  r.get("/ciam/appinfo", async (req, res) => {
    await s.limits.strangerPerIp(clientIp(req));
    const app = await requireApp(s, req);
    const push = (await s.settings.get(app.apiKey, app.name)).IsEnabled === true;
    const answer: z.infer<typeof appInfoAnswer> = {
      AppName: app.name,
      TwoFactorAuthentication: {
        IsEnabled: push,
        IsRequired: push,
        IsPushAuthenticator: push,
        IsGoogleAuthenticator: false,
        IsAuthenticator: false,
        IsOTPAuthenticator: false,
        IsEmailOtpAuthenticator: false,
        IsSecurityQuestionAuthenticator: false,
      },
    };
    res.json(answer);
  });

  return r;
}
