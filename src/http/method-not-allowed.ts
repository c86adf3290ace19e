import type { RequestHandler } from "express";
import { ApiError } from "../errors.js";
import type { Operation } from "./openapi.js";

/**
 * Contract 0: a known path asked with a method it does not answer gets 405, with `Allow` listing the methods it
 * does and the error body (ErrorCode 405). Mounted after every route, before the 404: a request reaching it
 * matched no route. The methods come from the OpenAPI operations list, which a test keeps equal to the routes
 * Express mounts. Paths match case-insensitively, a trailing slash ignored, as the routes do; GET implies HEAD.
 */
export function methodNotAllowed(operations: readonly Operation[]): RequestHandler {
  const byPath = new Map<string, Set<string>>();
  for (const op of operations) {
    let methods = byPath.get(op.path);
    if (!methods) byPath.set(op.path, (methods = new Set()));
    methods.add(op.method.toUpperCase());
    if (op.method === "get") methods.add("HEAD");
  }
  const routes = [...byPath].map(([path, methods]) => ({ pattern: pathPattern(path), methods }));
  const order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
  return (req, res, next) => {
    const allowed = new Set<string>();
    for (const route of routes) if (route.pattern.test(req.path)) route.methods.forEach((m) => allowed.add(m));
    if (allowed.size === 0 || allowed.has(req.method)) {
      next();
      return;
    }
    res.setHeader("Allow", order.filter((m) => allowed.has(m)).join(", "));
    next(new ApiError(405));
  };
}

/** `/a/{id}/b` → /^\/a\/[^/]+\/b\/?$/i */
function pathPattern(path: string): RegExp {
  const body = path
    .split(/(\{\w+\})/)
    .map((part) => (/^\{\w+\}$/.test(part) ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body.replace(/\/$/, "")}/?$`, "i");
}
