import { gaxios } from "google-auth-library";
import type { OutboundGuard } from "../../src/outbound/outbound-guard.js";

/**
 * The HTTP client google-auth-library's JWT client fetches its access token with, made to honour the service
 * account's own `token_uri` (contract 2.5). google-auth-library 10.9.1 posts the JWT-bearer grant to Google's
 * fixed token URL whatever the file says; this transporter sends that one request to `token_uri` instead, and:
 * - through the SSRF guard's agent (the token_uri is tenant-supplied, contract 2.3), so a host that is, or
 *   resolves to, an internal address is refused on the address actually connected to;
 * - without following redirects (a 3xx to an internal address would bypass the guard's intent);
 * - without gaxios's own retries (it retries the token POST three times by default): BullMQ retries the send,
 *   with backoff and inside the challenge's life, so two retry layers would multiply attempts;
 * - with a timeout, since the fetch is shared by every job waiting for the token and no one job's abort may
 *   cancel it.
 */
export class TokenUriTransporter extends gaxios.Gaxios {
  constructor(
    private readonly tokenUri: URL,
    private readonly guard: Pick<OutboundGuard, "agentFor">,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  override request<T>(opts: gaxios.GaxiosOptions): gaxios.GaxiosPromise<T> {
    // The JWT client makes no other request through its transporter; refusing anything else keeps it that way.
    if (opts.method !== "POST") return Promise.reject(new Error("the token transporter only posts the token grant"));
    const { retryConfig: _ignored, ...rest } = opts;
    return super.request<T>({
      ...rest,
      url: this.tokenUri,
      agent: (url: URL) => this.guard.agentFor(url),
      redirect: "error",
      retry: false,
      timeout: this.timeoutMs,
    });
  }
}
