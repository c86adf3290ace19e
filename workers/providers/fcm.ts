import { ConfigDeliveryError } from "../../src/delivery/delivery-errors.js";
import type { PushProvider } from "../../src/delivery/push-provider.js";
import type { OutboundGuard } from "../../src/outbound/outbound-guard.js";
import type { ServiceAccount } from "../../src/settings/native-credentials.js";

/**
 * PLACEHOLDER (issue 13, engineer A): the interface the provider selector is written against. Engineer B's
 * real FCM HTTP v1 provider replaces this file at merge.
 */
export interface FcmProviderOptions {
  /** The app's parsed `AndroidSettings.ServiceJson`. */
  serviceAccount: ServiceAccount;
  /** FCM_ENDPOINT (the operator's, trusted). */
  endpoint: string;
  /** The SSRF guard for the service account's `token_uri` (a tenant-supplied host). */
  guard: OutboundGuard;
}

/** Placeholder: every app with `ServiceJson` fails with a configuration error until the real provider is merged. */
export function createFcmProvider(_options: FcmProviderOptions): PushProvider {
  throw new ConfigDeliveryError("the FCM provider is not built yet");
}
