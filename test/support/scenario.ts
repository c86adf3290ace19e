import { call } from "./http.js";
import type { TestGateway } from "./gateway.js";
import type { WebhookReceiver } from "./webhook-receiver.js";

/** The steps a customer's backend and login page take, as plain calls of the contract. */

export const secretHeaders = (gw: TestGateway) => ({ "X-LoginRadius-ApiKey": gw.apiKey, "X-LoginRadius-ApiSecret": gw.apiSecret });

/** L10: switch push on with the Native provider pointed at the test's webhook receiver. */
export async function useWebhook(gw: TestGateway, receiver: WebhookReceiver, extra: Record<string, unknown> = {}) {
  const res = await call(gw.url, "PUT", "/v2/manage/2fa/push-notification-settings", {
    headers: secretHeaders(gw),
    json: {
      IsEnabled: true,
      CustomAppName: "Acme Authenticator",
      NotificationService: "Native",
      NativeSettings: { WebhookUrl: receiver.url, SigningSecret: receiver.secret },
      ...extra,
    },
  });
  if (res.status !== 200) throw new Error(`settings refused: ${res.text}`);
  return res.body;
}

/** L1: a new account. */
export async function createAccount(gw: TestGateway, email: string, password = "correct horse battery") {
  const res = await call<{ Uid: string }>(gw.url, "POST", "/identity/v2/manage/account", {
    headers: secretHeaders(gw),
    json: { Email: [{ Type: "Primary", Value: email }], Password: password },
  });
  if (res.status !== 200) throw new Error(`account refused: ${res.text}`);
  return res.body;
}

export interface SecondFactor {
  SecondFactorAuthenticationToken: string;
  ExpireIn: string;
  IsPushDeviceRegistered: boolean;
  /** Contract 1.3: the URL of the enrollment QR's image (L11). */
  PushQRCode: string | null;
  PushQRCodeDetails: { Url: string; Image: string; ExpireIn: string; AppName: string; Message: string; PlaystoreUrl?: string; AppstoreUrl?: string; AuthenticatorUrl: string } | null;
  IsBackupCodeEnabled?: boolean;
  PushNumber?: string;
}

/** L2: the first factor. */
export function login(gw: TestGateway, email: string, password = "correct horse battery", headers: Record<string, string> = {}) {
  return call<{ SecondFactorAuthentication: SecondFactor; ErrorCode?: number }>(gw.url, "POST", "/identity/v2/auth/login/2fa", {
    query: { apikey: gw.apiKey },
    headers: { "user-agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/130.0 Safari/537.36", ...headers },
    json: { email, password },
  });
}

/** L4: the legacy poll. */
export const ping = (gw: TestGateway, token: string, path = "/login/2fa/push/ping") =>
  call(gw.url, "GET", path, { query: { apikey: gw.apiKey, secondfactorauthenticationtoken: token } });

/** Poll L4 until it stops answering 1295 (bounded). */
export async function waitForOutcome(gw: TestGateway, token: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await ping(gw, token);
    if ((res.body as { ErrorCode?: number }).ErrorCode !== 1295 || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 50));
  }
}
