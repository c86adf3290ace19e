import { deadline } from "../../src/delivery/deadline.js";
import type { PushMessage, PushProvider } from "../../src/delivery/push-provider.js";

/** The worker's own signal (its shutdown), which never ends during a bench run. */
const running = new AbortController().signal;

/**
 * One provider send with the signal the send processor gives it (workers/send-push.ts): a `deadline` under the
 * worker's signal, cleared after the send. Not `AbortSignal.timeout` per send, whose timer, weak reference and
 * finalization entry the worker never pays.
 */
export async function sendAsTheWorker(provider: Pick<PushProvider, "send">, message: PushMessage, ms = 10_000): Promise<void> {
  const expiry = deadline(running, ms);
  try {
    await provider.send(message, expiry.signal);
  } finally {
    expiry.clear();
  }
}
