import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedPush {
  id: string;
  device: { token: string; type: string };
  data: Record<string, string>;
  notification: { title: string; body: string };
  ttlSeconds: number;
  idempotencyKey: string | undefined;
  signatureValid: boolean;
}

/**
 * The customer's messaging service of contract 2.2, as a test runs it: checks the signature, records each push,
 * and answers what the test scripts (200 by default).
 */
export class WebhookReceiver {
  readonly pushes: ReceivedPush[] = [];
  /** Statuses to answer next, one per request; 200 once empty. */
  readonly script: number[] = [];
  delayMs = 0;
  private server: Server | undefined;
  private waiters: Array<() => void> = [];

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
        const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
        const expected = m ? createHmac("sha256", this.secret).update(`${m[1]}.${raw}`).digest() : Buffer.alloc(0);
        const signatureValid = !!m && timingSafeEqual(expected, Buffer.from(m[2]!, "hex"));
        if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
        const status = this.script.shift() ?? 200;
        if (status >= 200 && status < 300) {
          const body = JSON.parse(raw) as Omit<ReceivedPush, "idempotencyKey" | "signatureValid">;
          this.pushes.push({ ...body, idempotencyKey: req.headers["idempotency-key"] as string | undefined, signatureValid });
          for (const w of this.waiters.splice(0)) w();
        }
        res.writeHead(status, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    return this;
  }

  /** Wait until `n` pushes have arrived (bounded). */
  async waitFor(n: number, timeoutMs = 10_000): Promise<ReceivedPush[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.pushes.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${n} pushes, got ${this.pushes.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.pushes;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
