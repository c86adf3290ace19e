/**
 * The phone simulator (/demo/phone): what an authenticator app does, in a browser tab. Its key is a WebCrypto
 * P-256 pair whose private half is not extractable and is kept in IndexedDB (phone-key.ts); it enrolls with L6,
 * connects to the `/device` channel with a signed handshake, receives pushes there, and answers L5 with signed
 * verdicts.
 */
import type { Socket } from "socket.io-client";
import { byId as $, callJson, describeError, say as sayIn, type Tone } from "../shared/page.js";
import { loadSocketIo } from "../shared/socket-io.js";
import type { DevicePush, ErrorBody } from "../shared/wire.js";
import { forgetPhone, loadPhone, newPhone, savePhone, sign, type StoredPhone } from "./phone-key.js";

const say = (text: string, tone: Tone = "") => sayIn($("message"), text, tone);

let phone: StoredPhone | undefined;
let socket: Socket | undefined;
const cards = new Map<string, HTMLLIElement>();

async function enroll(): Promise<void> {
  const raw = $<HTMLTextAreaElement>("enroll-url").value.trim();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    say("Paste the enrollment link shown under the QR code.", "error");
    return;
  }
  const apikey = url.searchParams.get("apikey") ?? "";
  // The simulator talks to the gateway that serves it (PUBLIC_URL may name another host for the same gateway).
  const target = new URL(url.pathname + url.search, location.origin);
  let p = phone && phone.apikey === apikey ? phone : undefined;
  p ??= await newPhone(apikey);
  p.name = $<HTMLInputElement>("device-name").value.trim() || "Simulated phone";
  const res = await callJson(target, "POST", {
    deviceName: p.name,
    deviceType: "android",
    publicKey: p.publicKey,
    // No FCM here: pushes come over the device channel while this page is open.
    deviceToken: `simulator-${crypto.randomUUID()}`,
  });
  if (!res.ok) {
    say(describeError(res.body), "error");
    return;
  }
  await savePhone(p);
  $<HTMLTextAreaElement>("enroll-url").value = "";
  say("Enrolled. Sign-in requests for this account now arrive here.", "ok");
  await useConnection(p);
}

async function useConnection(p: StoredPhone): Promise<void> {
  phone = p;
  $("device").hidden = false;
  $("device-label").textContent = `${p.name} (key ${p.publicKey.slice(-8)})`;
  socket?.removeAllListeners();
  socket?.disconnect();
  const io = await loadSocketIo(new URL("/", location.origin));
  const s = io(`${location.origin}/device`, {
    transports: ["websocket"],
    reconnectionDelayMax: 5000,
    // Called on every (re)connection: a fresh timestamp, a fresh signature.
    auth: (cb) => {
      const timestamp = String(Date.now());
      void sign(p.privateKey, `device:${p.apikey}:${timestamp}`).then((signature) =>
        cb({ apikey: p.apikey, publicKey: p.publicKey, timestamp, signature }),
      );
    },
  });
  socket = s;
  const conn = $("conn");
  s.on("connect", () => (conn.textContent = "connected"));
  s.on("disconnect", (reason) => {
    conn.textContent = "offline, reconnecting…";
    if (reason === "io server disconnect") setTimeout(() => s.connect(), 500 + Math.random() * 500);
  });
  s.on("connect_error", (err: Error & { data?: ErrorBody }) => {
    conn.textContent = "offline";
    if (!err.data) return; // the transport failed: Socket.IO retries by itself
    if (err.data.ErrorCode === 1313) {
      say("This phone is no longer enrolled (its push devices were reset). Enroll it again.", "error");
      return;
    }
    say(describeError(err.data), "error");
    setTimeout(() => s.connect(), 5000);
  });
  s.on("push", (push: DevicePush) => {
    s.emit("push:ack", push.deliveryId);
    show(push);
  });
}

