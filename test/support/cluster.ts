import { randomBytes, randomUUID } from "node:crypto";
import { io, type Socket } from "socket.io-client";
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
  private readonly arrivals = new Arrivals();

  constructor(url: string, auth: Record<string, unknown>) {
    this.socket = io(url, { auth, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 5000 });
    this.socket.on("push:status", (s: PushStatus) => {
      this.statuses.push(s);
      this.arrivals.arrived();
    });
  }

  static open(node: { url: string; apiKey: string }, token: string): TestPage {
    return new TestPage(node.url, { apikey: node.apiKey, secondfactorauthenticationtoken: token });
  }

  /** The first status, already received or to come, that satisfies `pred` (bounded). */
  waitFor(pred: (s: PushStatus) => boolean, timeoutMs = 10_000): Promise<PushStatus> {
    return this.arrivals.first(this.statuses, pred, timeoutMs, () => `no matching push:status; got ${JSON.stringify(this.statuses.map((s) => [s.Status, s.Delivery?.State]))}`);
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
