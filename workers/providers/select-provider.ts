import { createHash } from "node:crypto";
import { createOutboundGuard } from "../../src/outbound/outbound-guard.js";
import type { PushSettings } from "../../src/settings/push-settings.js";
import type { PushProvider } from "../../src/delivery/push-provider.js";
import { createSnsClient, createSnsProvider, type SnsProvider } from "./sns.js";
import { createWebhookProvider } from "./webhook.js";

export interface ProviderOptions {
  /** SNS_ENDPOINT: an SNS-compatible endpoint instead of AWS. */
  snsEndpoint?: string | undefined;
  allowPrivateWebhooks: boolean;
}

export interface ProviderSelector {
  /** The provider the app's settings name (SNS or the customer's webhook). */
  forSettings(appId: string, settings: PushSettings): PushProvider;
  /** The SNS provider for the app's credentials, for endpoint management. */
  sns(appId: string, settings: PushSettings): SnsProvider;
  close(): void;
}

/**
 * Builds providers from an app's settings, keeping one SNS client per app and credentials (a client holds a
 * connection pool); a settings change makes a new one. Secrets are only in clear here, where they are used.
 */
export function createProviderSelector(options: ProviderOptions): ProviderSelector {
  const snsByApp = new Map<string, { fingerprint: string; provider: SnsProvider; destroy: () => void }>();
  // One guard (and its keep-alive agents) for every webhook send of this process.
  const webhookGuard = createOutboundGuard({ allowPrivate: options.allowPrivateWebhooks });

  function sns(appId: string, settings: PushSettings): SnsProvider {
    const aws = settings.AWSsettings;
    const fingerprint = createHash("sha256").update(`${aws.AccessKeyId}\n${aws.SecretAccessKey}\n${aws.Region}`).digest("hex");
    const cached = snsByApp.get(appId);
    if (cached?.fingerprint === fingerprint) return cached.provider;
    cached?.destroy();
    const client = createSnsClient({
      accessKeyId: aws.AccessKeyId,
      secretAccessKey: aws.SecretAccessKey,
      region: aws.Region || "us-east-1",
      ...(options.snsEndpoint !== undefined && { endpoint: options.snsEndpoint }),
    });
    const provider = createSnsProvider({ client });
    snsByApp.set(appId, { fingerprint, provider, destroy: () => client.destroy() });
    return provider;
  }

  return {
    forSettings(appId, settings) {
      if (settings.NotificationService === "AWS") return sns(appId, settings);
      return createWebhookProvider({
        url: settings.NativeSettings.WebhookUrl,
        signingSecret: settings.NativeSettings.SigningSecret,
        guard: webhookGuard,
      });
    },
    sns,
    close() {
      for (const c of snsByApp.values()) c.destroy();
      snsByApp.clear();
      webhookGuard.destroy();
    },
  };
}
