/**
 * The demo login page (/demo/): the first factor with L2, the enrollment QR when the user has no phone yet, then
 * the wait for the phone's answer with the browser client, as a customer's page would do it.
 */
import { waitForPushApproval } from "../client/push-mfa.js";
import { byId as $, callJson, say as sayIn, type Tone } from "../shared/page.js";
import type { ChallengeStatus, LoginResponse, PushStatus, SecondFactorResponse } from "../shared/wire.js";
import { endedMessage, friendlyError, numberInstruction, RESEND_SPENT, resendCountdown, STATUS_WORDS } from "./login-copy.js";

const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? "";
const apikey = meta("pmg-apikey");
const gateway = location.origin;
/** The server's resend rules (RESEND_MIN_INTERVAL_SECONDS, RESEND_MAX) and the app's number matching, as served. */
const resendSeconds = Number(meta("pmg-resend-seconds")) || 0;
const resendMax = Number(meta("pmg-resend-max")) || 0;
const numberMode = meta("pmg-number-matching");

let waiting: AbortController | undefined;
let token = "";
let resends = 0;
let countdown: ReturnType<typeof setInterval> | undefined;

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
  else say(friendlyError(res.body), "error");
});

$<HTMLFormElement>("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  void signIn();
});

$("resend").addEventListener("click", async () => {
  if (!token) return;
  $<HTMLButtonElement>("resend").disabled = true;
  const res = await api("POST", `/identity/v2/auth/login/2FA?secondfactorauthenticationtoken=${encodeURIComponent(token)}`);
  if (res.ok) resends++;
  say(res.ok ? "The push was sent again." : friendlyError(res.body), res.ok ? "ok" : "error");
  // Sent or refused for coming too soon, the server counts from its last send: wait as long again.
  startResendCountdown();
});

$("try-again").addEventListener("click", () => void signIn());

/**
 * The resend button, as the server allows it: not before RESEND_MIN_INTERVAL_SECONDS after the last send (a
 * countdown says when), and not after RESEND_MAX resends (then a new sign-in is the way).
 */
function startResendCountdown(): void {
  clearInterval(countdown);
  const button = $<HTMLButtonElement>("resend");
  const note = $("resend-wait");
  if (resendMax > 0 && resends >= resendMax) {
    button.hidden = true;
    note.textContent = RESEND_SPENT;
    return;
  }
  button.hidden = false;
  let left = resendSeconds;
  const tick = () => {
    button.disabled = left > 0;
    note.textContent = left > 0 ? resendCountdown(left) : "";
    if (left <= 0) clearInterval(countdown);
    left--;
  };
  tick();
  if (resendSeconds > 0) countdown = setInterval(tick, 1000);
}

/** The sign-in ended without a session: say why once, and offer a new one. */
function ended(status: ChallengeStatus | undefined, error: unknown): void {
  clearInterval(countdown);
  $("resend-row").hidden = true;
  // The number and the delivery belong to the sign-in that ended.
  $("number").hidden = true;
  $("delivery").textContent = "";
  $("status").textContent = status ? STATUS_WORDS[status] : "Not signed in";
  say(status ? endedMessage(status, error) : friendlyError(error), "error");
  $("try-again").hidden = false;
}

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
  resends = 0;
  clearInterval(countdown);
  $("try-again").hidden = true;
  $("resend-row").hidden = false;
  $("status").textContent = STATUS_WORDS.Pending;
  $("delivery").textContent = "";
  $("transport").textContent = "…";
  say("Checking your password…");
  const res = await api("POST", "/identity/v2/auth/login/2fa", c);
  if (!res.ok) {
    say(friendlyError(res.body), "error");
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
  showNumber(sfa.PushNumber);
  // The push goes out now, or (with a QR) once the phone enrolls: the resend's cooldown counts from then.
  let sent = !sfa.PushQRCode;
  if (sent) startResendCountdown();
  else $("resend").hidden = true;

  const controller = new AbortController();
  waiting = controller;
  let latencyMs: number | undefined;
  let last: ChallengeStatus | undefined;
  try {
    const login = await waitForPushApproval({
      url: gateway,
      apikey,
      token,
      signal: controller.signal,
      onStatus: (st: PushStatus) => {
        last = st.Status;
        $("status").textContent = STATUS_WORDS[st.Status] ?? st.Status;
        $("delivery").textContent = st.Delivery ? `(push ${st.Delivery.State.toLowerCase()}, ${st.Delivery.Devices} device${st.Delivery.Devices === 1 ? "" : "s"})` : "";
        if (st.Number) showNumber(st.Number);
        if (st.Delivery && st.Status === "Pending") $("enroll").hidden = true;
        if (st.Delivery && !sent) {
          sent = true;
          startResendCountdown();
        }
        if (st.Status === "Approved" && st.AnsweredAt) latencyMs = Date.now() - Date.parse(st.AnsweredAt);
      },
      onTransport: (t) => {
        $("transport").textContent = t === "socket" ? "socket (pushed to this page)" : "polling (the socket is unavailable)";
      },
    });
    showProfile(login, latencyMs);
  } catch (err) {
    if (controller.signal.aborted) return;
    const code = (err as { ErrorCode?: number }).ErrorCode;
    ended(code === 1312 ? "Denied" : code === 1104 && last !== "Cancelled" ? "Expired" : last !== "Pending" ? last : undefined, err);
  }
}

/** The number to enter on the phone, with the verb for how it is entered there. */
function showNumber(n: string | undefined): void {
  $("number").hidden = !n;
  if (!n) return;
  const [verb] = numberInstruction(numberMode, n).split(" ");
  $("number-verb").textContent = verb!;
  $("number-value").textContent = n;
}

function showProfile(login: LoginResponse, latencyMs: number | undefined): void {
  clearInterval(countdown);
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
