import { errorBody, type ErrorBody } from "../errors.js";
import type { Challenge, ChallengeStatus, DeliveryState } from "../challenge/challenge.js";
import { approvesWithLogin, type ApprovalResponse, type LoginResponse, type ValidationResponse } from "../challenge/login-response.js";
import { pageStatusError } from "../challenge/status-errors.js";

/** The one realtime event of contract 2.1. */
export const STATUS_EVENT = "push:status";

export interface PushStatus {
  Status: ChallengeStatus;
  Delivery?: { State: DeliveryState; Devices: number };
  ExpireIn: string;
  Number?: string;
  Login?: LoginResponse;
  /** (ext) When a step-up (L12) or a backend's own challenge (contract 2.12) is Approved, in place of `Login`. */
  Validation?: ValidationResponse;
  Error?: ErrorBody;
  /** (ext) When the phone's answer was recorded, for Approved and Denied: lets a page show how long the news took. */
  AnsweredAt?: string;
}

/**
 * What a waiting page is told about a challenge. `now` decides whether a pending challenge past its deadline
 * already reads as Expired (the expiry job may be a few milliseconds behind).
 */
export function statusOf(c: Challenge, approval: ApprovalResponse | null, now: number): PushStatus {
  const status: ChallengeStatus = c.status === "Pending" && now >= c.expiresAt ? "Expired" : c.status;
  const out: PushStatus = { Status: status, ExpireIn: new Date(c.expiresAt).toISOString() };
  if (c.delivery) out.Delivery = { State: c.delivery, Devices: c.deviceCount };
  if (c.number && status === "Pending") out.Number = c.number;
  if (status === "Approved" && approval) {
    if (approvesWithLogin(c.kind)) out.Login = approval as LoginResponse;
    else out.Validation = approval as ValidationResponse;
  }
  const error = pageStatusError(status);
  if (error !== undefined) out.Error = errorBody(error);
  if ((status === "Approved" || status === "Denied") && c.endedAt > 0) out.AnsweredAt = new Date(c.endedAt).toISOString();
  return out;
}

const FINAL_STATUSES: ReadonlySet<string> = new Set<ChallengeStatus>(["Approved", "Denied", "Expired", "Cancelled"]);

/**
 * Whether a `push:status` payload, as it leaves for a page (built on this node, another node or a worker), tells
 * the challenge's final state: nothing will follow it.
 */
export function isFinalStatus(payload: unknown): boolean {
  const status = typeof payload === "object" && payload !== null ? (payload as { Status?: unknown }).Status : undefined;
  return typeof status === "string" && FINAL_STATUSES.has(status);
}
