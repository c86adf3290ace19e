import type { Request } from "express";
import { ApiError } from "../errors.js";

/** What body-parser's error types mean for the client. */
const DESCRIPTIONS: Record<string, string> = {
  "entity.too.large": "The request body is too large.",
  "encoding.unsupported": "The request body's Content-Encoding is not supported: send it uncompressed, or as gzip, deflate or br.",
  "charset.unsupported": "The request body's charset is not supported: send UTF-8.",
  "entity.parse.failed": "The request body is not valid JSON.",
};

/**
 * A body that could not be read is the client's doing: 400 965, saying what was wrong. body-parser marks those
 * errors with a 4xx status; most also carry a `type`, but a corrupt gzip, deflate or br stream reaches us as zlib's
 * own error with only the status added (taken for ours, it answered 500). Undefined for anything else, body-parser's
 * own 5xx failures included.
 */
export function bodyErrorOf(req: Pick<Request, "headers">, err: unknown): ApiError | undefined {
  const e = err as { type?: unknown; status?: unknown } | null;
  if (typeof e?.status !== "number" || e.status < 400 || e.status >= 500) return undefined;
  if (typeof e.type === "string") return new ApiError(965, { description: DESCRIPTIONS[e.type] ?? "The request body could not be read." });
  // Without a type, only decompression fails (the router's own 4xx, a bad path parameter, is told apart before).
  const encoding = (req.headers["content-encoding"] ?? "identity").toLowerCase();
  return new ApiError(965, {
    description: encoding === "identity" ? "The request body could not be read." : "The request body is not valid data of its Content-Encoding (gzip, deflate or br).",
  });
}