function show(push: DevicePush): void {
  const d = push.data;
  const handle = d.secondfactorauthenticationtoken;
  // A resend carries a new delivery id but the same handle: one card per sign-in.
  if (cards.has(handle)) return;
  $("empty").hidden = true;
  const li = document.createElement("li");
  cards.set(handle, li);
  const line = (text: string, cls = "") => {
    const p = document.createElement("p");
    p.textContent = text;
    if (cls) p.className = cls;
    li.append(p);
    return p;
  };
  line(push.notification.title, "title");
  line(`Sign in as ${d.identifier}?`);
  line(`${d.browser} · ${d.location}`, "hint");
  line(`Requested ${new Date(Number(d.timestamp) * 1000).toLocaleTimeString()}, expires ${new Date(d.expiresAt).toLocaleTimeString()}`, "hint");

  let picked = "";
  const matching = d.challenge !== undefined;
  if (d.challenge === "typed") {
    const input = document.createElement("input");
    input.inputMode = "numeric";
    input.placeholder = "Number shown on the sign-in page";
    input.className = "typed-number";
    input.addEventListener("input", () => (picked = input.value.trim()));
    li.append(input);
  } else if (d.challenge) {
    const row = document.createElement("div");
    row.className = "row";
    line("Pick the number shown on the sign-in page:", "hint");
    for (const n of d.challenge.split(",")) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "pick";
      b.textContent = n;
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", () => {
        picked = n;
        for (const other of row.querySelectorAll("button")) other.setAttribute("aria-pressed", String(other === b));
      });
      row.append(b);
    }
    li.append(row);
  }

  const actions = document.createElement("div");
  actions.className = "row";
  const outcome = document.createElement("p");
  outcome.className = "outcome";
  const button = (label: string, cls: string, verify: "Yes" | "No", reason?: "fraud") => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.className = cls;
    b.addEventListener("click", async () => {
      if (verify === "Yes" && matching && !picked) {
        outcome.textContent = "Pick the number first.";
        return;
      }
      for (const x of actions.querySelectorAll("button")) x.disabled = true;
      const number = verify === "Yes" && matching ? picked : undefined;
      const result = await answer(push, verify, number, reason);
      outcome.textContent = result.text;
      outcome.className = `outcome ${result.ok ? "ok" : "bad"}`;
    });
    actions.append(b);
  };
  button("Approve", "approve", "Yes");
  button("Deny", "deny", "No");
  button("Not me", "fraud", "No", "fraud");
  li.append(actions, outcome);
  $("pushes").prepend(li);
}

async function answer(push: DevicePush, verify: "Yes" | "No", number?: string, reason?: "fraud"): Promise<{ ok: boolean; text: string }> {
  if (!phone) return { ok: false, text: "This phone is not enrolled." };
  const handle = push.data.secondfactorauthenticationtoken;
  const signature = await sign(phone.privateKey, verify + handle + (number ?? ""));
  const url = new URL("/identity/v2/auth/login/2fa/verification/push", location.origin);
  url.searchParams.set("apikey", push.data.apikey);
  url.searchParams.set("secondfactorauthenticationtoken", handle);
  const res = await callJson(url, "PUT", { verify, signature, ...(number !== undefined && { number }), ...(reason && { reason }) });
  if (!res.ok) return { ok: false, text: describeError(res.body) };
  return { ok: true, text: verify === "Yes" ? "Approved" : reason === "fraud" ? "Reported as not me" : "Denied" };
}

$("enroll").addEventListener("click", () => {
  enroll().catch((err: unknown) => say(String(err), "error"));
});
$("forget").addEventListener("click", async () => {
  socket?.removeAllListeners();
  socket?.disconnect();
  socket = undefined;
  phone = undefined;
  await forgetPhone();
  $("device").hidden = true;
  say("This phone forgot its key.");
});

if (!window.isSecureContext || !crypto.subtle) {
  $("insecure").hidden = false;
} else {
  loadPhone()
    .then((p) => (p ? useConnection(p) : undefined))
    .catch((err: unknown) => say(String(err), "error"));
}
