import type { RequestHandler } from "express";
import helmet from "helmet";

/**
 * Security headers, two sets. Pages (HTML and their scripts) get helmet's full defaults; their routers tighten
 * the CSP further. Everything else is a JSON API answer, which gets what OWASP's REST cheat sheet asks of one:
 * never cached (answers carry tokens), never sniffed, framed or given a referrer, and HSTS. The document-only
 * headers (COOP, Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options, X-XSS-Protection…) would be
 * bytes on every poll and answer that protect nothing in a JSON body.
 */
export function securityHeaders(pagePrefixes: readonly string[]): RequestHandler {
  const pages = helmet();
  const api = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    xFrameOptions: { action: "deny" },
  });
  const prefixes = pagePrefixes.map((p) => p.toLowerCase());
  const isPage = (path: string) => {
    const lower = path.toLowerCase();
    return prefixes.some((p) => lower === p || lower.startsWith(`${p}/`));
  };
  return (req, res, next) => {
    if (isPage(req.path)) return pages(req, res, next);
    res.setHeader("Cache-Control", "no-store");
    api(req, res, next);
  };
}
