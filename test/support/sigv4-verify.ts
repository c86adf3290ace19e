import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { SnsError } from "./sns-error.js";

/**
 * AWS Signature Version 4, checked from the receiving side as AWS documents it (canonical request, string to sign,
 * signing key derived from the secret, date, region and service). A test stand-in's verifier, not product crypto:
 * the SDK signs, and this says whether AWS would have taken what it signed. Failures carry AWS's own codes.
 */

/** A request as it reached the server: raw path and query, raw headers, body bytes. */
export interface ReceivedRequest {
  method: string;
  url: string;
  rawHeaders: readonly string[];
  body: Buffer;
}

export interface SigV4Expectations {
  /** Access key id → secret access key: the keys this "account" has. */
  credentials: Readonly<Record<string, string>>;
  region: string;
  service: string;
  /** The server's clock, in milliseconds. */
  now: number;
}

const ALGORITHM = "AWS4-HMAC-SHA256";
/** AWS refuses a request signed more than 15 minutes before or after its own clock. */
const MAX_SKEW_MS = 15 * 60_000;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const sha256Hex = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string): Buffer => createHmac("sha256", key).update(data, "utf8").digest();

/** RFC 3986 percent-encoding as SigV4 wants it: all but unreserved characters, upper-case hex. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `YYYYMMDDTHHMMSSZ` of a time, the form of X-Amz-Date. */
export function toAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

function parseAmzDate(value: string): number | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** An HTTP `Date` header (which SigV4 accepts instead of X-Amz-Date) in X-Amz-Date's form; undefined if absent or bad. */
function httpDateAsAmz(value: string | undefined): string | undefined {
  const ms = value === undefined ? Number.NaN : Date.parse(value);
  return Number.isNaN(ms) ? undefined : toAmzDate(ms);
}

/** Every value of each header, by lower-case name, in arrival order. */
function headerValues(rawHeaders: readonly string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    out.set(name, [...(out.get(name) ?? []), rawHeaders[i + 1]!]);
  }
  return out;
}

/** The path as AWS canonicalizes it for services other than S3: dot segments removed, each segment encoded again. */
function canonicalUri(path: string): string {
  const normalized = new URL(path || "/", "http://canonical.invalid").pathname;
  return normalized.split("/").map(uriEncode).join("/") || "/";
}

/** Query parameters decoded, encoded the SigV4 way, sorted by name then value. */
function canonicalQuery(query: string): string {
  if (!query) return "";
  return query
    .split("&")
    .filter((pair) => pair !== "")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq < 0 ? pair : pair.slice(0, eq);
      const value = eq < 0 ? "" : pair.slice(eq + 1);
      return [uriEncode(safeDecode(name)), uriEncode(safeDecode(value))] as const;
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/** The header block of the canonical request: the signed headers' values trimmed, inner spaces collapsed. */
function canonicalHeaders(signed: readonly string[], headers: Map<string, string[]>): string {
  return signed
    .map((name) => `${name}:${(headers.get(name) ?? []).map((v) => v.trim().replace(/\s+/g, " ")).join(",")}\n`)
    .join("");
}

interface Authorization {
  accessKeyId: string;
  scope: { date: string; region: string; service: string; terminator: string };
  signedHeaders: string[];
  signature: string;
}

/** Reads `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`; IncompleteSignature when it is not that. */
function parseAuthorization(header: string): Authorization {
  const incomplete = (why: string) => new SnsError("IncompleteSignature", 400, why);
  const space = header.indexOf(" ");
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM) throw incomplete(`Unsupported AWS 'algorithm': '${algorithm.slice(0, 40)}'`);
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const name of ["Credential", "SignedHeaders", "Signature"]) {
    if (!fields.get(name)) throw incomplete(`Authorization header requires '${name}' parameter.`);
  }
  const credential = fields.get("Credential")!.split("/");
  if (credential.length !== 5 || credential.some((c) => c === "")) {
    throw incomplete("Authorization header requires a Credential of the form <key id>/<date>/<region>/<service>/aws4_request.");
  }
  const [accessKeyId, date, region, service, terminator] = credential as [string, string, string, string, string];
  return {
    accessKeyId,
    scope: { date, region, service, terminator },
    signedHeaders: fields.get("SignedHeaders")!.split(";"),
    signature: fields.get("Signature")!,
  };
}

