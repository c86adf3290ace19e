import { expect } from "vitest";
import { runAdmin } from "../../src/admin/run-admin.js";
import { findAdminApp } from "../../src/console/admin-app.js";
import type { TestGateway } from "./gateway.js";
import { call, type ApiResponse } from "./http.js";
import { TestPhone } from "./phone.js";
import { pull } from "./signed-device.js";

/** Console admins (contract 2.14) as a test drives them: the admin CLI, the sign-in API and an admin's phone. */

export const ADMIN_PASSWORD = "console admin password 1";

export const CONSOLE_API = {
  signIn: "/console/api/sign-in",
  session: "/console/api/session",
  me: "/console/api/me",
  signOut: "/console/api/sign-out",
} as const;

/** `npm run admin -- …` against this gateway's deployment (its prefix and master key), stdin given. */
export async function adminCli(gw: TestGateway, argv: string[], stdin = "") {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdmin(
    argv,
    { NODE_ENV: "production", REDIS_URL: gw.config.REDIS_URL, REDIS_PREFIX: gw.config.REDIS_PREFIX, MASTER_KEY: gw.config.MASTER_KEY! },
    { out: (l) => out.push(l), err: (l) => err.push(l), stdin: async () => stdin },
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** Make an admin with the CLI (password on stdin); fails the test if the CLI refuses. */
export async function makeAdmin(gw: TestGateway, email: string, role: string, apps = "all"): Promise<void> {
  const made = await adminCli(gw, ["admins", "create", email, "--role", role, "--apps", apps], `${ADMIN_PASSWORD}\n`);
  expect(made, made.err).toMatchObject({ code: 0 });
}

/** The internal admin app's apikey. */
export async function adminAppKey(gw: TestGateway): Promise<string> {
  const app = await findAdminApp(gw.services);
  if (!app) throw new Error("the gateway made no admin app");
  return app.apiKey;
}

/** Headers a request from the console's own page carries (what Chromium sends on a same-origin POST). */
export const sameOrigin = (gw: TestGateway) => ({ Origin: gw.url, "Sec-Fetch-Site": "same-origin" });

export interface SignInAnswer {
  SecondFactorAuthentication: {
    SecondFactorAuthenticationToken: string;
    PushQRCode: string | null;
    PushQRCodeDetails: { Url: string; Image: string; AuthenticatorUrl: string } | null;
    PushNumber?: string;
  };
  ApiKey: string;
}

/** POST the console's email + password sign-in. */
export const postSignIn = (gw: TestGateway, email: string, password = ADMIN_PASSWORD, headers: Record<string, string> = sameOrigin(gw)) =>
  call<SignInAnswer>(gw.url, "POST", CONSOLE_API.signIn, { headers, json: { Email: email, Password: password } });

/**
 * The admin's phone answers the console sign-in's push as an enrolled device with no relay does: it enrolls from
 * the QR when the sign-in shows one, pulls its pending push with a signed request (contract 2.8) and approves it.
 */
export async function approveOnPhone(gw: TestGateway, phone: TestPhone, answer: SignInAnswer): Promise<void> {
  const qr = answer.SecondFactorAuthentication.PushQRCodeDetails;
  if (qr) {
    // Straight to this node, whatever PUBLIC_URL the QR's URL names (a test's https name resolves nowhere).
    const url = new URL(qr.Url);
    const enrolled = await phone.enroll(new URL(url.pathname + url.search, gw.url).href, "Admin phone");
    expect(enrolled.status, enrolled.text).toBe(200);
  }
  const pulled = await pull(gw, phone, { apiKey: answer.ApiKey });
  expect(pulled.status, pulled.text).toBe(200);
  const push = pulled.body.Data.at(-1);
  if (!push) throw new Error("the admin's phone found no pending push");
  const handle = push.secondfactorauthenticationtoken!;
  const answered = await phone.answer(gw.url, answer.ApiKey, handle, "Yes");
  expect(answered.status, answered.text).toBe(200);
}

/** The approved login's access token, read as a polling page does (L4 on the admin app). */
export async function approvedAccessToken(gw: TestGateway, answer: SignInAnswer): Promise<string> {
  const res = await call<{ access_token?: string }>(gw.url, "GET", "/identity/v2/auth/login/2fa/push/ping", {
    query: { apikey: answer.ApiKey, secondfactorauthenticationtoken: answer.SecondFactorAuthentication.SecondFactorAuthenticationToken },
  });
  expect(res.status, res.text).toBe(200);
  return res.body.access_token!;
}

/** The session cookie ("name=value") a Set-Cookie header hands out. */
export function cookieOf(res: ApiResponse): string {
  const set = res.headers.getSetCookie().find((c) => c.startsWith("pmg_console=") || c.startsWith("__Host-pmg_console="));
  if (!set) throw new Error(`no console cookie in ${res.status} ${res.text}`);
  return set.split(";")[0]!;
}

/** Sign an admin in end to end over HTTP (phone approves) and return their cookie. */
export async function signedInCookie(gw: TestGateway, email: string, phone: TestPhone): Promise<string> {
  const started = await postSignIn(gw, email);
  expect(started.status, started.text).toBe(200);
  await approveOnPhone(gw, phone, started.body);
  const session = await call(gw.url, "POST", CONSOLE_API.session, { headers: sameOrigin(gw), json: { AccessToken: await approvedAccessToken(gw, started.body) } });
  expect(session.status, session.text).toBe(200);
  return cookieOf(session);
}
