/** What the gateway's answers mean to a waiting page: which shapes they have, and which end the wait. */
import type { ErrorBody, LoginResponse, PushApproval, ValidationResponse } from "../shared/wire.js";

/** Codes after which waiting longer cannot help (L4's answers, and a refused handshake). */
const FINAL_CODES = new Set([901, 920, 922, 1103, 1104, 1312]);

/** The contract's 1104, which the client also reports for a challenge that was lost (see `outcomeOf`). */
export const EXPIRED: ErrorBody = {
  Description: "The second factor authentication token has expired, was cancelled by a newer login or a reset, or its login was already completed.",
  ErrorCode: 1104,
  Message: "Two factor authentication token has expired",
  IsProviderError: false,
  ProviderErrorResponse: null,
};

/** True when `v` is the contract's error body. */
export const isErrorBody = (v: unknown): v is ErrorBody =>
  typeof v === "object" && v !== null && typeof (v as { ErrorCode?: unknown }).ErrorCode === "number";

/** True when `v` is a login response (contract 1.2). */
export const isLogin = (v: unknown): v is LoginResponse =>
  typeof v === "object" && v !== null && typeof (v as { access_token?: unknown }).access_token === "string" && "Profile" in v;

/** True when `v` is a step-up's or an own challenge's validation (L12, contract 2.12). */
export const isValidation = (v: unknown): v is ValidationResponse =>
  typeof v === "object" && v !== null && typeof (v as { SecondFactorValidationToken?: unknown }).SecondFactorValidationToken === "string";

/** True when `v` is what an approval gives: a login or a validation. */
export const isApproval = (v: unknown): v is PushApproval => isLogin(v) || isValidation(v);

/** True when waiting longer cannot change this error's answer. */
export const isFinalError = (body: ErrorBody): boolean => FINAL_CODES.has(body.ErrorCode);
