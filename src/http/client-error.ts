import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { errorBody } from "../errors.js";

/**
 * Requests Node refuses before Express sees them (headers or URL too large, broken HTTP) still get the
 * contract's JSON error body instead of an empty reply.
 */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || (err.code === "ECONNRESET")) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === "HPE_HEADER_OVERFLOW" || err.code === "HPE_URI_TOO_LONG";
    const body = JSON.stringify({
      ...errorBody(908),
      Description: tooLarge ? "The request line or headers are too large." : "The request is not valid HTTP.",
    });
    const status = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request";
    socket.end(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
