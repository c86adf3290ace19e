/**
 * A named admin's sign-in (contract 2.14): email and password start a push login on the gateway's admin app; the
 * page shows the enrollment QR on a first sign-in (as a login page does after L2), waits for the answer on the
 * socket (or L4), then trades the approved login's access token, once, for the session cookie, which this page
 * never reads (httpOnly). Nothing of the sign-in is stored by the page.
 */
import { waitForPushApproval } from "../client/push-mfa.js";
import { byId as $, callJson, say } from "../shared/page.js";
import type { PushStatus, SecondFactorResponse } from "../shared/wire.js";
import { explain, type AdminIdentity } from "./session.js";

export const ADMIN_API = { signIn: "/console/api/sign-in", session: "/console/api/session", me: "/console/api/me", signOut: "/console/api/sign-out" };

let waiting: AbortController | null = null;

function showWait(show: boolean): void {
  $("admin-wait").hidden = !show;
  if (!show) {
    $("admin-enroll").hidden = true;
    $<HTMLImageElement>("admin-qr").removeAttribute("src");
    $<HTMLAnchorElement>("admin-authenticator").removeAttribute("href");
    $("admin-number").hidden = true;
  }
}

/** Sign in; the admin once the push was approved and the session set, or null (the reason is on the page). */
export async function adminSignIn(email: string, password: string): Promise<AdminIdentity | null> {
  waiting?.abort();
  say($("message"), "Checking your password…");
  const res = await callJson(ADMIN_API.signIn, "POST", { Email: email, Password: password });
  if (!res.ok) {
    say($("message"), explain(res.body), "error");
    return null;
  }
  const body = res.body as SecondFactorResponse & { ApiKey: string };
  const sfa = body.SecondFactorAuthentication;
  showWait(true);
  // The QR inline (its details' data: URL), so the console's CSP needs no other image source.
  if (sfa.PushQRCodeDetails) {
    $<HTMLImageElement>("admin-qr").src = sfa.PushQRCodeDetails.Image;
    $<HTMLAnchorElement>("admin-authenticator").href = sfa.PushQRCodeDetails.AuthenticatorUrl;
    $("admin-enroll").hidden = false;
    say($("message"), "Scan this code with the authenticator app to enroll it; then approve the sign-in it shows.");
  } else {
    say($("message"), "Approve the sign-in on your device.");
  }
  const showNumber = (n: string | undefined) => {
    $("admin-number").hidden = !n;
    $("admin-number-value").textContent = n ?? "";
  };
  showNumber(sfa.PushNumber);

  const controller = new AbortController();
  waiting = controller;
  try {
    const login = await waitForPushApproval({
      url: location.origin,
      apikey: body.ApiKey,
      token: sfa.SecondFactorAuthenticationToken,
      signal: controller.signal,
      onStatus: (st: PushStatus) => {
        if (st.Number) showNumber(st.Number);
        if (st.Delivery && st.Status === "Pending") $("admin-enroll").hidden = true;
      },
    });
    const session = await callJson(ADMIN_API.session, "POST", { AccessToken: login.access_token });
    if (!session.ok) {
      say($("message"), explain(session.body), "error");
      return null;
    }
    return session.body as AdminIdentity;
  } catch (err) {
    if (!controller.signal.aborted) say($("message"), explain(err), "error");
    return null;
  } finally {
    showWait(false);
    if (waiting === controller) waiting = null;
  }
}

/** The admin of this browser's session cookie, if it is still good. */
export async function currentAdmin(): Promise<AdminIdentity | null> {
  const res = await callJson(ADMIN_API.me, "GET");
  return res.ok ? (res.body as AdminIdentity) : null;
}

/** End the session on the server, which also clears the cookie. */
export async function signOutAdmin(): Promise<void> {
  await callJson(ADMIN_API.signOut, "POST");
}
