import { ConfigDeliveryError, RejectedMessageError } from "../../src/delivery/delivery-errors.js";
import type { VapidKey } from "../../src/crypto/vapid-key.js";
import { createWebPushProvider } from "./web-push.js";
import { createOutboundGuard, type OutboundGuard } from "../../src/outbound/outbound-guard.js";
import { parseServiceAccount } from "../../src/settings/native-credentials.js";
import type { PushSettings } from "../../src/settings/push-settings.js";
import { routeOfDevice, type DeliverableRoute, type RoutedDevice } from "../../src/settings/push-route.js";
import type { PushProvider } from "../../src/delivery/push-provider.js";
import { createApnsProvider, type ApnsProviderOptions } from "./apns.js";
import { createFcmProvider } from "./fcm.js";
import { closable, destroyAllKept, fingerprintOf, keptFor, type Kept, type KeptProvider, type Made } from "./kept-providers.js";
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
   * Trust anchors for the APNs endpoint instead of Node's built-in ones. Never set from the environment: only
   * tests pass it through RuntimeOptions, since NODE_EXTRA_CA_CERTS cannot change a running process.
   */
  apnsCa?: string | undefined;
  allowPrivateWebhooks: boolean;
  /** Web Push (contract 2.7): the deployment's VAPID key and `sub`. Absent: a web device's push is refused (a dead letter). */
  webPush?: { vapid: () => Promise<VapidKey>; subject: string } | undefined;
  /** Trust anchors for Web Push endpoints instead of Node's (tests' local push service only, as `apnsCa`). */
  webPushCa?: string | undefined;
}

/** A device no provider can reach under the app's settings, and why (its platform is not configured). */
export interface Unroutable {
  unroutable: string;
}

/** A `web` device without a push subscription: no provider is meant to reach it (the device channel and the pull do). */
export interface PullsOnly {
  pullsOnly: true;
}

export interface ProviderSelector {
  /** The provider of a device's push under the app's settings (contract 1.5 "Where a push goes"). */
  forDevice(appId: string, settings: PushSettings, device: RoutedDevice): PushProvider | Unroutable | PullsOnly;
  /** The SNS provider for the app's credentials, for endpoint management. */
  sns(appId: string, settings: PushSettings): SnsProvider;
  close(): void;
}

/** What one selector holds: a provider per app and kind, and the guards of the hosts tenants chose. */
interface Selection {
  options: ProviderOptions;
  snsByApp: Map<string, Kept<SnsProvider>>;
  fcmByApp: Map<string, Kept<KeptProvider>>;
  apnsByApp: Map<string, Kept<KeptProvider>>;
  /** For every webhook send of this process (one set of keep-alive agents). */
  webhookGuard: OutboundGuard;
  /** For the service accounts' token URLs. */
  tokenGuard: OutboundGuard;
  /** For Web Push endpoints (browsers' push services); https only. */
  webPushGuard: OutboundGuard;
  /** One Web Push provider for every app: its key is the deployment's, not an app's. */
  webPush: PushProvider;
}

type ApnsAuthKind = Extract<DeliverableRoute, { via: "apns" }>["auth"];

/**
 * Builds providers from an app's settings, keeping one per app and credentials: an SNS client holds a connection
 * pool, FCM an OAuth token shared by the worker's jobs, APNs an HTTP/2 session. A settings change (a new
 * fingerprint of the credentials) closes the old one and makes a new one. Secrets are only in clear here, where
 * they are used.
 */
export function createProviderSelector(options: ProviderOptions): ProviderSelector {
  const selection: Selection = {
    options,
    snsByApp: new Map(),
    fcmByApp: new Map(),
    apnsByApp: new Map(),
    // Webhook URLs and token URLs are both hosts a tenant chose (contract 2.3).
    webhookGuard: createOutboundGuard({ allowPrivate: options.allowPrivateWebhooks }),
    tokenGuard: createOutboundGuard({ allowPrivate: options.allowPrivateWebhooks }),
    // Push endpoints come from the users' browsers: held to the same rule (contract 2.3).
    webPushGuard: createOutboundGuard({ allowPrivate: options.allowPrivateWebhooks }, options.webPushCa !== undefined ? { ca: options.webPushCa } : {}),
    webPush: noWebPush,
  };
  if (options.webPush) selection.webPush = createWebPushProvider({ ...options.webPush, guard: selection.webPushGuard });
  return {
    forDevice(appId, s, device) {
      const route = routeOfDevice(s, device);
      if (route.via === "none") return { unroutable: route.reason };
      if (route.via === "device-channel") return { pullsOnly: true };
      return providerOfRoute(selection, appId, s, route);
    },
    sns: (appId, s) => snsOf(selection, appId, s),
    close: () => closeSelection(selection),
  };
}

