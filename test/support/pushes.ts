import type { Challenge } from "../../src/challenge/challenge.js";
import { hashToken } from "../../src/crypto/tokens.js";
import { challengeOfToken } from "./delivery.js";
import type { TestGateway } from "./gateway.js";
import { expect } from "vitest";
import { TestPhone } from "./phone.js";
import { createAccount, login } from "./scenario.js";
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

/** A new account `user` with an enrolled phone on `node` (its first, enrollment-triggered push received). */
export async function enrolledUser(node: TestGateway, receiver: WebhookReceiver, user: string): Promise<{ user: string; phone: TestPhone }> {
  await createAccount(node, user);
  const first = await login(node, user);
  const phone = new TestPhone();
  await phone.enroll(first.body.SecondFactorAuthentication.PushQRCodeDetails!.Url);
  await pushOfLogin(node, receiver, first.body.SecondFactorAuthentication.SecondFactorAuthenticationToken);
  return { user, phone };
}

/** L2 on `node` for an enrolled user; resolves once this login's push reached the webhook. */
export async function pushedLogin(node: TestGateway, receiver: WebhookReceiver, user: string): Promise<{ token: string; handle: string }> {
  const res = await login(node, user);
  expect(res.status).toBe(200);
  const token = res.body.SecondFactorAuthentication.SecondFactorAuthenticationToken;
  // This login's push, by its handle: an earlier login's push may still arrive after it.
  return { token, handle: (await pushOfLogin(node, receiver, token)).data.secondfactorauthenticationtoken! };
}
