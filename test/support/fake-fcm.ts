import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Arrivals } from "./arrivals.js";
import { validateFcmRequest, type FcmMessage } from "./fcm-message-rules.js";
import type { FakeOAuthToken } from "./fake-oauth-token.js";

/**
 * A local stand-in for FCM HTTP v1 (`POST /v1/projects/{project}/messages:send`), as strict as FCM about what a
 * server sends it, and answering FCM's own error bodies (google.rpc.Status with a FcmError detail):
 * - the bearer token must be one the OAuth stand-in issued, unexpired (else 401 UNAUTHENTICATED), with the
 *   firebase.messaging scope (else 403 "insufficient authentication scopes"), for a service account of the
 *   project in the URL (else 403 PERMISSION_DENIED, as IAM answers);
 * - the body is checked as FCM's JSON parser and validator do (fcm-message-rules.ts): known fields only, data
 *   values strings, no reserved data keys, Android priority NORMAL or HIGH, TTL a protobuf Duration ("97s")
 *   of at most four weeks, exactly one target, and a 4 KB payload limit (400 INVALID_ARGUMENT);
 * - the registration token: malformed → 400 INVALID_ARGUMENT about `message.token`; registered to another
 *   project → 403 SENDER_ID_MISMATCH; unknown or unregistered → 404 UNREGISTERED; else 200
 *   `{ "name": "projects/{project}/messages/{id}" }`.
 * Faults a test injects: 429 QUOTA_EXCEEDED, 503 UNAVAILABLE, 500 INTERNAL, with an optional Retry-After.
 */

export type FakeFcmFault = "QUOTA_EXCEEDED" | "UNAVAILABLE" | "INTERNAL";

export interface FakeFcmDelivery {
  project: string;
  accessToken: string;
  /** The whole request body, parsed. */
  body: { message: FcmMessage };
  messageName: string;
}

