import type { Request, RequestHandler } from "express";
import { canonicalAddress, inRanges } from "./address-ranges.js";
import { setOriginAddress } from "./client-address.js";
import { hasManagementCredential, requireAppWithSecret, type ManagementDeps } from "./credentials.js";

/**
 * Contract 1.6: LoginRadius's server SDKs send the end user's address as `X-Origin-IP`. It is believed when the
 * request comes from an address in TRUSTED_ORIGIN_IP_SOURCES, or carries a valid management credential of its app
 * (apisecret, request signature, management bearer); otherwise, and when it is not a valid IP address, it is
 * ignored. A failed credential here is the route's failure too (one check per request, shared), never a new one.
 */
export function originAddress(deps: ManagementDeps): RequestHandler {
  // Synchronous unless the header is there: the hot paths (polls, answers) pay nothing for it.
  return (req, _res, next) => {
    const header = req.headers["x-origin-ip"];
    const origin = typeof header === "string" ? canonicalAddress(header) : null;
    if (!origin) return next();
    return trusted(deps, req).then((ok) => {
      if (ok) setOriginAddress(req, origin);
      next();
    });
  };
}

/** Never rejects: a credential that fails here is not believed, and the route (if it needs one) answers the failure. */
async function trusted(deps: ManagementDeps, req: Request): Promise<boolean> {
  if (inRanges(req.ip ?? "", deps.config.TRUSTED_ORIGIN_IP_SOURCES)) return true;
  if (!hasManagementCredential(req)) return false;
  return requireAppWithSecret(deps, req).then(() => true, () => false);
}
