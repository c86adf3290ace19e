import type { Request } from "express";
import type { z } from "zod";
import { ApiError, type ErrorCode } from "../errors.js";
import { describeFieldErrors, fieldErrorsOf } from "../validation.js";

/**
 * Reading what a LoginRadius client sends: query and header names case-insensitively (the Node SDK sends
 * `apiKey` and `X-LoginRadius-apiSecret`), bodies through a schema. A repeated or non-string parameter is a
 * malformed one, never a crash. Names matching case-insensitively are one parameter, so `apikey=A&APIKEY=B` is
 * given twice too: taking either one would let a proxy or WAF that reads the other see a different request.
 */
export function queryParam(req: Request, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const given = Object.entries(queryOf(req)).filter(([k]) => k.toLowerCase() === wanted).map(([, v]) => v);
  if (given.length === 0) return undefined;
  const [only] = given;
  if (given.length === 1 && typeof only === "string") return only;
  throw new ApiError(908, { fields: [{ FieldName: name, ErrorMessage: "must be given once, as text" }] });
}

/** Express 5 parses the query string again on every read of `req.query`: parse it once per request. */
const parsedQueries = new WeakMap<Request, Record<string, unknown>>();
function queryOf(req: Request): Record<string, unknown> {
  let q = parsedQueries.get(req);
  if (!q) parsedQueries.set(req, (q = req.query as Record<string, unknown>));
  return q;
}

/** Header first, then query: how LoginRadius accepts credentials. Node lowercases header names already. */
export function credential(req: Request, header: string, query: string): string | undefined {
  const h = req.headers[header.toLowerCase()];
  if (typeof h === "string" && h !== "") return h;
  return queryParam(req, query) || undefined;
}

/**
 * Parse a JSON body (or the query, with 908) with a schema; when it does not fit, the error lists each field with
 * its problem in a sentence (validation.ts), and its description says them all.
 */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, code: ErrorCode = 965): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  if (code === 965 && (body === undefined || typeof body !== "object" || body === null || Array.isArray(body))) {
    throw new ApiError(965, { description: "The request body is missing or is not a JSON object: send one as JSON (Content-Type: application/json)." });
  }
  const fields = fieldErrorsOf(parsed.error);
  const what = code === 965 ? "The request body" : "A parameter";
  throw new ApiError(code, { fields, description: `${what} is not valid: ${describeFieldErrors(fields)}` });
}
