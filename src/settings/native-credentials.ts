import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { Socket } from "node:net";
import { createSecureContext, TLSSocket } from "node:tls";

/**
 * The Native credentials of contract 1.5 (Firebase's service account for FCM, Apple's .p12 certificate or .p8 key
 * for APNs), checked when the settings are saved so that a wrong file is refused at once (965 naming the field)
 * rather than found by the first push. Each check answers in words that name what is wrong and never quote the
 * value: these are secrets.
 */

/** The fields of a Firebase service-account file that FCM's OAuth token needs (contract 2.5). */
export interface ServiceAccount {
  project_id: string;
  private_key: string;
  client_email: string;
  token_uri: string;
}

/** A check's outcome: the parsed value, or what is wrong with it (one sentence, no secret in it). */
export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const problem = (text: string): { ok: false; problem: string } => ({ ok: false, problem: text });

// Google project ids: 6-30 lowercase letters, digits and hyphens, starting with a letter, optionally behind a
// legacy "example.com:" domain; the id becomes a path segment of the FCM URL, so nothing else may pass.
const PROJECT_ID = /^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const EMAIL = /^[^@\s]{1,128}@[^@\s]{1,255}$/;

/**
 * Parse `ServiceJson` (the service-account JSON file downloaded from Firebase, as text): `type` must be
 * "service_account", `private_key` an RSA private key in PEM (what the JWT-bearer grant signs with, RS256),
 * `token_uri` an http(s) URL (whether its host may be used is the caller's rule).
 */
export function parseServiceAccount(text: string): Checked<ServiceAccount> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse's own message quotes the text: it stays unsaid.
    return problem("must be the service-account JSON file downloaded from Firebase (Project settings → Service accounts); this is not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return problem("must be a service-account JSON object");
  const a = json as Record<string, unknown>;
  if (a.type !== "service_account") return problem('must be a service account file: its "type" is not "service_account"');
  if (typeof a.project_id !== "string" || !PROJECT_ID.test(a.project_id)) return problem('has no valid "project_id"');
  if (typeof a.client_email !== "string" || !EMAIL.test(a.client_email)) return problem('has no valid "client_email"');
  if (typeof a.token_uri !== "string" || !isHttpUrl(a.token_uri)) return problem('has no valid "token_uri" (an https URL)');
  if (typeof a.private_key !== "string") return problem('has no "private_key"');
  const key = privateKeyOf(a.private_key);
  if (!key || key.asymmetricKeyType !== "rsa") return problem('has a "private_key" that is not an RSA private key in PEM');
  return { ok: true, value: { project_id: a.project_id, private_key: a.private_key, client_email: a.client_email, token_uri: a.token_uri } };
}

/** `ApnsKey`: the text of Apple's .p8 file, a PKCS#8 PEM holding a P-256 (ES256) private key. */
export function checkApnsKey(pem: string): Checked<string> {
  if (!pem.includes("-----BEGIN PRIVATE KEY-----")) return problem("must be the text of the .p8 key file from Apple (-----BEGIN PRIVATE KEY-----)");
  const key = privateKeyOf(pem);
  if (!key) return problem("is not a readable private key (an unencrypted .p8 file from Apple)");
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    return problem("must be a P-256 (ES256) key, as Apple's .p8 APNs keys are");
  }
  return { ok: true, value: pem };
}

/** What a .p12 holds that the console and logs may show: its certificate's subject and last day. */
export interface CertificateFacts {
  subject: string;
  validTo: Date;
}

// Standard base64 (what the console's upload and `base64` produce), line breaks allowed; "base64url" and
// placeholders such as "base64-encoded-cert" are not base64 of a file.
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * `ApnsCertificate` (base64 of a PKCS#12 file) with `ApnsCertificatePassword`: it must open with that password
 * and hold both a private key and a certificate (Node's own PKCS#12 loader checks both, and that they match),
 * and the certificate must not have expired. Files encrypted the legacy way (RC2 or 3DES, as macOS Keychain and
 * `openssl pkcs12 -legacy` write them) do not open under OpenSSL 3 without its legacy provider; they are refused
 * with the command that converts them, rather than loading that provider (and its broken ciphers) process-wide.
 */
export function checkApnsCertificate(base64: string, password: string, now: Date = new Date()): Checked<CertificateFacts> {
  const compact = base64.replace(/\s+/g, "");
  if (!compact || compact.length % 4 !== 0 || !BASE64.test(compact)) {
    return problem("must be a PKCS#12 certificate file (.p12), base64-encoded");
  }
  let socket: TLSSocket | undefined;
  try {
    const context = createSecureContext({ pfx: Buffer.from(compact, "base64"), ...(password && { passphrase: password }) });
    // A TLS socket over the context, never connected, hands back the certificate the context loaded.
    socket = new TLSSocket(new Socket(), { secureContext: context });
    const raw = socket.getCertificate();
    if (!raw || !("raw" in raw) || !raw.raw) return problem("holds no certificate");
    const cert = new X509Certificate(raw.raw);
    const validTo = new Date(cert.validTo);
    if (validTo.getTime() <= now.getTime()) return problem(`holds a certificate that expired on ${validTo.toISOString().slice(0, 10)}: renew it in the Apple Developer account`);
    return { ok: true, value: { subject: cert.subject.replace(/\n/g, ", "), validTo } };
  } catch (err) {
    return problem(pkcs12Problem(err));
  } finally {
    socket?.destroy();
  }
}

/** What OpenSSL's refusal of a PKCS#12 file means for the person who uploaded it. */
function pkcs12Problem(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e.message === "string" ? e.message : "";
  if (e.code === "ERR_CRYPTO_UNSUPPORTED_OPERATION" || /unsupported/i.test(message)) {
    return "is a legacy PKCS#12 file (RC2/3DES, as macOS Keychain exports) that OpenSSL 3 does not open: re-export it without -legacy, e.g. `openssl pkcs12 -legacy -in old.p12 -nodes -out tmp.pem` then `openssl pkcs12 -export -in tmp.pem -out new.p12`, and upload new.p12";
  }
  if (/mac verify|password/i.test(message)) return "does not open with this password: check ApnsCertificatePassword (empty when the file has none)";
  if (/private key/i.test(message)) return "holds no private key: export the certificate together with its private key";
  if (/certificate/i.test(message)) return "holds no certificate";
  return "is not a PKCS#12 certificate file (.p12)";
}

function privateKeyOf(pem: string): KeyObject | null {
  try {
    return createPrivateKey({ key: pem, format: "pem" });
  } catch {
    return null;
  }
}

function isHttpUrl(v: string): boolean {
  if (!URL.canParse(v)) return false;
  const url = new URL(v);
  return (url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password;
}
