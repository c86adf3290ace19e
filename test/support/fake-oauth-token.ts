import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt, decodeProtectedHeader, jwtVerify } from "jose";
import { Arrivals } from "./arrivals.js";

/**
 * A local stand-in for Google's OAuth 2.0 token endpoint (the `token_uri` of a service account), as strict as the
 * real one about the JWT-bearer grant (RFC 7523) a service account makes:
 * - POST, `application/x-www-form-urlencoded`, `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
 *   (else `unsupported_grant_type`) and an `assertion` (else `invalid_request`);
 * - the assertion is an RS256 JWT signed by a key the endpoint knows for its `iss` (the account's client_email;
 *   unknown: `invalid_grant` "account not found"), verified with that account's public key (jose), with
 *   `aud` equal to this endpoint's URL, `iat` not in the future and `exp` at most an hour after it and not passed,
 *   and a non-empty `scope` (else `invalid_scope`); a `kid`, when given, must be the account's private_key_id;
 * - it answers `{ access_token, expires_in, token_type: "Bearer" }` and remembers what each token is good for, so
 *   the FCM stand-in can check the bearer tokens it receives.
 * Error bodies are Google's: `{ "error": "invalid_grant", "error_description": "Invalid JWT Signature." }`.
 */

/** The Firebase service-account JSON, as the console downloads it. */
export interface ServiceAccountJson {
  type: "service_account";
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

/** What an access token the endpoint issued is good for. */
export interface IssuedToken {
  email: string;
  projectId: string;
  scopes: string[];
  /** Epoch ms. */
  expiresAt: number;
}

/** An endpoint fault a test injects, as Google answers it. */
export type FakeOAuthFault = "unavailable" | "rate-limited" | "redirect";

export interface FakeOAuthToken {
  /** The token_uri: `http://127.0.0.1:PORT/token`. */
  readonly url: string;
  /** Every grant request received, faulted and refused ones included. */
  readonly requests: Array<{ status: number; error?: string; claims?: Record<string, unknown>; header?: Record<string, unknown> }>;
  /** Access token → what it is good for. */
  readonly issued: Map<string, IssuedToken>;
  /** `expires_in` of the tokens it issues. @default 3599 */
  expiresInSeconds: number;
  /**
   * A new service account of `projectId` whose public key the endpoint knows: an RSA 2048 key pair made here, and
   * the JSON that holds its private key, with `tokenUri` (default this endpoint) as its token_uri.
   */
  newServiceAccount(projectId: string, o?: { tokenUri?: string }): ServiceAccountJson;
  /** The account's key is revoked: its grants answer `invalid_grant` from now on. */
  revoke(clientEmail: string): void;
  /** The next `times` grants answer `fault` (`redirect`: a 302 to `location`), with `Retry-After` when given. */
  fail(fault: FakeOAuthFault, o?: { times?: number; retryAfter?: string; location?: string }): void;
  /** The grant's access token, when it is one this endpoint issued and it has not expired. */
  lookup(accessToken: string): IssuedToken | undefined;
  /** Resolves once `n` grant requests have arrived. */
  waitForRequests(n: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

const GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/** Google refuses assertions valid for longer than an hour. */
const MAX_LIFETIME_S = 3600;
/** Google's tolerance for a clock slightly ahead. */
const SKEW_S = 300;

class GrantError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

const invalidGrant = (description: string) => new GrantError(400, "invalid_grant", description);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeOAuthToken(): Promise<FakeOAuthToken> {
  const accounts = new Map<string, { publicKey: KeyObject; projectId: string; keyId: string; revoked: boolean }>();
  const issued = new Map<string, IssuedToken>();
  const requests: FakeOAuthToken["requests"] = [];
  const arrivals = new Arrivals();
  const faults: Array<{ fault: FakeOAuthFault; retryAfter?: string; location?: string }> = [];
  let url = "";

  async function grant(body: string, contentType: string): Promise<{ claims: Record<string, unknown>; header: Record<string, unknown>; token: string; expiresIn: number }> {
    if (!contentType.startsWith("application/x-www-form-urlencoded")) throw new GrantError(400, "invalid_request", "Invalid content type.");
    const form = new URLSearchParams(body);
    if (form.get("grant_type") !== GRANT_TYPE) throw new GrantError(400, "unsupported_grant_type", `Invalid grant_type: ${form.get("grant_type") ?? ""}`);
    const assertion = form.get("assertion");
    if (!assertion) throw new GrantError(400, "invalid_request", "Missing required parameter: assertion");
    let claims: Record<string, unknown>;
    let header: Record<string, unknown>;
    try {
      claims = decodeJwt(assertion);
      header = decodeProtectedHeader(assertion);
    } catch {
      throw invalidGrant("Invalid JWT: could not be decoded.");
    }
    const account = typeof claims.iss === "string" ? accounts.get(claims.iss) : undefined;
    if (!account || account.revoked) throw invalidGrant("Invalid grant: account not found");
    if (header.kid !== undefined && header.kid !== account.keyId) throw invalidGrant("Invalid JWT Signature.");
    try {
      // Signature with the account's public key, RS256 only; the audience must be this very endpoint.
      await jwtVerify(assertion, account.publicKey, { algorithms: ["RS256"] });
    } catch {
      throw invalidGrant("Invalid JWT Signature.");
    }
    if (claims.aud !== url) throw invalidGrant("Invalid JWT: Failed audience check. The expected audience is the token endpoint's URL.");
    const now = Math.floor(Date.now() / 1000);
    const { iat, exp } = claims;
    if (typeof iat !== "number" || typeof exp !== "number" || iat > now + SKEW_S || exp <= now || exp - iat > MAX_LIFETIME_S) {
      throw invalidGrant("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.");
    }
    const scopes = typeof claims.scope === "string" ? claims.scope.split(" ").filter(Boolean) : [];
    if (!scopes.length) throw new GrantError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
    const token = `ya29.fake-${randomBytes(24).toString("base64url")}`;
    issued.set(token, { email: claims.iss as string, projectId: account.projectId, scopes, expiresAt: Date.now() + fake.expiresInSeconds * 1000 });
    return { claims, header, token, expiresIn: fake.expiresInSeconds };
  }

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (req.method !== "POST" || new URL(req.url ?? "/", "http://x").pathname !== "/token") {
        return json(res, 404, { error: "not_found", error_description: "Not Found" });
      }
      const fault = faults.shift();
      if (fault) {
        if (fault.fault === "redirect") {
          requests.push({ status: 302 });
          res.writeHead(302, { location: fault.location ?? "http://127.0.0.1:1/token" }).end();
          return;
        }
        const status = fault.fault === "unavailable" ? 503 : 429;
        requests.push({ status, error: fault.fault });
        return json(res, status, { error: fault.fault === "unavailable" ? "temporarily_unavailable" : "rate_limit_exceeded" }, fault.retryAfter ? { "retry-after": fault.retryAfter } : {});
      }
      try {
        const g = await grant(body, String(req.headers["content-type"] ?? ""));
        requests.push({ status: 200, claims: g.claims, header: g.header });
        json(res, 200, { access_token: g.token, expires_in: g.expiresIn, token_type: "Bearer" });
      } catch (err) {
        if (!(err instanceof GrantError)) throw err;
        requests.push({ status: err.status, error: err.error });
        json(res, err.status, { error: err.error, error_description: err.message });
      }
    })()
      .catch(() => json(res, 500, { error: "server_error" }))
      .finally(() => arrivals.arrived());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;

