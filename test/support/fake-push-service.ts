import { createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { IncomingHttpHeaders } from "node:http";
import { decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import { Arrivals } from "./arrivals.js";
import { WebSubscriber } from "./web-subscriber.js";

/**
 * A browser push service (RFC 8030) on 127.0.0.1 over HTTPS, checking what it receives as a real one would, and
 * more strictly: the VAPID header (RFC 8292) `Authorization: vapid t=<ES256 JWT>, k=<public key>` is verified with
 * `k`, its `aud` must be this service's origin, `exp` within 24 hours, `sub` present, and `k` the key the test says
 * the gateway publishes; the `aes128gcm` body (RFC 8291) is decrypted with the subscriber's private key and auth
 * secret. Each request is recorded with its headers, the decrypted payload, or what was wrong with it. A test tells
 * it what to answer next (404, 410, 413, 429, 500...); by default 201 Created.
 */

export interface PushRequest {
  subscriberId: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  /** The decrypted payload, parsed as JSON; absent when a check failed. */
  payload?: { data: Record<string, string>; notification: { title: string; body: string } };
  /** What was wrong with the request (VAPID, encryption); absent when it was right. */
  problem?: string;
  /** The status answered. */
  status: number;
}

export interface PlannedAnswer {
  status: number;
  headers?: Record<string, string>;
}

const TWENTY_FOUR_HOURS = 24 * 3600;

/** RFC 8291 §3.4 and RFC 8188: one `aes128gcm` record, decrypted with the user agent's keys. */
export function decryptAes128gcm(body: Buffer, subscriber: WebSubscriber): Buffer {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const serverPublic = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  if (idLength !== 65) throw new Error(`the key id is ${idLength} bytes, not an uncompressed P-256 point`);
  if (record.length > recordSize) throw new Error("more than one record");
  const clientPublic = subscriber.ecdh.getPublicKey();
  const shared = subscriber.ecdh.computeSecret(serverPublic);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), clientPublic, serverPublic]);
  const ikm = Buffer.from(hkdfSync("sha256", shared, subscriber.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("no last-record delimiter");
  return padded.subarray(0, end);
}

/** The P-256 JWK of an uncompressed point given as base64url. */
function jwkOfPoint(k: string) {
  const point = Buffer.from(k, "base64url");
  if (point.length !== 65 || point[0] !== 4) throw new Error("k is not an uncompressed P-256 point");
  return { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") };
}

export class FakePushService {
  readonly requests: PushRequest[] = [];
  /** The VAPID public key the gateway publishes (the test sets it from the endpoint's answer). */
  expectedKey = "";
  private readonly subscribers = new Map<string, WebSubscriber>();
  private readonly planned: PlannedAnswer[] = [];
  private readonly arrivals = new Arrivals();
  private server: Server | undefined;
  url = "";

  constructor(private readonly tls: { keyPem: string; certPem: string }) {}

  async start(): Promise<this> {
    this.server = createServer({ key: this.tls.keyPem, cert: this.tls.certPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void this.receive(req.url ?? "", req.method ?? "", req.headers, Buffer.concat(chunks)).then((answer) => {
          res.writeHead(answer.status, answer.headers ?? {});
          res.end();
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** A new browser subscribed at this service. */
  subscribe(): WebSubscriber {
    const id = randomBytes(12).toString("base64url");
    const s = new WebSubscriber(`${this.url}/push/${id}`);
    this.subscribers.set(id, s);
    return s;
  }

  /** Answer the next requests with these, in order (then 201 again). */
  answerNext(...answers: PlannedAnswer[]): void {
    this.planned.push(...answers);
  }

  /** The requests for one subscriber so far. */
  requestsTo(s: WebSubscriber): PushRequest[] {
    return this.requests.filter((r) => s.endpoint.endsWith(`/push/${r.subscriberId}`));
  }

  /** The `n`th request (1-based) to `s`, already received or to come (bounded). */
  async nthRequestTo(s: WebSubscriber, n = 1, timeoutMs = 15_000): Promise<PushRequest> {
    await this.arrivals.until(() => this.requestsTo(s).length >= n, timeoutMs, () => `only ${this.requestsTo(s).length} request(s) to the subscriber`);
    return this.requestsTo(s)[n - 1]!;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async receive(path: string, method: string, headers: IncomingHttpHeaders, body: Buffer): Promise<PlannedAnswer> {
    const id = /^\/push\/([A-Za-z0-9_-]+)$/.exec(path)?.[1] ?? "";
    const subscriber = this.subscribers.get(id);
    const planned = this.planned.shift() ?? { status: 201 };
    const request: PushRequest = { subscriberId: id, headers, bodyBytes: body.length, status: planned.status };
    try {
      if (method !== "POST") throw new Error(`method ${method}`);
      if (!subscriber) throw new Error("no such subscription");
      await this.checkVapid(headers.authorization);
      if (headers["content-encoding"] !== "aes128gcm") throw new Error(`Content-Encoding ${String(headers["content-encoding"])}`);
      request.payload = JSON.parse(decryptAes128gcm(body, subscriber).toString("utf8")) as PushRequest["payload"];
    } catch (err) {
      request.problem = (err as Error).message;
      request.status = 400;
    }
    this.requests.push(request);
    this.arrivals.arrived();
    return request.problem ? { status: 400 } : planned;
  }

  private async checkVapid(authorization: string | undefined): Promise<void> {
    const m = /^vapid t=([A-Za-z0-9_.-]+), k=([A-Za-z0-9_-]+)$/.exec(authorization ?? "");
    if (!m) throw new Error(`Authorization is not "vapid t=…, k=…": ${String(authorization).slice(0, 40)}`);
    const [, token, k] = m as unknown as [string, string, string];
    if (k !== this.expectedKey) throw new Error("k is not the key the gateway publishes");
    if (decodeProtectedHeader(token).alg !== "ES256") throw new Error("the JWT is not ES256");
    const key = await importJWK(jwkOfPoint(k), "ES256");
    const { payload } = await jwtVerify(token, key, { audience: this.url, algorithms: ["ES256"] });
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.exp !== "number" || payload.exp <= now || payload.exp > now + TWENTY_FOUR_HOURS) throw new Error("exp is not within 24 hours");
    if (typeof payload.sub !== "string" || !/^(mailto:|https:)/.test(payload.sub)) throw new Error("sub is missing or not mailto:/https:");
  }
}

