import { createHash } from "node:crypto";
import { ConfigDeliveryError } from "../../src/delivery/delivery-errors.js";
import { createOutboundGuard } from "../../src/outbound/outbound-guard.js";
import { parseServiceAccount } from "../../src/settings/native-credentials.js";
import type { PushSettings } from "../../src/settings/push-settings.js";
import { pushRouteOf, type DeliverableRoute, type Platform } from "../../src/settings/push-route.js";
import type { PushProvider } from "../../src/delivery/push-provider.js";
import { createApnsProvider, type ApnsProviderOptions } from "./apns.js";
import { createFcmProvider } from "./fcm.js";
import { createSnsClient, createSnsProvider, type SnsProvider } from "./sns.js";
import { createWebhookProvider } from "./webhook.js";

export interface ProviderOptions {
  /** SNS_ENDPOINT: an SNS-compatible endpoint instead of AWS. */
  snsEndpoint?: string | undefined;
  /** FCM_ENDPOINT: the FCM HTTP v1 base URL. */
  fcmEndpoint: string;
  /** APNS_ENDPOINT: one APNs base URL for every app instead of Apple's (by Environment). */
  apnsEndpoint?: string | undefined;
  /**
   * Trust anchors for the APNs endpoint's TLS certificate instead of Node's: a test's stand-in CA. Never read from
   * the environment (the runtime leaves it unset, so production trusts Apple's certificate through Node's roots);
   * tests pass it through RuntimeOptions, since NODE_EXTRA_CA_CERTS cannot change a running process.
   */
  apnsCa?: string | undefined;
  allowPrivateWebhooks: boolean;
}

/** A device no provider can reach under the app's settings, and why (its platform is not configured). */
export interface Unroutable {
  unroutable: string;
}

export interface ProviderSelector {
  /** The provider of a device's push under the app's settings (contract 1.5 "Where a push goes"). */
  forDevice(appId: string, settings: PushSettings, platform: Platform): PushProvider | Unroutable;
  /** The SNS provider for the app's credentials, for endpoint management. */
  sns(appId: string, settings: PushSettings): SnsProvider;
  close(): void;
}

/** A provider kept per app; some hold connections (APNs' HTTP/2 session) and close them. */
type KeptProvider = PushProvider & { close?(): unknown };

/** A provider made for an app, and how to let go of it. */
interface Made<P> {
  provider: P;
  destroy: () => void;
}

type Kept<P> = Made<P> & { fingerprint: string };

const fingerprintOf = (...parts: string[]) => createHash("sha256").update(parts.join("\n")).digest("hex");

/**
 * Builds providers from an app's settings, keeping one per app and credentials: an SNS client holds a connection
 * pool, FCM an OAuth token shared by the worker's jobs, APNs an HTTP/2 session. A settings change (a new
 * fingerprint of the credentials) closes the old one and makes a new one. Secrets are only in clear here, where
 * they are used.
 */
