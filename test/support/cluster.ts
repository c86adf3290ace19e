import { randomBytes, randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";
import type { ErrorBody } from "../../src/errors.js";
import type { PushStatus } from "../../src/realtime/status.js";
import type { RateLimitOptions } from "../../src/rate-limits.js";
import { Arrivals } from "./arrivals.js";
import { deletePrefix, startTestGateway, testPrefix, type TestGateway } from "./gateway.js";

export interface TestCluster {
  prefix: string;
  apiKey: string;
  apiSecret: string;
  /** Gateway-only nodes (HTTP and Socket.IO), in start order: A, B, C… */
  nodes: TestGateway[];
  /** A worker-only node: sends pushes and fires expiries, emits through Redis. */
  worker: TestGateway;
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  gateways?: number;
  adapter?: "sharded" | "classic";
  env?: Record<string, string>;
  rateLimits?: Partial<RateLimitOptions>;
}

/** N gateway nodes and one worker of one deployment: one Redis prefix, one app, one master key. */
export async function startCluster(o: TestClusterOptions = {}): Promise<TestCluster> {
  const prefix = testPrefix();
  const apiKey = randomUUID();
  const apiSecret = randomBytes(24).toString("base64url");
  const env = { SOCKET_ADAPTER: o.adapter ?? "sharded", ...o.env };
  const common = { prefix, apiKey, apiSecret, env, ...(o.rateLimits && { rateLimits: o.rateLimits }) };
  // The first node bootstraps the app; the others find it.
  const first = await startTestGateway({ ...common, gateway: true, worker: false });
  const rest = await Promise.all(
    Array.from({ length: (o.gateways ?? 3) - 1 }, () => startTestGateway({ ...common, gateway: true, worker: false })),
  );
  const worker = await startTestGateway({ ...common, gateway: false, worker: true });
  const nodes = [first, ...rest];
  return {
    prefix,
    apiKey,
    apiSecret,
    nodes,
    worker,
    async stop() {
      await Promise.allSettled([...nodes, worker].map((n) => n.stop()));
      await deletePrefix(prefix);
    },
  };
}

/** A waiting page as a script sees it: a socket.io-client on one node, and every `push:status` it got. */
export class TestPage {
  readonly statuses: PushStatus[] = [];
  readonly socket: Socket;
  /** Why the socket disconnected ("io server disconnect": the server closed it), once it has. */
  disconnectReason: string | undefined;
  /** The `data` of the handshake's `connect_error` (the contract's error body), when it was refused. */
  refusal: (ErrorBody & { RetryAfter?: number }) | undefined;
  private readonly arrivals = new Arrivals();

  /** `headers`: extra handshake headers (Node clients only), e.g. an `X-Forwarded-For` behind TRUST_PROXY. */
  constructor(url: string, auth: Record<string, unknown>, headers: Record<string, string> = {}) {
    this.socket = io(url, { auth, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 5000, extraHeaders: headers });
    this.socket.on("push:status", (s: PushStatus) => {
      this.statuses.push(s);
      this.arrivals.arrived();
    });
    this.socket.on("disconnect", (reason) => {
      this.disconnectReason = reason;
      this.arrivals.arrived();
    });
    this.socket.on("connect_error", (err: Error & { data?: ErrorBody & { RetryAfter?: number } }) => {
      this.refusal = err.data;
      this.arrivals.arrived();
    });
  }

  static open(node: { url: string; apiKey: string }, token: string, headers: Record<string, string> = {}): TestPage {
    return new TestPage(node.url, { apikey: node.apiKey, secondfactorauthenticationtoken: token }, headers);
  }

  /** The first status, already received or to come, that satisfies `pred` (bounded). */
  waitFor(pred: (s: PushStatus) => boolean, timeoutMs = 10_000): Promise<PushStatus> {
    return this.arrivals.first(this.statuses, pred, timeoutMs, () => `no matching push:status; got ${JSON.stringify(this.statuses.map((s) => [s.Status, s.Delivery?.State]))}`);
  }

  /** Resolves with the disconnect's reason once the socket has disconnected (bounded). */
  async disconnected(timeoutMs = 10_000): Promise<string> {
    const seen = () => JSON.stringify(this.statuses.map((s) => s.Status));
    await this.arrivals.until(() => this.disconnectReason !== undefined, timeoutMs, () => `the socket is still connected; got ${seen()}`);
    return this.disconnectReason!;
  }

  /** Resolves with the refused handshake's error body (bounded); fails if the page was admitted instead. */
  async refused(timeoutMs = 10_000): Promise<ErrorBody & { RetryAfter?: number }> {
    await this.arrivals.until(() => this.refusal !== undefined || this.statuses.length > 0, timeoutMs, () => "neither admitted nor refused");
    if (!this.refusal) throw new Error(`the handshake was accepted: ${JSON.stringify(this.statuses[0])}`);
    return this.refusal;
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Connect and expect the handshake to be refused: resolves with connect_error's `data`. */
export function refusedHandshake(url: string, auth: Record<string, unknown>, nsp = "/"): Promise<{ ErrorCode: number; Message: string; Description: string }> {
  const socket = io(`${url}${nsp === "/" ? "" : nsp}`, { auth, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 5000 });
  return new Promise((resolve, reject) => {
    socket.on("connect", () => {
      socket.disconnect();
      reject(new Error("the handshake was accepted"));
    });
    socket.on("connect_error", (err: Error & { data?: { ErrorCode: number; Message: string; Description: string } }) => {
      socket.disconnect();
      if (err.data) resolve(err.data);
      else reject(err);
    });
  });
}
