/**
 * Contract 2.9: every request's data carries `serverSignature`, base64url of an ECDSA P-256 SHA-256 signature (IEEE
 * P1363, r||s) by the app's server key over the RFC 8785 canonical JSON of the data without that key. The app
 * shows nothing that does not verify with the key its account got at enrollment.
 */
import { canonicalJson } from "../../src/crypto/canonical-json.js";
import type { PushData, ServerPublicJwk } from "../shared/wire.js";

/** The server key as L6 answers it (`serverPublicKey`): a bare P-256 JWK. */
export type ServerJwk = Pick<ServerPublicJwk, "x" | "y">;

const fromBase64url = (s: string): Uint8Array<ArrayBuffer> => {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
};

/** Whether `data` was signed by `jwk`'s key; any malformed part (missing signature, bad base64, odd values) is false. */
export async function verifyServerSignature(data: PushData, jwk: ServerJwk): Promise<boolean> {
  const { serverSignature, ...rest } = data;
  if (typeof serverSignature !== "string" || !/^[A-Za-z0-9_-]{86}$/.test(serverSignature)) return false;
  try {
    const key = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    const text = new TextEncoder().encode(canonicalJson(rest as Record<string, string>));
    return await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, fromBase64url(serverSignature), text);
  } catch {
    return false;
  }
}