export function createProviderSelector(options: ProviderOptions): ProviderSelector {
  const snsByApp = new Map<string, Kept<SnsProvider>>();
  const fcmByApp = new Map<string, Kept<KeptProvider>>();
  const apnsByApp = new Map<string, Kept<KeptProvider>>();
  // One guard (and its keep-alive agents) for every webhook send of this process, one for the service accounts'
  // token URLs: both are hosts a tenant chose (contract 2.3).
  const webhookGuard = createOutboundGuard({ allowPrivate: options.allowPrivateWebhooks });
  const tokenGuard = createOutboundGuard({ allowPrivate: options.allowPrivateWebhooks });

  /** The app's provider of this kind for these credentials: the kept one, or a new one replacing it. */
  function kept<P>(byApp: Map<string, Kept<P>>, appId: string, fingerprint: string, make: () => Made<P>): P {
    const cached = byApp.get(appId);
    if (cached?.fingerprint === fingerprint) return cached.provider;
    cached?.destroy();
    const made = make();
    byApp.set(appId, { ...made, fingerprint });
    return made.provider;
  }

  function sns(appId: string, s: PushSettings): SnsProvider {
    const aws = s.AWSsettings;
    return kept(snsByApp, appId, fingerprintOf(aws.AccessKeyId, aws.SecretAccessKey, aws.Region), () => {
      const client = createSnsClient({
        accessKeyId: aws.AccessKeyId,
        secretAccessKey: aws.SecretAccessKey,
        region: aws.Region || "us-east-1",
        ...(options.snsEndpoint !== undefined && { endpoint: options.snsEndpoint }),
      });
      return { provider: createSnsProvider({ client }), destroy: () => client.destroy() };
    });
  }

  function fcm(appId: string, s: PushSettings): KeptProvider {
    const json = s.AndroidSettings.ServiceJson;
    return kept(fcmByApp, appId, fingerprintOf(json), () =>
      closable("fcm", () => {
        const account = parseServiceAccount(json);
        // Validated when saved; a file that no longer parses is the app's configuration error all the same.
        if (!account.ok) throw new ConfigDeliveryError(`AndroidSettings.ServiceJson ${account.problem}`);
        return createFcmProvider({ serviceAccount: account.value, endpoint: options.fcmEndpoint, guard: tokenGuard });
      }),
    );
  }

  function apns(appId: string, s: PushSettings, auth: "token" | "certificate"): KeptProvider {
    const i = s.IOSsettings;
    const secret = auth === "token" ? `${i.ApnsKey}\n${i.ApnsKeyId}\n${i.ApnsTeamId}` : `${i.ApnsCertificate}\n${i.ApnsCertificatePassword}`;
    // One session per app and environment: another environment or topic is a new session too.
    return kept(apnsByApp, appId, fingerprintOf(auth, secret, i.BundleId, i.Environment), () =>
      closable("apns", () => {
        const apnsOptions: ApnsProviderOptions = {
          bundleId: i.BundleId,
          environment: i.Environment,
          ...(options.apnsEndpoint !== undefined && { endpoint: options.apnsEndpoint }),
          ...(options.apnsCa !== undefined && { ca: options.apnsCa }),
          auth:
            auth === "token"
              ? { kind: "token", key: i.ApnsKey, keyId: i.ApnsKeyId, teamId: i.ApnsTeamId }
              : { kind: "certificate", pfx: Buffer.from(i.ApnsCertificate, "base64"), ...(i.ApnsCertificatePassword && { passphrase: i.ApnsCertificatePassword }) },
        };
        return createApnsProvider(apnsOptions);
      }),
    );
  }

  function provider(appId: string, s: PushSettings, route: DeliverableRoute): PushProvider {
    switch (route.via) {
      case "sns":
        return sns(appId, s);
      case "fcm":
        return fcm(appId, s);
      case "apns":
        return apns(appId, s, route.auth);
      case "webhook":
        return createWebhookProvider({ url: s.NativeSettings.WebhookUrl, signingSecret: s.NativeSettings.SigningSecret, guard: webhookGuard });
    }
  }

  return {
    forDevice(appId, s, platform) {
      const route = pushRouteOf(s, platform);
      return route.via === "none" ? { unroutable: route.reason } : provider(appId, s, route);
    },
    sns,
    close() {
      for (const byApp of [snsByApp, fcmByApp, apnsByApp] as Array<Map<string, { destroy: () => void }>>) {
        for (const c of byApp.values()) c.destroy();
        byApp.clear();
      }
      webhookGuard.destroy();
      tokenGuard.destroy();
    },
  };
}

/**
 * Keep a provider made by `make`, closed when it is replaced or the selector closes. A provider that cannot be
 * made from the app's credentials fails each send as the app's configuration error (1298), the same way a
 * provider that is refused by its service does.
 */
function closable(name: "fcm" | "apns", make: () => KeptProvider): Made<KeptProvider> {
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