/**
 * Checks a request's SigV4 `Authorization` header against the keys, region and service expected, and the clock;
 * throws the SnsError AWS would answer (MissingAuthenticationToken, IncompleteSignature, InvalidClientTokenId,
 * SignatureDoesNotMatch, RequestExpired), returns the access key id when the signature holds.
 */
export function verifySigV4(req: ReceivedRequest, expect: SigV4Expectations): string {
  const headers = headerValues(req.rawHeaders);
  const authorization = headers.get("authorization")?.[0];
  if (authorization === undefined) {
    throw new SnsError("MissingAuthenticationToken", 403, "Request is missing Authentication Token");
  }
  const auth = parseAuthorization(authorization);
  const amzDate = headers.get("x-amz-date")?.[0] ?? httpDateAsAmz(headers.get("date")?.[0]);
  const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || signedAt === undefined) {
    throw new SnsError("IncompleteSignature", 400, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const secret = Object.hasOwn(expect.credentials, auth.accessKeyId) ? expect.credentials[auth.accessKeyId] : undefined;
  if (secret === undefined) {
    throw new SnsError("InvalidClientTokenId", 403, "The security token included in the request is invalid.");
  }

  const mismatch = (why: string) => new SnsError("SignatureDoesNotMatch", 403, why);
  const { scope } = auth;
  if (scope.date !== amzDate.slice(0, 8)) {
    throw mismatch(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
  }
  if (scope.region !== expect.region) throw mismatch(`Credential should be scoped to a valid region, not '${scope.region}'. `);
  if (scope.service !== expect.service) throw mismatch(`Credential should be scoped to correct service: '${expect.service}'. `);
  if (scope.terminator !== "aws4_request") {
    throw mismatch(`Credential should be scoped with a valid terminator: 'aws4_request', not '${scope.terminator}'. `);
  }
  if (!auth.signedHeaders.includes("host")) {
    throw new SnsError("IncompleteSignature", 400, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }

  if (signedAt < expect.now - MAX_SKEW_MS) {
    throw new SnsError("RequestExpired", 400, `Signature expired: ${amzDate} is now earlier than ${toAmzDate(expect.now - MAX_SKEW_MS)} (${toAmzDate(expect.now)} - 15 min.)`);
  }
  if (signedAt > expect.now + MAX_SKEW_MS) {
    throw new SnsError("RequestExpired", 400, `Signature not yet current: ${amzDate} is still later than ${toAmzDate(expect.now + MAX_SKEW_MS)} (${toAmzDate(expect.now)} + 15 min.)`);
  }

  const query = req.url.indexOf("?");
  const canonicalRequest = [
    req.method,
    canonicalUri(query < 0 ? req.url : req.url.slice(0, query)),
    canonicalQuery(query < 0 ? "" : req.url.slice(query + 1)),
    canonicalHeaders(auth.signedHeaders, headers),
    auth.signedHeaders.join(";"),
    // Services other than S3 always hash the body received, whatever an X-Amz-Content-Sha256 header claims.
    sha256Hex(req.body),
  ].join("\n");
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, credentialScope, sha256Hex(canonicalRequest)].join("\n");
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, scope.date), scope.region), scope.service), "aws4_request");
  const expected = hmac(signingKey, stringToSign);
  const given = /^[0-9a-f]{64}$/.test(auth.signature) ? Buffer.from(auth.signature, "hex") : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw mismatch(
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
  return auth.accessKeyId;
}
