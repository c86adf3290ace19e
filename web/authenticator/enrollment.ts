/**
 * Adding an account (contract L6 with `deviceType: "web"`, 2.7): a fresh key, the browser's Web Push subscription
 * where it has one (else `"none"`: the account then gets its requests by the device channel and the pull), and the
 * L6 answer kept: the server key, the app's name and Message, the user's identifier.
 */
import { callJson, describeError } from "../shared/page.js";
import type { Account } from "./account-store.js";
import { newDeviceKey } from "./device-key.js";
import { pushTokenFor } from "./push-token.js";
import type { DeviceRegistered } from "../shared/wire.js";

/** The enrollment URL of a link as pasted or scanned: `<gateway>/…/enroll/<token>?apikey=…`. Null when it is not one. */
export function parseEnrollmentLink(text: string): URL | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  if (!url.searchParams.get("apikey")) return null;
  return url;
}

/** L6's answer; a gateway of another version may leave out the (ext) fields. */
type Registered = Partial<DeviceRegistered>;

/** Enroll with the link; the account is returned (not yet saved), or the reason it could not be added. */
export async function enroll(link: URL, deviceName: string, registration: ServiceWorkerRegistration | undefined): Promise<{ account: Account } | { error: string }> {
  const apikey = link.searchParams.get("apikey")!;
  const key = await newDeviceKey();
  const deviceToken = await pushTokenFor(registration, link.origin, apikey);
  const res = await callJson(link, "POST", { deviceName, deviceType: "web", publicKey: key.publicKey, deviceToken });
  if (!res.ok) return { error: describeError(res.body) };
  const r = res.body as Registered;
  if (!r.serverPublicKey) return { error: "This gateway does not sign its requests (no server key in its answer): the account was not added." };
  return {
    account: {
      id: crypto.randomUUID(),
      origin: link.origin,
      apikey,
      publicKey: key.publicKey,
      privateKey: key.privateKey,
      serverKey: r.serverPublicKey,
      appName: r.appName || link.host,
      identifier: r.identifier ?? "",
      message: r.message ?? "",
      deviceToken,
      addedAt: Date.now(),
    },
  };
}
