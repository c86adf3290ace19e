import { JWT } from "google-auth-library";
import { ConfigDeliveryError, TransientDeliveryError } from "../../src/delivery/delivery-errors.js";
import { parseRetryAfter } from "../../src/delivery/retry-after.js";
import type { OutboundGuard } from "../../src/outbound/outbound-guard.js";
import { TokenUriTransporter } from "./fcm-token-transporter.js";

/** The OAuth 2 scope FCM HTTP v1 requires (contract 2.5). */
export const FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging";

/** The fields of a Firebase service-account JSON the token grant needs. */
export interface TokenGrantAccount {
  client_email: string;
  private_key: string;
  token_uri: string;
}

export interface FcmTokenSourceOptions {
  serviceAccount: TokenGrantAccount;
  /** The SSRF guard the token request goes through (token_uri is tenant-supplied). */
  guard: Pick<OutboundGuard, "agentFor">;
  /** Fetch a new token this long before the cached one expires. @default 300000 (Google's own default) */
  refreshBeforeExpiryMs?: number;
  /** Whole token request. @default 10000 */
  timeoutMs?: number;
}

export interface FcmTokenSource {
  /**
   * An access token for FCM: the cached one until shortly before it expires, else a new one from the token_uri;
   * callers that ask while a fetch is in flight share it. `signal` ends this caller's wait, not the shared fetch.
   * Fails with a delivery error (ConfigDeliveryError: the account or token_uri is wrong; TransientDeliveryError:
   * the endpoint is down, throttling, or the wait was aborted).
   */
  accessToken(signal: AbortSignal): Promise<string>;
  /** The cached token if it is not yet due for refresh (as `accessToken` would answer without a fetch), else undefined. */
  fresh(): string | undefined;
  /** Drop the cached token (FCM refused it): the next call fetches a new one. */
  forget(): void;
}

/**
 * The service account's access tokens through google-auth-library's JWT client (the RFC 7523 JWT-bearer grant,
 * RS256, its cache and single-flight refresh), posted to the account's own token_uri with that URL as the
 * assertion's audience, as RFC 7523 §3 asks (the library would put Google's fixed URL there).
 */
export function createFcmTokenSource(o: FcmTokenSourceOptions): FcmTokenSource {
  const { client_email, private_key, token_uri } = o.serviceAccount;
  const tokenUri = parseTokenUri(token_uri);
  const newClient = (uri: URL) =>
    new JWT({
      email: client_email,
      key: private_key,
      scopes: [FCM_SCOPE],
      additionalClaims: { aud: token_uri },
      eagerRefreshThresholdMillis: refreshBeforeExpiryMs,
      transporter: new TokenUriTransporter(uri, o.guard, o.timeoutMs ?? 10_000),
    });
  const refreshBeforeExpiryMs = o.refreshBeforeExpiryMs ?? 5 * 60_000;
  let client = tokenUri && newClient(tokenUri);

  return {
    async accessToken(signal) {
      if (!client) throw new ConfigDeliveryError("FCM: the service account's token_uri is not an http(s) URL");
      // Past its deadline already: no fetch is started for a send that will not happen.
      if (signal.aborted) throw aborted();
      let token: string | null | undefined;
      try {
        ({ token } = await untilAborted(client.getAccessToken(), signal));
      } catch (err) {
        throw tokenFailure(err);
      }
      if (!token) throw new ConfigDeliveryError("FCM: the service account's token_uri answered no access token");
      return token;
    },
    // Read from the client's own credentials, by the same rule its getAccessToken() uses to skip a fetch.
    fresh() {
      const c = client ? client.credentials : undefined;
      return c?.access_token && typeof c.expiry_date === "number" && Date.now() < c.expiry_date - refreshBeforeExpiryMs ? c.access_token : undefined;
    },
    forget() {
      if (tokenUri) client = newClient(tokenUri);
    },
  };
}

function parseTokenUri(raw: string): URL | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === "https:" || url.protocol === "http:" ? url : undefined;
  } catch {
    return undefined;
  }
}

const aborted = () => new TransientDeliveryError("FCM: aborted while waiting for the access token");

/** `p`, or a TransientDeliveryError as soon as `signal` aborts (the shared fetch goes on for the others). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** What gaxios and node-fetch errors carry, as far as classification needs. */
interface FetchFailure {
  name?: unknown;
  code?: unknown;
  type?: unknown;
  cause?: unknown;
  response?: { status?: unknown; data?: unknown; headers?: { get?: (name: string) => string | null } };
}

/** The error and its causes, outermost first (gaxios wraps node-fetch's error, which wraps the socket's). */
function causes(err: unknown): FetchFailure[] {
  const out: FetchFailure[] = [];
  for (let e = err; typeof e === "object" && e !== null && out.length < 5; e = (e as FetchFailure).cause) out.push(e as FetchFailure);
  return out;
}

/** An OAuth error code as RFC 6749 §5.2 spells them; anything else (a hostile endpoint's text) is not repeated. */
function oauthError(data: unknown): string {
  const code = typeof data === "object" && data !== null ? (data as { error?: unknown }).error : undefined;
  return typeof code === "string" && /^[a-z_]{1,40}$/.test(code) ? ` ${code}` : "";
}

/**
 * A failed token fetch as a delivery error. The message names the HTTP status and OAuth error code only: the
 * endpoint's own text could echo the signed assertion, a credential.
 */
export function tokenFailure(err: unknown): Error {
  if (err instanceof TransientDeliveryError || err instanceof ConfigDeliveryError) return err;
  const chain = causes(err);
  if (chain.some((e) => e.code === "ERR_INTERNAL_ADDRESS")) {
    return new ConfigDeliveryError("FCM: the service account's token_uri is an internal address (refused by the SSRF guard)");
  }
  if (chain.some((e) => e.type === "no-redirect")) {
    return new ConfigDeliveryError("FCM: the service account's token_uri answered a redirect, which is not followed; set the final URL");
  }
  const response = chain.find((e) => typeof e.response?.status === "number")?.response;
  if (response) {
    const status = response.status as number;
    const what = `FCM: the token_uri answered ${status}${oauthError(response.data)}`;
    if (status === 408 || status === 429 || status >= 500) {
      return new TransientDeliveryError(what, { retryAfterMs: parseRetryAfter(response.headers?.get?.("retry-after") ?? undefined, Date.now()) });
    }
    // invalid_grant (wrong or revoked key, unknown account), invalid_client, invalid_scope, a wrong URL: the settings.
    return new ConfigDeliveryError(`${what}; check the service account (ServiceJson)`);
  }
  const networkish = chain.some(
    (e) =>
      e.name === "AbortError" ||
      e.name === "TimeoutError" ||
      e.type === "system" ||
      e.type === "request-timeout" ||
      e.type === "aborted" ||
      (typeof e.code === "string" && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(e.code)),
  );
  if (networkish) {
    const code = chain.map((e) => (typeof e.code === "string" ? e.code : typeof e.name === "string" ? e.name : "")).find((c) => /^[A-Za-z_]+$/.test(c));
    return new TransientDeliveryError(`FCM: the token_uri is unreachable (${code ?? "network error"})`);
  }
  // No answer and no network failure: signing the assertion failed (a private key that does not parse).
  return new ConfigDeliveryError("FCM: the service account's private key cannot sign the token request; check ServiceJson");
}
