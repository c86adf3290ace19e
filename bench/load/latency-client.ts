import { io, type Socket } from "socket.io-client";
import { createAnswerKeys } from "../lib/answer-keys.js";
import { answerUrl, errorCodeOf, httpCall, keepAliveAgent, pingUrl } from "../lib/http.js";
import { emit, probes, serve } from "../lib/serve.js";
import { mapLimit, nowMs, sleep } from "../lib/stats.js";
import { Arrivals } from "../../test/support/arrivals.js";

/**
 * Scenario 1's load generator: the phone and the waiting page in one process, so both ends of each measurement
 * read one clock. Signatures are made before the clock starts (the phone's signing time is not the gateway's).
 */

interface Item {
  token: string;
  handle: string;
  /** The user's phone key in the pool given to `loadKeys`. */
  key: number;
}

const keys = createAnswerKeys();

interface Status {
  Status: string;
  Login?: unknown;
  AnsweredAt?: string;
  EmittedAt?: number;
}

/** A page: a socket that resolves `next(pred)` with the first status matching, with its arrival time. */
class Page {
  readonly socket: Socket;
  private seen: Array<{ s: Status; at: number; wall: number }> = [];
  private readonly arrivals = new Arrivals();

  constructor(url: string, auth: Record<string, unknown>) {
    this.socket = io(url, { auth, transports: ["websocket"], reconnection: false, forceNew: true, timeout: 20_000 });
    this.socket.on("push:status", (s: Status) => {
      this.seen.push({ s, at: nowMs(), wall: Date.now() });
      this.arrivals.arrived();
    });
  }

  next(pred: (s: Status) => boolean, timeoutMs = 20_000): Promise<{ s: Status; at: number; wall: number }> {
    return this.arrivals.first(this.seen, (x) => pred(x.s), timeoutMs, () => `no matching push:status; got ${JSON.stringify(this.seen.map((x) => x.s.Status))}`);
  }

  close(): void {
    this.socket.disconnect();
  }
}

async function sockets(a: { mode: "gateway" | "bare"; pageUrl: string; triggerUrl: string; apiKey: string; items: Item[]; batch: number }) {
  const signatures = a.items.map((i) => keys.sign(i.key, "Yes", i.handle));
  const agent = keepAliveAgent(4);
  const latency: number[] = [];
  const http: number[] = [];
  /** Gateway: from the answer's recorded time (AnsweredAt, ms) to the page; bare: from the emit to the page. */
  const emitToPage: number[] = [];
  let withoutLogin = 0;
  const failures: string[] = [];
  for (let start = 0; start < a.items.length; start += a.batch) {
    const slice = a.items.slice(start, start + a.batch);
    const pages = slice.map((i) => new Page(a.pageUrl, a.mode === "gateway" ? { apikey: a.apiKey, secondfactorauthenticationtoken: i.token } : { room: i.token }));
    await mapLimit(pages, 50, (p) => p.next((s) => s.Status === "Pending"));
    for (let k = 0; k < slice.length; k++) {
      const item = slice[k]!;
      const page = pages[k]!;
      const body = { verify: "Yes", signature: signatures[start + k]! };
      const url = a.mode === "gateway" ? answerUrl(a.triggerUrl, a.apiKey, item.handle) : `${a.triggerUrl}/emit?room=${encodeURIComponent(item.token)}`;
      const told = page.next((s) => s.Status === "Approved");
      const t0 = nowMs();
      const res = await httpCall(agent, url, "PUT", body);
      const t1 = nowMs();
      if (res.status !== 200) {
        failures.push(`${res.status} ${res.body.slice(0, 120)}`);
        continue;
      }
      const got = await told;
      latency.push(got.at - t0);
      http.push(t1 - t0);
      if (a.mode === "bare" && typeof got.s.EmittedAt === "number") emitToPage.push(got.at - got.s.EmittedAt);
      if (a.mode === "gateway") {
        if (!got.s.Login) withoutLogin++;
        if (got.s.AnsweredAt) emitToPage.push(got.wall - Date.parse(got.s.AnsweredAt));
      }
    }
    for (const p of pages) p.close();
    emit("progress", { done: Math.min(a.items.length, start + a.batch), of: a.items.length });
  }
  agent.destroy();
  return { latency, http, emitToPage, withoutLogin, failures: failures.slice(0, 10), failed: failures.length };
}

/**
 * Legacy pages polling L4 every `intervalMs` (each from a random phase, as real pages start at random times),
 * while the phone answers each login at a random moment after every poller is running. Latency: from the answer
 * being sent to the first poll that returns the login.
 */
async function poll(a: { pollBase: string; answerBase: string; apiKey: string; items: Item[]; intervalMs: number }) {
  const signatures = a.items.map((i) => keys.sign(i.key, "Yes", i.handle));
  const pollAgent = keepAliveAgent(a.items.length);
  const phoneAgent = keepAliveAgent(16);
  const start = nowMs() + 300;
  const n = a.items.length;
  const answeredAt = new Array<number>(n).fill(0);
  const seenAt = new Array<number>(n).fill(0);
  let polls = 0;
  const unexpected: Record<string, number> = {};
  const iv = a.intervalMs;

  const poller = async (i: number) => {
    const phase = Math.random() * iv;
    for (let k = 0; ; k++) {
      const due = start + phase + k * iv;
      const wait = due - nowMs();
      if (wait > 0) await sleep(wait);
      const res = await httpCall(pollAgent, pingUrl(a.pollBase, a.apiKey, a.items[i]!.token), "GET");
      polls++;
      if (res.status === 200) {
        seenAt[i] = nowMs();
        return;
      }
      const code = errorCodeOf(res.body);
      if (code !== 1295) unexpected[`${res.status}/${code}`] = (unexpected[`${res.status}/${code}`] ?? 0) + 1;
      // Bounded: every answer is sent within 3 intervals of the start.
      if (nowMs() > start + 10 * iv) return;
    }
  };
  const phone = async (i: number) => {
    // After every poller's first poll; spread over two intervals so answers land at every phase.
    const due = start + iv + Math.random() * 2 * iv;
    const wait = due - nowMs();
    if (wait > 0) await sleep(wait);
    answeredAt[i] = nowMs();
    const res = await httpCall(phoneAgent, answerUrl(a.answerBase, a.apiKey, a.items[i]!.handle), "PUT", { verify: "Yes", signature: signatures[i]! });
    if (res.status !== 200) unexpected[`answer ${res.status}/${errorCodeOf(res.body)}`] = (unexpected[`answer ${res.status}/${errorCodeOf(res.body)}`] ?? 0) + 1;
  };
  await Promise.all([...a.items.map((_, i) => poller(i)), ...a.items.map((_, i) => phone(i))]);
  pollAgent.destroy();
  phoneAgent.destroy();
  const latency = a.items.map((_, i) => (seenAt[i]! && answeredAt[i]! ? seenAt[i]! - answeredAt[i]! : Number.NaN)).filter(Number.isFinite);
  return { latency, polls, unexpected, missed: n - latency.length };
}

serve({ ...probes, loadKeys: keys.load as (a: never) => unknown, sockets: sockets as (a: never) => unknown, poll: poll as (a: never) => unknown });
