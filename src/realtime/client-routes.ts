import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Router, type Response } from "express";
import type { Operation } from "../http/openapi.js";
import { webScript } from "../http/web-assets.js";

/** Where pages load the browser client from: `<gateway>/client/push-mfa.js`. */
export const CLIENT_PATH = "/client/push-mfa.js";
/** The Socket.IO client the browser client imports when it needs it (a dynamic import: it may be blocked). */
export const SOCKET_IO_CLIENT_PATH = "/client/socket.io.esm.min.js";

/** For /openapi.json. */
export const clientOperations: Operation[] = [
  { method: "get", path: CLIENT_PATH, summary: "The browser client: waitForPushApproval({ url, apikey, token, onStatus }) (ES module)", tag: "Realtime", auth: "none", page: true },
  { method: "get", path: SOCKET_IO_CLIENT_PATH, summary: "The Socket.IO client build the browser client loads", tag: "Realtime", auth: "none", page: true },
];

/**
 * The browser client (contract 2.1's consumer) and the Socket.IO client build it loads, both from this gateway,
 * for pages on any origin: CORS and Cross-Origin-Resource-Policy allow a cross-origin `<script type="module">`.
 */
export function clientRoutes(): Router {
  const r = Router();
  const client = webScript("client/push-mfa.js");
  const socketIoDir = join(dirname(createRequire(import.meta.url).resolve("socket.io/package.json")), "client-dist");
  let socketIo: Promise<string> | undefined;

  const sendJs = (res: Response, body: string) => {
    res.set({
      "content-type": "text/javascript; charset=utf-8",
      "access-control-allow-origin": "*",
      "cross-origin-resource-policy": "cross-origin",
      "cache-control": "public, max-age=300",
    });
    res.send(body);
  };
  r.get(CLIENT_PATH, async (_req, res) => sendJs(res, await client()));
  r.get(SOCKET_IO_CLIENT_PATH, async (_req, res) => {
    socketIo ??= readFile(join(socketIoDir, "socket.io.esm.min.js"), "utf8").then((js) => js.replace(/\n\/\/# sourceMappingURL=.*$/, ""));
    sendJs(res, await socketIo);
  });
  return r;
}
