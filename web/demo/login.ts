/**
 * The demo login page (/demo/): the first factor with L2, the enrollment QR when the user has no phone yet, then
 * the wait for the phone's answer with the browser client, as a customer's page would do it.
 */
import { waitForPushApproval } from "../client/push-mfa.js";
import { byId as $, callJson, describeError, say as sayIn, type Tone } from "../shared/page.js";
import type { ErrorBody, LoginResponse, PushStatus, SecondFactorResponse } from "../shared/wire.js";

const apikey = document.querySelector<HTMLMetaElement>('meta[name="pmg-apikey"]')?.content ?? "";
const gateway = location.origin;

let waiting: AbortController | undefined;
let token = "";

const say = (text: string, tone: Tone = "") => sayIn($("message"), text, tone);

/** A call of this page's app (its apikey in the query, as LoginRadius's front-end calls carry it). */
function api(method: string, path: string, body?: unknown) {
  const url = new URL(path, gateway);
  url.searchParams.set("apikey", apikey);
  return callJson(url, method, body);
}

function credentials(): { email: string; password: string } | null {
  const form = $<HTMLFormElement>("login-form");
  if (!form.reportValidity()) return null;
  return { email: $<HTMLInputElement>("email").value.trim(), password: $<HTMLInputElement>("password").value };
}

function showOnly(...ids: string[]): void {
  for (const id of ["enroll", "waiting", "done"]) $(id).hidden = !ids.includes(id);
}

$("signup").addEventListener("click", async () => {
  const c = credentials();
  if (!c) return;
  const res = await api("POST", "/demo/signup", c);
  if (res.ok) say(`Demo user ${c.email} created: now sign in.`, "ok");
  else say(describeError(res.body), "error");
});

$<HTMLFormElement>("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  void signIn();
});

$("resend").addEventListener("click", async () => {
  if (!token) return;
  const res = await api("POST", `/identity/v2/auth/login/2FA?secondfactorauthenticationtoken=${encodeURIComponent(token)}`);
  say(res.ok ? "The push was sent again." : describeError(res.body), res.ok ? "ok" : "error");
});

$("signout").addEventListener("click", () => {
  showOnly();
  say("");
});

async function signIn(): Promise<void> {
  const c = credentials();
  if (!c) return;
  waiting?.abort();
  showOnly();
  token = "";
  $("status").textContent = "Pending";
  $("delivery").textContent = "";
  $("transport").textContent = "…";
  say("Checking your password…");
  const res = await api("POST", "/identity/v2/auth/login/2fa", c);
  if (!res.ok) {
    say(describeError(res.body), "error");
    return;
  }
  const sfa = (res.body as SecondFactorResponse).SecondFactorAuthentication;
  token = sfa.SecondFactorAuthenticationToken;
  say("");
  // `sfa.PushQRCode` is the image's URL (as on LoginRadius); the details carry the same QR inline, so the page's
  // CSP needs no other origin for images, and the link to copy into the phone simulator.
  if (sfa.PushQRCodeDetails) {
    $<HTMLImageElement>("qr").src = sfa.PushQRCodeDetails.Image;
    $<HTMLInputElement>("enroll-url").value = sfa.PushQRCodeDetails.Url;
    $<HTMLAnchorElement>("authenticator-link").href = sfa.PushQRCodeDetails.AuthenticatorUrl;
    showOnly("enroll", "waiting");
  } else {
    showOnly("waiting");
  }
  $("number").hidden = !sfa.PushNumber;
  $("number-value").textContent = sfa.PushNumber ?? "";

  const controller = new AbortController();
  waiting = controller;
  let latencyMs: number | undefined;
  try {
    const login = await waitForPushApproval({
      url: gateway,
      apikey,
      token,
      signal: controller.signal,
      onStatus: (st: PushStatus) => {
        $("status").textContent = st.Status;
        $("delivery").textContent = st.Delivery ? `(push ${st.Delivery.State.toLowerCase()}, ${st.Delivery.Devices} device${st.Delivery.Devices === 1 ? "" : "s"})` : "";
        if (st.Number) {
          $("number").hidden = false;
          $("number-value").textContent = st.Number;
        }
        if (st.Delivery && st.Status === "Pending") $("enroll").hidden = true;
        if (st.Status === "Approved" && st.AnsweredAt) latencyMs = Date.now() - Date.parse(st.AnsweredAt);
      },
      onTransport: (t) => {
        $("transport").textContent = t === "socket" ? "socket (pushed to this page)" : "polling (the socket is unavailable)";
      },
    });
    showProfile(login, latencyMs);
  } catch (err) {
    if (controller.signal.aborted) return;
    $("status").textContent = (err as ErrorBody).ErrorCode === 1312 ? "Denied" : "Not signed in";
    say(describeError(err), "error");
  }
}

/**
 * The authenticator app adding this account: the QR's own link to it (contract 1.3, `AuthenticatorUrl`), else made
 * from the enrollment URL, whose origin is the gateway's PUBLIC_URL.
 */

function showProfile(login: LoginResponse, latencyMs: number | undefined): void {
  showOnly("done");
  $("latency").textContent =
    latencyMs === undefined
      ? "The approval was learned by polling."
      : `The approval reached this page ${Math.max(0, latencyMs)} ms after the phone's answer was recorded.`;
  const p = login.Profile;
  const rows: Array<[string, string]> = [
    ["Email", p.Email[0]?.Value ?? ""],
    ["Uid", p.Uid],
    ["Access token", `${login.access_token.slice(0, 8)}…`],
    ["Expires", new Date(login.expires_in).toLocaleString()],
  ];
  const dl = $("profile");
  dl.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      return [dt, dd];
    }),
  );
  say(`Welcome, ${p.Email[0]?.Value ?? p.Uid}.`, "ok");
}

if (!apikey) say("No demo app: start the gateway in development (npm start) with an empty Redis prefix.", "error");
