import { createServer, type RequestListener, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "../config.js";
import { answerClientErrors } from "../http/client-error.js";
import { answerWhileStarting } from "../http/routes/health.js";

/** The gateway's HTTP server, listening before the app behind it exists. */
export interface HttpListener {
  server: HttpServer;
  /** The port it got (PORT, or the one the system chose for PORT=0). */
  port: number;
  /** Hand requests to `handler` from now on; until then they are answered as a starting node answers (answerWhileStarting). */
  serve(handler: RequestListener): void;
}

/**
 * Listen first and build the app afterwards, so PUBLIC_URL's default can name the real port (PORT=0 in tests).
 * Rejects with the listen error (EADDRINUSE: main says which setting to change).
 */
export async function listenHttp(config: Pick<Config, "PORT" | "HOST">): Promise<HttpListener> {
  let handle: RequestListener = answerWhileStarting;
  const server = createServer((req, res) => handle(req, res));
  answerClientErrors(server);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // A deep accept queue (capped by net.core.somaxconn): in a reconnect storm the kernel queues the connections
    // the node has not accepted yet instead of dropping them, which would cost each client SYN retries of 1, 3, 7 s.
    server.listen({ port: config.PORT, host: config.HOST, backlog: 4096 }, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    serve(handler) {
      handle = handler;
    },
  };
}