/** The provider a deliverable route names, for this app. */
function providerOfRoute(sel: Selection, appId: string, s: PushSettings, route: DeliverableRoute): PushProvider {
  switch (route.via) {
    case "sns":
      return snsOf(sel, appId, s);
    case "fcm":
      return fcmOf(sel, appId, s);
    case "apns":
      return apnsOf(sel, appId, s, route.auth);
    case "webhook":
      return createWebhookProvider({ url: s.NativeSettings.WebhookUrl, signingSecret: s.NativeSettings.SigningSecret, guard: sel.webhookGuard });
    case "webpush":
      return sel.webPush;
  }
}

/** A selector built without VAPID (some tests): a web device's push fails as a dead letter, marking nothing. */
const noWebPush: PushProvider = {
  name: "webpush",
  send: () => Promise.reject(new RejectedMessageError("Web Push is not set up in this process (no VAPID key)")),
};

/** The app's SNS provider for its AWS credentials. */
function snsOf(sel: Selection, appId: string, s: PushSettings): SnsProvider {
  const aws = s.AWSsettings;
  return keptFor(sel.snsByApp, appId, fingerprintOf(aws.AccessKeyId, aws.SecretAccessKey, aws.Region), () =>
    makeSnsProvider(aws, sel.options.snsEndpoint),
  );
}

/** An SNS client for these credentials (AWS's us-east-1 when no Region is set), and the provider over it. */
function makeSnsProvider(aws: PushSettings["AWSsettings"], endpoint: string | undefined): Made<SnsProvider> {
  const client = createSnsClient({
    accessKeyId: aws.AccessKeyId,
    secretAccessKey: aws.SecretAccessKey,
    region: aws.Region || "us-east-1",
    ...(endpoint !== undefined && { endpoint }),
  });
  return { provider: createSnsProvider({ client }), destroy: () => client.destroy() };
}

/** The app's FCM provider for its service account. */
function fcmOf(sel: Selection, appId: string, s: PushSettings): KeptProvider {
  const json = s.AndroidSettings.ServiceJson;
  return keptFor(sel.fcmByApp, appId, fingerprintOf(json), () => closable("fcm", () => makeFcmProvider(sel, json)));
}

/** The FCM provider of a service account file; throws the app's configuration error when the file is unusable. */
function makeFcmProvider(sel: Pick<Selection, "options" | "tokenGuard">, json: string): KeptProvider {
  const account = parseServiceAccount(json);
  // Validated when saved; a file that no longer parses is the app's configuration error all the same.
  if (!account.ok) throw new ConfigDeliveryError(`AndroidSettings.ServiceJson ${account.problem}`);
  return createFcmProvider({ serviceAccount: account.value, endpoint: sel.options.fcmEndpoint, guard: sel.tokenGuard });
}

/** The app's APNs provider for its key or certificate. */
function apnsOf(sel: Selection, appId: string, s: PushSettings, auth: ApnsAuthKind): KeptProvider {
  const i = s.IOSsettings;
  const secret = auth === "token" ? `${i.ApnsKey}\n${i.ApnsKeyId}\n${i.ApnsTeamId}` : `${i.ApnsCertificate}\n${i.ApnsCertificatePassword}`;
  // One session per app and environment: another environment or topic is a new session too.
  return keptFor(sel.apnsByApp, appId, fingerprintOf(auth, secret, i.BundleId, i.Environment), () =>
    closable("apns", () => createApnsProvider(apnsOptionsOf(sel.options, i, auth))),
  );
}

/** The APNs provider's options from the app's iOS settings: token authentication or its certificate. */
function apnsOptionsOf(options: ProviderOptions, i: PushSettings["IOSsettings"], auth: ApnsAuthKind): ApnsProviderOptions {
  return {
    bundleId: i.BundleId,
    environment: i.Environment,
    ...(options.apnsEndpoint !== undefined && { endpoint: options.apnsEndpoint }),
    ...(options.apnsCa !== undefined && { ca: options.apnsCa }),
    auth:
      auth === "token"
        ? { kind: "token", key: i.ApnsKey, keyId: i.ApnsKeyId, teamId: i.ApnsTeamId }
        : { kind: "certificate", pfx: Buffer.from(i.ApnsCertificate, "base64"), ...(i.ApnsCertificatePassword && { passphrase: i.ApnsCertificatePassword }) },
  };
}

/** Let go of every kept provider and the guards' agents. */
function closeSelection(sel: Selection): void {
  destroyAllKept([sel.snsByApp, sel.fcmByApp, sel.apnsByApp]);
  sel.webhookGuard.destroy();
  sel.tokenGuard.destroy();
  sel.webPushGuard.destroy();
}
