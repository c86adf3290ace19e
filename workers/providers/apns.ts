import { ConfigDeliveryError } from "../../src/delivery/delivery-errors.js";
import type { PushProvider } from "../../src/delivery/push-provider.js";

/**
 * PLACEHOLDER (issue 13, engineer A): the interface the provider selector is written against. Engineer C's
 * real APNs provider (HTTP/2) replaces this file at merge.
 */
export interface ApnsProviderOptions {
  bundleId: string;
  environment: "Production" | "Sandbox";
  /** APNS_ENDPOINT, when the operator set one; else Apple's, by `environment`. */
  endpoint?: string;
  auth: { kind: "certificate"; pfx: Buffer; passphrase?: string } | { kind: "token"; key: string; keyId: string; teamId: string };
}

export interface ApnsProvider extends PushProvider {
  /** End the HTTP/2 session. */
  close(): void;
}

/** Placeholder: every app with APNs credentials fails with a configuration error until the real provider is merged. */
export function createApnsProvider(_options: ApnsProviderOptions): ApnsProvider {
  throw new ConfigDeliveryError("the APNs provider is not built yet");
}
