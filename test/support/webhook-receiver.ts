import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Arrivals } from "./arrivals.js";

export interface ReceivedPush {
  id: string;
  device: { token: string; type: string };
  data: Record<string, string>;
  notification: { title: string; body: string };
  ttlSeconds: number;
  idempotencyKey: string | undefined;
  /** Always true: a push whose signature does not hold is refused, not recorded. */
  signatureValid: boolean;
}

/** One request as it arrived, whatever it was answered (retries and repeats included). */
export interface ReceivedRequest {
  id: string | undefined;
  idempotencyKey: string | undefined;
  signatureValid: boolean;
  /** The status answered; undefined while held or when the sender went away first. */
  status: number | undefined;
  /** The sender's connection closed before an answer (its timeout, or a killed worker). */
  senderGone: boolean;
}

/** How far a signature's timestamp may be from the receiver's clock: Stripe's default, which contract 2.2 follows. */
const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * Whether `X-PushMFA-Signature` (`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + rawBody)>`) signs this
 * very body with the secret, at a time close to now: a forged, tampered or replayed request fails.
 */
export function signatureHolds(header: string, raw: string, secret: string, nowSeconds: number): boolean {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  if (Math.abs(nowSeconds - Number(m[1])) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = createHmac("sha256", secret).update(`${m[1]}.${raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, "hex"));
}

/**
 * The customer's messaging service of contract 2.2, as a test runs it, and as strict as one should be: a request
 * whose signature does not hold (wrong secret, altered body, timestamp more than 5 minutes off, none at all) is
 * answered 401 and never recorded as a push; a signed one is recorded and answered what the test scripts (200 by
 * default). Every request, refused or not, is listed in `requests`.
 */
export class WebhookReceiver {
  readonly pushes: ReceivedPush[] = [];
  /** Every request, in arrival order, answered or not. */
  readonly requests: ReceivedRequest[] = [];
  /** Statuses to answer next, one per request; 200 once empty. */
  readonly script: number[] = [];
  delayMs = 0;
  /** While set, requests wait for it to resolve before they are answered (see `hold`). */
  private gate: Promise<void> | undefined;
  private server: Server | undefined;
  private readonly arrivals = new Arrivals();

  constructor(readonly secret: string) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/push`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const header = String(req.headers["x-pushmfa-signature"] ?? "");
        const signatureValid = signatureHolds(header, raw, this.secret, Math.floor(Date.now() / 1000));
        let id: string | undefined;
        try {
          id = (JSON.parse(raw) as { id?: string }).id;
        } catch {
          /* recorded without an id */
        }
        const request: ReceivedRequest = { id, idempotencyKey: req.headers["idempotency-key"] as string | undefined, signatureValid, status: undefined, senderGone: false };
        this.requests.push(request);
        res.once("close", () => {
          if (!res.writableFinished) request.senderGone = true;
        });
        this.arrivals.arrived();
        if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
        if (this.gate) await this.gate;
        // The sender went away while we held it (timeout, killed worker): it never learns an answer.
        if (request.senderGone || res.destroyed) return;
        // A request that is not ours to trust is refused before the script is consulted or anything recorded.
        const status = !signatureValid ? 401 : id === undefined ? 400 : (this.script.shift() ?? 200);
        request.status = status;
        if (status >= 200 && status < 300) {
          const body = JSON.parse(raw) as Omit<ReceivedPush, "idempotencyKey" | "signatureValid">;
          this.pushes.push({ ...body, idempotencyKey: req.headers["idempotency-key"] as string | undefined, signatureValid });
          this.arrivals.arrived();
        }
        res.writeHead(status, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    return this;
  }

  /** Hold every request (new or waiting) unanswered until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    this.gate = gate;
    return () => {
      if (this.gate === gate) this.gate = undefined;
      release();
    };
  }

  /** Wait until `n` requests have arrived, answered or not (bounded). */
  async waitForRequests(n: number, timeoutMs = 10_000): Promise<ReceivedRequest[]> {
    await this.arrivals.until(() => this.requests.length >= n, timeoutMs, () => `expected ${n} requests, got ${this.requests.length}`);
    return this.requests;
  }

  /** The first push, already received or to come, that satisfies `pred` (bounded). */
  waitForPush(pred: (push: ReceivedPush) => boolean, timeoutMs = 10_000): Promise<ReceivedPush> {
    return this.arrivals.first(this.pushes, pred, timeoutMs, () => `no matching push among ${this.pushes.length}`);
  }

  /** Wait until `n` pushes have arrived (bounded). */
  async waitFor(n: number, timeoutMs = 10_000): Promise<ReceivedPush[]> {
    await this.arrivals.until(() => this.pushes.length >= n, timeoutMs, () => `expected ${n} pushes, got ${this.pushes.length}`);
    return this.pushes;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
