import type { Config } from "../config.js";

/**
 * The URLs a gateway serves, for its start banner: what to open first, and where everything else is. The demo pages
 * only in development (where they are mounted); the queue dashboard only with ADMIN_TOKEN.
 */
export function startUrls(config: Pick<Config, "PUBLIC_URL" | "isDev" | "ADMIN_TOKEN">): Array<{ name: string; url: string; note?: string }> {
  const at = (path: string) => `${config.PUBLIC_URL}${path}`;
  return [
    { name: "Start here", url: at("/") },
    ...(config.isDev ? [{ name: "Demo login", url: at("/demo/") }] : []),
    { name: "Authenticator", url: at("/authenticator/"), ...(config.isDev && { note: "the demo's phone" }) },
    { name: "Console", url: at("/console") },
    { name: "API reference", url: at("/docs"), note: `OpenAPI: ${at("/openapi.json")}` },
    { name: "Health", url: at("/healthz"), note: `ready: ${at("/readyz")}` },
    { name: "Metrics", url: at("/metrics") },
    ...(config.ADMIN_TOKEN ? [{ name: "Queue dashboard", url: at("/admin/queues"), note: "ADMIN_TOKEN" }] : []),
  ];
}

/** The banner as the terminal shows it: one URL a line, names aligned. */
export function startBanner(urls: ReturnType<typeof startUrls>): string {
  const width = Math.max(...urls.map((u) => u.name.length));
  const lines = urls.map((u) => `    ${u.name.padEnd(width)}  ${u.url}${u.note ? `   (${u.note})` : ""}`);
  return `\n  push-mfa-gateway is ready:\n${lines.join("\n")}\n`;
}
