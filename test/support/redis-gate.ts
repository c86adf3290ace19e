import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Arrivals } from "./arrivals.js";

/**
 * A TCP proxy in front of one Redis server that can hold Redis's replies. While held, every reply to every client
 * waits in the proxy, in order, until `release()`; what the clients send still goes through, and the gate notes the
 * commands it sees. A test can so stop a node at a chosen point of its start (hold from its Nth connection on), or
 * keep one of its requests in flight (hold, then wait until the request's command reached Redis) and act meanwhile.
 */
export class RedisGate {
  /** Client connections accepted so far. */
  connections = 0;
  /** When set, replies are held from the moment this client connection (1-based) is accepted. */
  holdAtConnection: number | undefined;
  private held = false;
  private readonly waiting: Array<() => void> = [];
  private seen = "";
  private server: Server | undefined;
  private readonly open = new Set<Socket>();
  private readonly arrivals = new Arrivals();

  constructor(private readonly redisHost: string, private readonly redisPort: number) {}

  /** The `REDIS_URL` that leads through the gate. */
  get url(): string {
    return `redis://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((client) => this.route(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(0, "127.0.0.1", () => resolve());
    });
    return this;
  }

  /** Hold every reply from now on, and forget the commands seen so far. */
  hold(): void {
    this.held = true;
    this.seen = "";
  }

  /** Deliver the held replies, in order, and stop holding. */
  release(): void {
    this.held = false;
    for (const deliver of this.waiting.splice(0)) deliver();
  }

  /** Resolves once a client sent `command` (any case) since the last `hold()` (bounded). */
  async sawCommand(command: string, timeoutMs = 10_000): Promise<void> {
    const wanted = `\r\n${command.toLowerCase()}\r\n`;
    await this.arrivals.until(() => this.seen.includes(wanted), timeoutMs, () => `no ${command} reached Redis`);
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    this.open.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private route(client: Socket): void {
    this.connections += 1;
    if (this.connections === this.holdAtConnection) this.hold();
    const upstream = connect(this.redisPort, this.redisHost);
    for (const s of [client, upstream]) {
      this.open.add(s);
      s.once("close", () => this.open.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
      s.once("close", () => (s === client ? upstream : client).destroy());
    }
    client.on("data", (chunk: Buffer) => {
      // Only while holding: that is when a test waits for a command, and the log stays small.
      if (this.held) {
        this.seen += chunk.toString("latin1").toLowerCase();
        this.arrivals.arrived();
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      const deliver = () => {
        if (!client.destroyed) client.write(chunk);
      };
      if (this.held) this.waiting.push(deliver);
      else deliver();
    });
  }
}
