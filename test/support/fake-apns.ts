import { randomUUID, type KeyObject } from "node:crypto";
import {
  constants as h2,
  createSecureServer,
  type Http2SecureServer,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from "node:http2";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { decodeProtectedHeader, jwtVerify } from "jose";
import type { ApnsTestPki } from "./apns-pki.js";

/**
 * A local stand-in for Apple's APNs provider API (HTTP/2 over TLS), as strict as APNs where the gateway could get
 * something wrong, so a test shows the provider speaks the real protocol:
 * - TLS with the test CA's server certificate; a client certificate is asked for and checked against the test CA
 *   (an untrusted one is 403 `BadCertificate`), and its subject's UID is the only topic it may push to
 *   (`TopicDisallowed` otherwise);
 * - token authentication: `authorization: bearer <JWT>` verified with jose against the public key registered for
 *   its `kid` (ES256 only, `iss` the key's team, `iat` present and at most one hour old by the stand-in's clock,
 *   else `InvalidProviderToken` / `ExpiredProviderToken`), a new token for a key less than 20 minutes after the
 *   previous one is 429 `TooManyProviderTokenUpdates`, no credentials at all is 403 `MissingProviderToken`;
 * - the request: POST only (405), `:path` `/3/device/<hex token>` (404 `BadPath`), `apns-topic` (400
 *   `MissingTopic`), `apns-push-type`, `apns-priority`, `apns-expiration`, `apns-collapse-id` (≤ 64 bytes),
 *   `apns-id` (a UUID) each checked as Apple documents, the payload non-empty (`PayloadEmpty`), at most 4096 bytes
 *   (413 `PayloadTooLarge`) and a JSON object with an `aps` dictionary;
 * - devices: a token it does not know is 400 `BadDeviceToken`, one registered for another topic
 *   `DeviceTokenNotForTopic`, an unregistered one 410 `Unregistered` with its `timestamp` (ms);
 * - answers: 200 with an `apns-id` header and no body; errors `{"reason": "…"}` with `apns-id`, as APNs does.
 * Tests inject 429 / 5xx (with Retry-After) with `fail`, and `goAway` sends every open connection a GOAWAY with
 * `{"reason":"Shutdown"}`, as Apple does before it closes one, so reconnection is tested.
 * Not modelled: Apple's per-device rate limits, certificate environments (sandbox vs production) and its
 * multi-topic certificate extension.
 */

export interface ApnsSigningKey {
  keyId: string;
  teamId: string;
  publicKey: KeyObject;
  /** Bundle ids this team may push to. */
  topics: string[];
}

/** One request as the stand-in received it, whatever it answered. */
export interface ApnsReceived {
  /** Which TLS connection carried it (1 for the first the stand-in accepted). */
  session: number;
  auth: "certificate" | "token" | "none";
  method: string;
  path: string;
  /** Every request header except HTTP/2 pseudo-headers, as received. */
  headers: Record<string, string>;
  /** The raw body and, when it was JSON, its parsed value. */
  body: string;
  payload: unknown;
  status: number;
  reason: string | undefined;
  /** The client reset the stream (RST_STREAM CANCEL) before it was answered. */
  cancelled: boolean;
}

export interface ApnsFault {
  status: number;
  reason: string;
  retryAfter?: string;
}

export interface FakeApnsOptions {
  pki: Pick<ApnsTestPki, "caPem" | "server">;
  /** The stand-in's clock, in ms (tests move it to age tokens). */
  now?: () => number;
  /** Added before each answer (benchmarks). */
  latencyMs?: number;
  /**
   * Refuse a connection without a trusted client certificate at the TLS level (an alert, as a server that
   * requires one sends), instead of answering 403 per request.
   */
  requireClientCertificate?: boolean;
}

const MAX_PAYLOAD_BYTES = 4096;
const TOKEN_MAX_AGE_SECONDS = 3600;
const TOKEN_MIN_REFRESH_SECONDS = 20 * 60;
const PUSH_TYPES = new Set(["alert", "background", "location", "voip", "complication", "fileprovider", "mdm", "liveactivity", "pushtotalk"]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An answer that ends the checks: status and APNs `reason`. */
class Refusal {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly extra: Record<string, unknown> = {},
    readonly retryAfter?: string,
  ) {}
}

export class FakeApns {
  /** Every request, in arrival order. */
  readonly requests: ApnsReceived[] = [];
  /** Device tokens APNs knows, with their topic; `unregisteredAt` (ms) once the app was removed. */
  readonly devices = new Map<string, { topic: string; unregisteredAt?: number }>();
  /** TLS connections accepted so far. */
  sessions = 0;
  /** Errors to answer next, one per request, before any other check. */
  readonly faults: ApnsFault[] = [];
  latencyMs: number;
  /** HTTP/2 PING frames received from clients. */
  pings = 0;

  private readonly keys = new Map<string, ApnsSigningKey>();
  /** Per key id, the last token accepted and its `iat`: how often the provider makes a new one. */
  private readonly lastToken = new Map<string, { jwt: string; iat: number }>();
  private readonly open = new Set<ServerHttp2Session>();
  /** Per connection number, resolved when that connection has closed. */
  private readonly closedSessions = new Map<number, Promise<void>>();
  private readonly pingWaiters: Array<() => void> = [];
  private readonly cancelWaiters: Array<(r: ApnsReceived) => void> = [];
  private readonly holds: Array<{ arrived: () => void; released: Promise<void> }> = [];
  private readonly server: Http2SecureServer;
  private readonly now: () => number;
  url = "";

  constructor(o: FakeApnsOptions) {
    this.now = o.now ?? Date.now;
    this.latencyMs = o.latencyMs ?? 0;
    this.server = createSecureServer({
      key: o.pki.server.keyPem,
      cert: o.pki.server.certPem,
      ca: [o.pki.caPem],
      // The certificate is asked for, and judged per request (403 BadCertificate), as APNs answers.
      requestCert: true,
      rejectUnauthorized: o.requireClientCertificate ?? false,
      allowHTTP1: false,
      settings: { maxConcurrentStreams: 1000 },
    });
    this.server.on("session", (session: ServerHttp2Session) => {
      this.sessions++;
      const id = this.sessions;
      this.open.add(session);
      this.closedSessions.set(id, new Promise((resolve) => session.once("close", () => resolve())));
      session.on("close", () => this.open.delete(session));
      session.on("ping", () => {
        this.pings++;
        for (const w of this.pingWaiters.splice(0)) w();
      });
      session.on("error", () => undefined);
      session.on("stream", (stream, headers) => void this.onStream(id, session, stream, headers));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Lets `key` sign tokens (what uploading a .p8 to Apple's developer account does). */
  addSigningKey(key: ApnsSigningKey): void {
    this.keys.set(key.keyId, key);
  }

  /** A device token the app `topic` registered (64 hex digits, as iOS hands them out). */
  registerDevice(topic: string): string {
    const token = randomUUID().replace(/-/g, "") + randomUUID().replace(/-/g, "");
    this.devices.set(token, { topic });
    return token;
  }

  /** Resolves when connection number `n` (see `ApnsReceived.session`) has closed, whoever closed it. */
  sessionClosed(n: number): Promise<void> {
    const p = this.closedSessions.get(n);
    if (!p) throw new Error(`no connection number ${n}`);
    return p;
  }

  /** Resolves at the next PING frame a client sends. */
  nextPing(): Promise<void> {
    return new Promise((resolve) => this.pingWaiters.push(resolve));
  }

  /** Resolves with the next request its client cancels (RST_STREAM CANCEL) before its answer. */
  nextCancel(): Promise<ApnsReceived> {
    return new Promise((resolve) => this.cancelWaiters.push(resolve));
  }

  /**
   * Holds the next request unanswered: `arrived` resolves once it is in (headers and body read), and it is
   * answered as usual after `release()`, unless its client cancelled it meanwhile.
   */
  holdNext(): { arrived: Promise<void>; release: () => void } {
    let arrived!: () => void;
    let release!: () => void;
    const arrivedP = new Promise<void>((r) => (arrived = r));
    const released = new Promise<void>((r) => (release = r));
    this.holds.push({ arrived, released });
    return { arrived: arrivedP, release };
  }

  fail(fault: ApnsFault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  /** Forgets requests, faults and token history (devices, keys and the session count stay). */
  reset(): void {
    this.requests.length = 0;
    this.faults.length = 0;
    this.lastToken.clear();
  }

  /** Sends GOAWAY (NO_ERROR, `{"reason":"Shutdown"}`) on every open connection and closes it once it is idle. */
  async goAway(): Promise<void> {
    const closing = [...this.open].map(
      (s) =>
        new Promise<void>((resolve) => {
          s.once("close", () => resolve());
          s.goaway(h2.NGHTTP2_NO_ERROR, 0, Buffer.from(JSON.stringify({ reason: "Shutdown" })));
          s.close();
        }),
    );
    await Promise.all(closing);
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async onStream(sessionNo: number, session: ServerHttp2Session, stream: ServerHttp2Stream, raw: IncomingHttpHeaders): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) if (!k.startsWith(":") && v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
    const method = String(raw[":method"]);
    const path = String(raw[":path"]);
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      payload = undefined;
    }
    const socket = session.socket as TLSSocket;
    const auth: ApnsReceived["auth"] = headers.authorization !== undefined ? "token" : socket.getPeerCertificate().subject ? "certificate" : "none";
    const record: ApnsReceived = { session: sessionNo, auth, method, path, headers, body: body.toString("utf8"), payload, status: 200, reason: undefined, cancelled: false };
    this.requests.push(record);
    stream.on("close", () => {
      if (stream.rstCode !== h2.NGHTTP2_CANCEL) return;
      record.cancelled = true;
      for (const w of this.cancelWaiters.splice(0)) w(record);
    });
    const hold = this.holds.shift();
    if (hold) {
      hold.arrived();
      await hold.released;
    }

    const apnsId = headers["apns-id"] && UUID.test(headers["apns-id"]) ? headers["apns-id"] : randomUUID();
    const verdict = await this.judge(method, path, headers, body, payload, socket).catch((e: unknown) =>
      e instanceof Refusal ? e : new Refusal(500, "InternalServerError"),
    );
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (stream.destroyed || stream.closed) return;
    if (verdict === null) {
      stream.respond({ ":status": 200, "apns-id": apnsId }, { endStream: true });
      return;
    }
    record.status = verdict.status;
    record.reason = verdict.reason;
    const out: OutgoingHttpHeaders = { ":status": verdict.status, "apns-id": apnsId, "content-type": "application/json" };
    if (verdict.retryAfter !== undefined) out["retry-after"] = verdict.retryAfter;
    stream.respond(out);
    stream.end(JSON.stringify({ reason: verdict.reason, ...verdict.extra }));
  }

  /** Null when the push is accepted, else the refusal APNs would answer. */
  private async judge(method: string, path: string, h: Record<string, string>, body: Buffer, payload: unknown, socket: TLSSocket): Promise<Refusal | null> {
    const fault = this.faults.shift();
    if (fault) return new Refusal(fault.status, fault.reason, {}, fault.retryAfter);
    if (method !== "POST") return new Refusal(405, "MethodNotAllowed");
    const m = /^\/3\/device\/([^/?#]*)$/.exec(path);
    if (!m) return new Refusal(404, "BadPath");
    const token = m[1]!;
    if (token === "") return new Refusal(400, "MissingDeviceToken");
    if (!/^[0-9a-fA-F]{64,200}$/.test(token)) return new Refusal(400, "BadDeviceToken");
    const topic = h["apns-topic"];
    if (!topic) return new Refusal(400, "MissingTopic");
    const pushType = h["apns-push-type"];
    if (pushType !== undefined && !PUSH_TYPES.has(pushType)) return new Refusal(400, "InvalidPushType");
    const priority = h["apns-priority"];
    if (priority !== undefined && !["1", "5", "10"].includes(priority)) return new Refusal(400, "BadPriority");
    const expiration = h["apns-expiration"];
    if (expiration !== undefined && !/^\d{1,12}$/.test(expiration)) return new Refusal(400, "BadExpirationDate");
    const collapseId = h["apns-collapse-id"];
    if (collapseId !== undefined && Buffer.byteLength(collapseId) > 64) return new Refusal(400, "BadCollapseId");
    if (h["apns-id"] !== undefined && !UUID.test(h["apns-id"])) return new Refusal(400, "BadMessageId");
    if (body.length === 0) return new Refusal(400, "PayloadEmpty");
    if (body.length > MAX_PAYLOAD_BYTES) return new Refusal(413, "PayloadTooLarge");
    const aps = typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>).aps : undefined;
    // Apple documents no reason for a payload that is not a JSON object with `aps`; the stand-in refuses it so a
    // test notices, under a name of its own.
    if (typeof aps !== "object" || aps === null) return new Refusal(400, "BadPayload");

    const allowed = h.authorization !== undefined ? await this.tokenTopics(h.authorization) : this.certificateTopics(socket);
    if (!allowed.includes(topic)) return new Refusal(400, "TopicDisallowed");

    const device = this.devices.get(token.toLowerCase());
    if (!device) return new Refusal(400, "BadDeviceToken");
    if (device.topic !== topic) return new Refusal(400, "DeviceTokenNotForTopic");
    if (device.unregisteredAt !== undefined) return new Refusal(410, "Unregistered", { timestamp: device.unregisteredAt });
    return null;
  }

  /** The topics a client certificate may push to, or the refusal: untrusted, or none given. */
  private certificateTopics(socket: TLSSocket): string[] {
    const cert = socket.getPeerCertificate();
    if (!cert.subject) throw new Refusal(403, "MissingProviderToken");
    if (!socket.authorized) throw new Refusal(403, "BadCertificate");
    const uid = (cert.subject as unknown as Record<string, string | string[] | undefined>).UID;
    return typeof uid === "string" ? [uid] : [];
  }

  /** The topics a provider token's team may push to, or the refusal APNs answers for that token. */
  private async tokenTopics(authorization: string): Promise<string[]> {
    const m = /^bearer (\S+)$/.exec(authorization);
    if (!m) throw new Refusal(403, "InvalidProviderToken");
    const jwt = m[1]!;
    let kid: string | undefined;
    let alg: string | undefined;
    try {
      ({ kid, alg } = decodeProtectedHeader(jwt));
    } catch {
      throw new Refusal(403, "InvalidProviderToken");
    }
    const key = kid !== undefined ? this.keys.get(kid) : undefined;
    if (!key || alg !== "ES256") throw new Refusal(403, "InvalidProviderToken");
    let iat: unknown;
    try {
      const { payload } = await jwtVerify(jwt, key.publicKey, { algorithms: ["ES256"], issuer: key.teamId, currentDate: new Date(this.now()) });
      iat = payload.iat;
    } catch {
      throw new Refusal(403, "InvalidProviderToken");
    }
    if (typeof iat !== "number") throw new Refusal(403, "InvalidProviderToken");
    if (this.now() / 1000 - iat > TOKEN_MAX_AGE_SECONDS) throw new Refusal(403, "ExpiredProviderToken");
    // A token newer than (or as new as) the last one seen, but a different one, is an update: Apple wants at most
    // one every 20 minutes. An older token still in use by requests in flight is not one.
    const last = this.lastToken.get(key.keyId);
    if (last && last.jwt !== jwt && iat >= last.iat && iat - last.iat < TOKEN_MIN_REFRESH_SECONDS) {
      throw new Refusal(429, "TooManyProviderTokenUpdates");
    }
    if (!last || iat > last.iat) this.lastToken.set(key.keyId, { jwt, iat });
    return key.topics;
  }
}

/** Starts a stand-in on a free port of 127.0.0.1. */
export function startFakeApns(o: FakeApnsOptions): Promise<FakeApns> {
  return new FakeApns(o).start();
}