  const fake: FakeOAuthToken = {
    url,
    requests,
    issued,
    expiresInSeconds: 3599,
    newServiceAccount(projectId, o = {}) {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      const keyId = randomBytes(20).toString("hex");
      const email = `fcm-sender-${randomBytes(4).toString("hex")}@${projectId}.iam.gserviceaccount.com`;
      accounts.set(email, { publicKey, projectId, keyId, revoked: false });
      return {
        type: "service_account",
        project_id: projectId,
        private_key_id: keyId,
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        client_email: email,
        client_id: String(BigInt(`0x${randomBytes(8).toString("hex")}`)),
        auth_uri: "https://accounts.google.com/o/oauth2/auth",
        token_uri: o.tokenUri ?? url,
        auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
        client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
        universe_domain: "googleapis.com",
      };
    },
    revoke(clientEmail) {
      const a = accounts.get(clientEmail);
      if (a) a.revoked = true;
      for (const [token, info] of issued) if (info.email === clientEmail) issued.delete(token);
    },
    fail(fault, o = {}) {
      for (let i = 0; i < (o.times ?? 1); i++) {
        faults.push({ fault, ...(o.retryAfter !== undefined && { retryAfter: o.retryAfter }), ...(o.location !== undefined && { location: o.location }) });
      }
    },
    lookup(accessToken) {
      const info = issued.get(accessToken);
      return info && info.expiresAt > Date.now() ? info : undefined;
    },
    waitForRequests(n) {
      return arrivals.until(() => requests.length >= n, 10_000, () => `${requests.length} of ${n} token requests`);
    },
    reset() {
      requests.length = 0;
      faults.length = 0;
      fake.expiresInSeconds = 3599;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
