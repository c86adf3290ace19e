import { createHash } from "node:crypto";
import { ConfigDeliveryError } from "../../src/delivery/delivery-errors.js";
import type { PushProvider } from "../../src/delivery/push-provider.js";

/**
 * Providers kept per app and credentials (select-provider.ts): an SNS client holds a connection pool, FCM an
 * OAuth token shared by the worker's jobs, APNs an HTTP/2 session, so each is made once and let go of only when
 * the app's credentials change or the selector closes.
 */

/** A provider kept per app; some hold connections (APNs' HTTP/2 session) and close them. */
export type KeptProvider = PushProvider & { close?(): unknown };

/** A provider made for an app, and how to let go of it. */
export interface Made<P> {
  provider: P;
  destroy: () => void;
}

/** A made provider with the fingerprint of the credentials it was made from. */
export type Kept<P> = Made<P> & { fingerprint: string };

/** A hash of what a provider is made from (its credentials among them), to tell whether the kept one still fits. */
export const fingerprintOf = (...parts: string[]): string => createHash("sha256").update(parts.join("\n")).digest("hex");

/**
 * The app's provider of one kind for these credentials: the kept one when its fingerprint matches, else a new
 * one made by `make`, which replaces (and destroys) the old.
 */
export function keptFor<P>(byApp: Map<string, Kept<P>>, appId: string, fingerprint: string, make: () => Made<P>): P {
  const cached = byApp.get(appId);
  if (cached?.fingerprint === fingerprint) return cached.provider;
  cached?.destroy();
  const made = make();
  byApp.set(appId, { ...made, fingerprint });
  return made.provider;
}

/** Let go of every kept provider of these maps (the selector is closing). */
export function destroyAllKept(maps: ReadonlyArray<Map<string, { destroy: () => void }>>): void {
  for (const byApp of maps) {
    for (const c of byApp.values()) c.destroy();
    byApp.clear();
  }
}

/**
 * Keep a provider made by `make`, closed when it is replaced or the selector closes. A provider that cannot be
 * made from the app's credentials fails each send as the app's configuration error (1298), the same way a
 * provider that is refused by its service does.
 */
export function closable(name: "fcm" | "apns", make: () => KeptProvider): Made<KeptProvider> {
  let provider: KeptProvider;
  try {
    provider = make();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const failure = err instanceof ConfigDeliveryError ? err : new ConfigDeliveryError(`the ${name} provider could not be set up: ${reason}`);
    return { provider: { name, send: () => Promise.reject(failure) }, destroy: () => undefined };
  }
  return {
    provider,
    destroy: () => {
      // Closing is graceful (sends in flight finish); a failure to close leaves nothing to do.
      void Promise.resolve()
        .then(() => provider.close?.())
        .catch(() => undefined);
    },
  };
}
