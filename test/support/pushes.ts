import type { Challenge } from "../../src/challenge/challenge.js";
import { hashToken } from "../../src/crypto/tokens.js";
import { challengeOfToken } from "./delivery.js";
import type { TestGateway } from "./gateway.js";
import type { ReceivedPush, WebhookReceiver } from "./webhook-receiver.js";

/**
 * Which push belongs to which login. Counting pushes races (an enrollment's push, a cancelled login's push, a retry
 * may land before or after the one a test waits for), so a test names the push it wants by its challenge: the
 * device handle a push carries hashes to the challenge's `handleHash`.
 */

/** Whether push data carries the device handle of this challenge. */
export const carriesHandleOf =
  (c: Pick<Challenge, "handleHash">) =>
  (push: { data: { secondfactorauthenticationtoken?: string | undefined } }): boolean =>
    hashToken(push.data.secondfactorauthenticationtoken ?? "") === c.handleHash;

/** The push (already received or to come) of the login whose browser token is `token` (bounded). */
export async function pushOfLogin(gw: TestGateway, receiver: WebhookReceiver, token: string, timeoutMs = 10_000): Promise<ReceivedPush> {
  return receiver.waitForPush(carriesHandleOf(await challengeOfToken(gw, token)), timeoutMs);
}