export interface FakeFcm {
  /** The FCM_ENDPOINT: `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Messages FCM accepted (200). */
  readonly delivered: FakeFcmDelivery[];
  /** Every request received, faulted and refused ones included. */
  readonly requests: Array<{ project: string; status: number; errorCode: string; accessToken: string }>;
  /** Added before every answer, in milliseconds (the benchmark's round trip). */
  latencyMs: number;
  /** A new registration token of an app instance of `projectId` (FCM-shaped: instance id, ":", APA91b…). */
  registerDevice(projectId: string): string;
  /** The app was uninstalled: FCM answers UNREGISTERED for its token from now on. */
  unregister(token: string): void;
  /** The next `times` (default 1) sends answer `fault`, with `Retry-After: retryAfter` when given. */
  fail(fault: FakeFcmFault, o?: { times?: number; retryAfter?: string }): void;
  /**
   * From now on, receive and record sends but answer none until `release()`: an FCM that accepted the
   * connection and hangs, so a test can show that only the client's own abort ended a call.
   */
  hold(): { arrived: Promise<void>; release(): void };
  /** Resolves once `n` requests have arrived. */
  waitForRequests(n: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

const FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError";
const ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo";
const BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest";
const SCOPE = "https://www.googleapis.com/auth/firebase.messaging";
/** What FCM accepts as a registration token's shape (instance id, a colon, the APA91b… part). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{8,}:[A-Za-z0-9_-]{20,}$/;

interface FcmError {
  status: number;
  body: { error: { code: number; message: string; status: string; details?: unknown[] } };
  headers?: Record<string, string>;
}

const fcmError = (code: number, status: string, message: string, errorCode?: string, extra: unknown[] = []): FcmError => ({
  status: code,
  body: { error: { code, message, status, ...((errorCode || extra.length) && { details: [...(errorCode ? [{ "@type": FCM_ERROR, errorCode }] : []), ...extra] }) } },
});

const FAULTS: Record<FakeFcmFault, () => FcmError> = {
  QUOTA_EXCEEDED: () =>
    fcmError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute'.", "QUOTA_EXCEEDED"),
  UNAVAILABLE: () => fcmError(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"),
  INTERNAL: () => fcmError(500, "INTERNAL", "Internal error encountered.", "INTERNAL"),
};

const UNAUTHENTICATED = (): FcmError => ({
  ...fcmError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."),
  headers: { "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startFakeFcm(oauth: Pick<FakeOAuthToken, "lookup">): Promise<FakeFcm> {
  const devices = new Map<string, { projectId: string; registered: boolean }>();
  const delivered: FakeFcmDelivery[] = [];
  const requests: FakeFcm["requests"] = [];
  const faults: Array<{ fault: FakeFcmFault; retryAfter?: string }> = [];
  const arrivals = new Arrivals();
  let holding: { release: Promise<void>; arrived: () => void } | null = null;

  /** FCM's decision for one request, in the order FCM checks: auth, permission, body, token. */
  function decide(project: string, accessToken: string, raw: string, contentType: string): FcmError | { status: 200; body: { name: string }; delivery: FakeFcmDelivery } {
    const grant = accessToken ? oauth.lookup(accessToken) : undefined;
    if (!grant) return UNAUTHENTICATED();
    if (!grant.scopes.includes(SCOPE)) {
      return fcmError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.", undefined, [
        { "@type": ERROR_INFO, reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT", domain: "googleapis.com" },
      ]);
    }
    if (grant.projectId !== project) {
      return fcmError(403, "PERMISSION_DENIED", `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project}' (or it may not exist).`, undefined, [
        { "@type": ERROR_INFO, reason: "IAM_PERMISSION_DENIED", domain: "cloudresourcemanager.googleapis.com" },
      ]);
    }
    const fault = faults.shift();
    if (fault) return { ...FAULTS[fault.fault](), ...(fault.retryAfter !== undefined && { headers: { "retry-after": fault.retryAfter } }) };
    if (!contentType.startsWith("application/json")) return fcmError(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unexpected content type.");
    const checked = validateFcmRequest(raw);
    if (!checked.ok) {
      return fcmError(400, "INVALID_ARGUMENT", checked.message, checked.fcmError ? "INVALID_ARGUMENT" : undefined, [
        { "@type": BAD_REQUEST, fieldViolations: [{ ...(checked.field && { field: checked.field }), description: checked.message }] },
      ]);
    }
    const token = checked.body.message.token ?? "";
    if (!TOKEN_SHAPE.test(token)) {
      return fcmError(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT", [
        { "@type": BAD_REQUEST, fieldViolations: [{ field: "message.token", description: "The registration token is not a valid FCM registration token" }] },
      ]);
    }
    const device = devices.get(token);
    if (device?.registered && device.projectId !== project) return fcmError(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH");
    if (!device?.registered) return fcmError(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED");
    const name = `projects/${project}/messages/0:${Date.now()}%${randomBytes(8).toString("hex")}`;
    return { status: 200, body: { name }, delivery: { project, accessToken, body: checked.body, messageName: name } };
  }

  const server = createServer((req, res: ServerResponse) => {
    void (async () => {
      const raw = await readBody(req);
      const path = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(new URL(req.url ?? "/", "http://x").pathname);
      const accessToken = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ""))?.[1] ?? "";
      let answer: FcmError | { status: 200; body: { name: string }; delivery?: FakeFcmDelivery; headers?: Record<string, string> };
      let project = "";
      if (req.method !== "POST" || !path) {
        answer = fcmError(404, "NOT_FOUND", "The requested URL was not found on this server.");
      } else {
        project = decodeURIComponent(path[1]!);
        answer = decide(project, accessToken, raw, String(req.headers["content-type"] ?? ""));
      }
      const details = "error" in answer.body ? (answer.body.error.details ?? []) : [];
      const errorCode = (details.find((d) => (d as { "@type"?: string })["@type"] === FCM_ERROR) as { errorCode?: string } | undefined)?.errorCode;
      requests.push({ project, status: answer.status, errorCode: errorCode ?? ("error" in answer.body ? answer.body.error.status : ""), accessToken });
      if ("delivery" in answer && answer.delivery) delivered.push(answer.delivery);
      const held = holding;
      held?.arrived();
      arrivals.arrived();
      if (held) await held.release;
      if (fake.latencyMs > 0) await new Promise((r) => setTimeout(r, fake.latencyMs));
      res.writeHead(answer.status, { "content-type": "application/json; charset=UTF-8", ...("headers" in answer && answer.headers) });
      res.end(JSON.stringify(answer.body));
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  const fake: FakeFcm = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    delivered,
    requests,
    latencyMs: 0,
    registerDevice(projectId) {
      const token = `${randomBytes(16).toString("base64url")}:APA91b${randomBytes(100).toString("base64url")}`;
      devices.set(token, { projectId, registered: true });
      return token;
    },
    unregister(token) {
      const d = devices.get(token);
      if (d) d.registered = false;
    },
    fail(fault, o = {}) {
      for (let i = 0; i < (o.times ?? 1); i++) faults.push({ fault, ...(o.retryAfter !== undefined && { retryAfter: o.retryAfter }) });
    },
    hold() {
      let release!: () => void;
      let arrived!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const arrival = new Promise<void>((r) => (arrived = r));
      holding = { release: released, arrived };
      return {
        arrived: arrival,
        release() {
          holding = null;
          release();
        },
      };
    },
    waitForRequests(n) {
      return arrivals.until(() => requests.length >= n, 10_000, () => `${requests.length} of ${n} FCM requests`);
    },
    reset() {
      delivered.length = 0;
      requests.length = 0;
      faults.length = 0;
      fake.latencyMs = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}
