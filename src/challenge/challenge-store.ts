import type { Keys } from "../keys.js";
import { defineScript, fieldsOf, type RedisClient } from "../redis.js";
import { challengeFields, parseChallenge, parseStatusView, STATUS_VIEW_FIELDS, type Challenge, type ChallengeStatus, type ChallengeStatusView, type DeliveryState } from "./challenge.js";
import { CREATE, END, RESEND, SET_DELIVERY, UPDATE_IF_EXISTS } from "./scripts.js";
import { pollToken, type PollBudget } from "./poll-script.js";

export interface ChallengeRef {
  appId: string;
  uid: string;
  challengeId: string;
}

/** What a transition found instead of a pending challenge: a deadline passed, no challenge, or the status it had. */
export type NotPending = "Late" | "Missing" | Exclude<ChallengeStatus, "Pending">;
export type EndResult = "OK" | NotPending;
export type ResendResult =
  | { ok: true; sendNo: number }
  | { ok: false; reason: "Wait"; waitMs: number }
  | { ok: false; reason: "Max" | NotPending };

export interface ChallengeStore {
  /**
   * Store a new challenge as the user's pending one, with lookups by token and handle hash. Returns the token
   * hash of the challenge it cancelled, if any.
   */
  create(challenge: Challenge, keepMs: number): Promise<{ cancelledTokenHash: string | null }>;
  load(ref: ChallengeRef): Promise<Challenge | null>;
  findByToken(tokenHash: string): Promise<Challenge | null>;
  /** Where the challenge of a device handle lives (its user's slot), without reading it. */
  refByHandle(handleHash: string): Promise<ChallengeRef | null>;
  /** Only what a poll needs, by token hash: the fields of ChallengeStatusView. */
  statusByToken(tokenHash: string): Promise<ChallengeStatusView | null>;
  /**
   * statusByToken for an L4 poll, which first counts against the token's poll budget (`pingPerToken`), in the
   * lookup's round trip. `retryAfterMs` once the budget is spent: nothing was read.
   */
  pollByToken(tokenHash: string): Promise<{ retryAfterMs: number } | { view: ChallengeStatusView | null }>;
  /** Where the challenge of a browser token lives, without reading it. */
  refByToken(tokenHash: string): Promise<ChallengeRef | null>;
  /** The user's pending challenge, if any. */
  pendingOf(appId: string, uid: string): Promise<Challenge | null>;
  /** Move a pending challenge to an end state, atomically and once. */
  end(c: ChallengeRef, to: Exclude<ChallengeStatus, "Pending">, options: { now: number; refuseLate: boolean; fields?: Partial<Challenge> }): Promise<EndResult>;
  resend(c: ChallengeRef, now: number, minIntervalMs: number, maxSends: number): Promise<ResendResult>;
  /**
   * Record how delivery goes, while the challenge is pending ("Sent" stays, whatever another device's send
   * does). Returns the challenge as it now is when this changed it, to tell the pages; null otherwise.
   */
  setDelivery(c: ChallengeRef, state: DeliveryState): Promise<Challenge | null>;
  /** Set fields of a challenge that still exists. */
  update(c: ChallengeRef, fields: Partial<Challenge>): Promise<boolean>;
}

const createScript = defineScript(CREATE);
const endScript = defineScript(END);
const resendScript = defineScript(RESEND);
const updateScript = defineScript(UPDATE_IF_EXISTS);
const setDeliveryScript = defineScript(SET_DELIVERY);

const refOf = (c: ChallengeRef | Challenge): ChallengeRef =>
  "challengeId" in c ? c : { appId: c.appId, uid: c.uid, challengeId: c.id };

/** A challenge's place as its token and handle lookups hold it: `appId|uid|challengeId`. */
const encodeRef = (r: ChallengeRef) => `${r.appId}|${r.uid}|${r.challengeId}`;
export const decodeRef = (raw: string): ChallengeRef | null => {
  const [appId, uid, challengeId] = raw.split("|");
  return appId && uid && challengeId ? { appId, uid, challengeId } : null;
};

export function createChallengeStore(redis: RedisClient, keys: Keys, polls: PollBudget): ChallengeStore {
  const keyOf = (r: ChallengeRef) => keys.challenge(r.appId, r.uid, r.challengeId);

  async function load(ref: ChallengeRef): Promise<Challenge | null> {
    return parseChallenge(await redis.hgetall(keyOf(ref)));
  }
  async function refAt(refKey: string): Promise<ChallengeRef | null> {
    const raw = await redis.get(refKey);
    return raw ? decodeRef(raw) : null;
  }
  async function follow(refKey: string): Promise<Challenge | null> {
    const ref = await refAt(refKey);
    return ref ? load(ref) : null;
  }
  const statusAt = async (ref: ChallengeRef) => parseStatusView(await redis.hmget(keyOf(ref), ...STATUS_VIEW_FIELDS));
  const flatten = (fields: Partial<Challenge>) => Object.entries(fields).flatMap(([k, v]) => [k, String(v)]);

  return {
    async create(c, keepMs) {
      const ref = refOf(c);
      // Lookups first: if the script fails they point at nothing, which reads as an unknown token. They live in
      // two hash slots, so two commands sent together rather than a (cross-slot) MULTI.
      await Promise.all([
        redis.set(keys.tokenRef(c.tokenHash), encodeRef(ref), "PX", keepMs),
        redis.set(keys.handleRef(c.handleHash), encodeRef(ref), "PX", keepMs),
      ]);
      const chPrefix = keys.challenge(c.appId, c.uid, "");
      const cancelled = (await createScript(redis, [keys.pending(c.appId, c.uid), keyOf(ref)], [
        chPrefix, keepMs, c.createdAt, c.id, ...challengeFields(c),
      ])) as string;
      return { cancelledTokenHash: cancelled || null };
    },
    load,
    findByToken: (tokenHash) => follow(keys.tokenRef(tokenHash)),
    refByHandle: (handleHash) => refAt(keys.handleRef(handleHash)),
    async statusByToken(tokenHash) {
      const ref = await refAt(keys.tokenRef(tokenHash));
      return ref ? statusAt(ref) : null;
    },
    async pollByToken(tokenHash) {
      const polled = await pollToken(redis, keys, tokenHash, polls);
      if ("retryAfterMs" in polled) return polled;
      const ref = polled.ref ? decodeRef(polled.ref) : null;
      return { view: ref ? await statusAt(ref) : null };
    },
    refByToken: (tokenHash) => refAt(keys.tokenRef(tokenHash)),
    async pendingOf(appId, uid) {
      const id = await redis.get(keys.pending(appId, uid));
      return id ? load({ appId, uid, challengeId: id }) : null;
    },
    async end(c, to, { now, refuseLate, fields = {} }) {
      return (await endScript(redis, [keyOf(c), keys.pending(c.appId, c.uid)], [
        to, now, refuseLate ? "1" : "0", ...flatten(fields),
      ])) as EndResult;
    },
    async resend(c, now, minIntervalMs, maxSends) {
      const [reason, n] = (await resendScript(redis, [keyOf(c)], [now, minIntervalMs, maxSends])) as [string, number];
      if (reason === "OK") return { ok: true, sendNo: n };
      if (reason === "Wait") return { ok: false, reason, waitMs: n };
      return { ok: false, reason: reason as "Max" };
    },
    async setDelivery(c, state) {
      return parseChallenge(fieldsOf((await setDeliveryScript(redis, [keyOf(c)], [state])) as string[]));
    },
    async update(c, fields) {
      return (await updateScript(redis, [keyOf(c)], flatten(fields))) === 1;
    },
  };
}

export { refOf };
