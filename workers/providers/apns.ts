import { createSecureContext, type SecureContext } from "node:tls";
import { ConfigDeliveryError, TransientDeliveryError } from "../../src/delivery/delivery-errors.js";
import { deadline } from "../../src/delivery/deadline.js";
import type { PushMessage, PushProvider } from "../../src/delivery/push-provider.js";
import { deliveryErrorOf, EXPIRED_PROVIDER_TOKEN, reasonOf } from "./apns-answer.js";
import { apnsRequestFor, type ApnsRequest } from "./apns-request.js";
import { ApnsTransportError, createApnsSession, type ApnsAnswer } from "./apns-session.js";
import { createApnsProviderTokens, type ApnsProviderTokens } from "./apns-token.js";

/** Apple's provider API hosts (contract 2.6), used unless APNS_ENDPOINT names another. */
export const APNS_ENDPOINTS = {
  Production: "https://api.push.apple.com",
  Sandbox: "https://api.sandbox.push.apple.com",
} as const;

export type ApnsAuth =
  | { kind: "certificate"; pfx: Buffer; passphrase?: string }
  | { kind: "token"; key: string; keyId: string; teamId: string };

export interface ApnsProviderOptions {
  /** The app's BundleId: every push's `apns-topic`. */
  bundleId: string;
  environment: "Production" | "Sandbox";
  /** APNS_ENDPOINT: the operator's override of Apple's host (a local stand-in in tests). */
  endpoint?: string | undefined;
  auth: ApnsAuth;
  /** Trust anchors for the endpoint's certificate instead of Node's (tests' stand-in CA only). */
  ca?: string | Buffer;
  /** Whole-request timeout, connection included. @default 10000 */
  requestTimeoutMs?: number;
  /** How often the idle connection is checked with a PING. @default 60000 */
  pingIntervalMs?: number;
  now?: () => number;
}

/** The APNs provider: `send` as every provider, and `close` to end its HTTP/2 connection. */
export type ApnsProvider = PushProvider & { close(): void };

/**
 * Why a PKCS#12 file did not open, in words a tenant can act on. Node 20's OpenSSL 3 opens AES and 3DES PKCS#12
 * files, not RC2 ones (`openssl pkcs12 -legacy`, older Keychain exports) without its legacy provider.
 */
function certificateProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/mac verify failure/i.test(message)) return "ApnsCertificate does not open with ApnsCertificatePassword (wrong password?)";
  if (/unsupported/i.test(message)) {
    return "ApnsCertificate uses a legacy PKCS#12 encryption (RC2) this server's OpenSSL 3 does not open: re-export it with AES (openssl pkcs12 -export without -legacy)";
  }
  return "ApnsCertificate does not open as a PKCS#12 file holding a key and a certificate";
}

/**
 * TLS alerts by which a server refuses the client's certificate (expired, revoked, unknown issuer, none sent):
 * with APNs, the app's ApnsCertificate is at fault, and every push fails alike until it is replaced.
 */
const CLIENT_CERTIFICATE_REFUSED =
  /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|CERTIFICATE_UNKNOWN|CERTIFICATE_REQUIRED|UNKNOWN_CA|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)$/;

/**
 * The APNs provider of contract 2.6 over `node:http2` directly: one long-lived connection per provider (that is,
 * per app, credentials and environment; the selector keeps one provider per app), with the TLS client certificate
 * of a PKCS#12 file or an ES256 provider token reused for 40 minutes. Answers are classified by apns-answer.ts;
 * an ExpiredProviderToken is answered by signing a new token and trying once more. The abort signal cancels the
 * stream (HTTP/2 RST_STREAM CANCEL), leaving the connection to other pushes.
 *
 * Building it never throws: credentials that do not open are reported by `send` as ConfigDeliveryError.
 */
export function createApnsProvider(o: ApnsProviderOptions): ApnsProvider {
  const now = o.now ?? Date.now;
  const timeoutMs = o.requestTimeoutMs ?? 10_000;
  const origin = o.endpoint || APNS_ENDPOINTS[o.environment];
  const auth = o.auth;
  const tokens: ApnsProviderTokens | undefined = auth.kind === "token" ? createApnsProviderTokens(auth, now) : undefined;

  let context: SecureContext | ConfigDeliveryError | undefined;
  /** The TLS context, made once: the push certificate (if any) and the test CA (if given). */
  function secureContext(): SecureContext | undefined {
    if (context instanceof ConfigDeliveryError) throw context;
    if (context) return context;
    if (auth.kind !== "certificate" && o.ca === undefined) return undefined;
    try {
      context = createSecureContext({
        ...(auth.kind === "certificate" && { pfx: auth.pfx, ...(auth.passphrase !== undefined && { passphrase: auth.passphrase }) }),
        ...(o.ca !== undefined && { ca: o.ca }),
      });
    } catch (err) {
      context = new ConfigDeliveryError(certificateProblem(err));
      throw context;
    }
    return context;
  }

  const session = createApnsSession({ origin, secureContext, ...(o.pingIntervalMs !== undefined && { pingIntervalMs: o.pingIntervalMs }) });

  async function post(req: ApnsRequest, jwt: string | undefined, signal: AbortSignal): Promise<ApnsAnswer> {
    const headers = jwt === undefined ? req.headers : { ...req.headers, authorization: `bearer ${jwt}` };
    try {
      return await session.post(req.path, headers, req.body, signal);
    } catch (err) {
      if (err instanceof ConfigDeliveryError) throw err;
      if (err instanceof ApnsTransportError && CLIENT_CERTIFICATE_REFUSED.test(err.code)) {
        throw new ConfigDeliveryError(`APNs refused the TLS client certificate (${err.code}): check that ApnsCertificate is valid, not expired or revoked, and for this Environment`);
      }
      if (err instanceof ApnsTransportError) throw new TransientDeliveryError(`APNs: ${err.message}`);
      throw new TransientDeliveryError(`APNs unreachable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).name}`);
    }
  }

  async function currentToken(): Promise<string | undefined> {
    return tokens?.current();
  }

  return {
    name: "apns",

    async send(m: PushMessage, signal: AbortSignal): Promise<void> {
      const req = apnsRequestFor(m, o.bundleId, now());
      // The caller's signal or this provider's timeout, over both tries.
      const end = deadline(signal, timeoutMs);
      let answer: ApnsAnswer;
      try {
        let jwt = await currentToken();
        answer = await post(req, jwt, end.signal);
        if (tokens && jwt !== undefined && answer.status === 403 && reasonOf(answer) === EXPIRED_PROVIDER_TOKEN) {
          // Apple's clock says the token is over an hour old (ours may be behind): a new one, once.
          tokens.expired(jwt);
          jwt = await currentToken();
          answer = await post(req, jwt, end.signal);
        }
      } finally {
        end.clear();
      }
      const error = deliveryErrorOf(answer, now());
      if (error) throw error;
    },

    close() {
      session.close();
    },
  };
}
