import { createServer, connect, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP load balancer as small as a test needs: each new connection goes to the first backend (in order) that
 * accepts it, so a dead backend is skipped, as a load balancer's health check would skip it. Existing connections
 * stay where they are until either side closes them, which is what a failover looks like to a client that keeps
 * its connection: it still talks to the old server.
 *
 * Used in front of gateway nodes (a page reconnects "to the same URL" and lands on a live node) and in front of
 * Redis servers (the address of the primary moves to the promoted replica).
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly open = new Set<Socket>();

  constructor(private backends: number[]) {}

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  async start(): Promise<this> {
    this.server = createServer((client) => this.route(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(0, "127.0.0.1", () => resolve());
    });
    return this;
  }

  /** New connections go here from now on; open ones are left alone. */
  setBackends(ports: number[]): void {
    this.backends = ports;
  }

  /** Cut every open connection (both sides see a reset). */
  dropAll(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private route(client: Socket): void {
    this.track(client);
    client.pause();
    client.on("error", () => client.destroy());
    const tryBackend = (i: number): void => {
      const port = this.backends[i];
      if (port === undefined || client.destroyed) {
        client.destroy();
        return;
      }
      const upstream = connect(port, "127.0.0.1");
      // Refused (the backend is down): the next one, as a health-checked balancer would.
      const refused = () => {
        upstream.destroy();
        tryBackend(i + 1);
      };
      upstream.once("error", refused);
      upstream.once("connect", () => {
        upstream.off("error", refused);
        this.track(upstream);
        const close = () => {
          client.destroy();
          upstream.destroy();
        };
        upstream.on("error", close);
        client.on("error", close);
        upstream.on("close", close);
        client.on("close", close);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    tryBackend(0);
  }

  private track(s: Socket): void {
    this.open.add(s);
    s.once("close", () => this.open.delete(s));
  }
}
