import { io, type Socket } from "socket.io-client";
import { emit, probes, serve } from "../lib/serve.js";
import { untilAllTold } from "../lib/until-told.js";
import { mapLimit, nowMs } from "../lib/stats.js";

/**
 * Many waiting pages in one process (scenarios 3 and 5): socket.io-client over the websocket transport, no
 * reconnection (a dropped page must show up as dropped, not quietly come back).
 */

interface PageState {
  socket: Socket;
  pendingAt: number;
  approvedAt: number;
  withLogin: boolean;
  disconnected: boolean;
  other: string | undefined;
}

let pages: PageState[] = [];

function open(url: string, auth: Record<string, unknown>): Promise<PageState> {
  const socket = io(url, { auth, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 30_000 });
  const page: PageState = { socket, pendingAt: 0, approvedAt: 0, withLogin: false, disconnected: false, other: undefined };
  return new Promise((resolve, reject) => {
    socket.on("push:status", (s: { Status: string; Login?: unknown }) => {
      if (s.Status === "Pending") {
        if (!page.pendingAt) {
          page.pendingAt = nowMs();
          resolve(page);
        }
      } else if (s.Status === "Approved") {
        if (!page.approvedAt) page.approvedAt = nowMs();
        page.withLogin = s.Login !== undefined;
      } else {
        page.other = s.Status;
      }
    });
    socket.on("connect_error", (err: Error) => reject(err));
    socket.on("disconnect", () => {
      page.disconnected = true;
    });
  });
}

async function connect(a: { url: string; auths: Array<Record<string, unknown>>; concurrency: number }) {
  const t0 = nowMs();
  const errors: Record<string, number> = {};
  let done = 0;
  const timer = setInterval(() => emit("progress", { connected: done, of: a.auths.length }), 2000);
  const opened = await mapLimit(a.auths, a.concurrency, async (auth) => {
    try {
      const p = await open(a.url, auth);
      done++;
      return p;
    } catch (err) {
      const m = (err as Error).message.slice(0, 80);
      errors[m] = (errors[m] ?? 0) + 1;
      return null;
    }
  });
  clearInterval(timer);
  pages.push(...opened.filter((p): p is PageState => p !== null));
  return { connected: done, failed: a.auths.length - done, errors, ms: nowMs() - t0 };
}

function stats() {
  const approved = pages.filter((p) => p.approvedAt > 0);
  const at = approved.map((p) => p.approvedAt);
  return {
    total: pages.length,
    told: approved.length,
    withLogin: approved.filter((p) => p.withLogin).length,
    firstAt: at.length ? Math.min(...at) : 0,
    lastAt: at.length ? Math.max(...at) : 0,
    disconnected: pages.filter((p) => p.disconnected).length,
    other: pages.filter((p) => p.other).length,
  };
}

const waitApproved = (a: { timeoutMs: number }) => untilAllTold(stats, a.timeoutMs);

function close() {
  for (const p of pages) p.socket.disconnect();
  const n = pages.length;
  pages = [];
  return n;
}

serve({ ...probes, connect: connect as (a: never) => unknown, stats, waitApproved: waitApproved as (a: never) => unknown, close });
