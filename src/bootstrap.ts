import { randomBytes } from "node:crypto";
import type { Services } from "./services.js";

export interface BootstrapResult {
  /** In development: the demo app's credentials, to print at every start. */
  demo?: { apiKey: string; apiSecret: string };
}

/**
 * Make sure an app exists: the one named by BOOTSTRAP_API_KEY/SECRET, or in development a demo app with push
 * switched on, when there is no app at all.
 */
export async function bootstrapApps(s: Services): Promise<BootstrapResult> {
  const c = s.config;
  if (c.BOOTSTRAP_API_KEY && c.BOOTSTRAP_API_SECRET) {
    await s.apps.ensure(c.BOOTSTRAP_API_KEY, c.BOOTSTRAP_API_SECRET, "Bootstrap app");
    return {};
  }
  if (!c.isDev) return {};
  // The demo app's secret is kept sealed under the development key so every start can print it again.
  const kept = await s.redis.get(s.keys.devDemoApp());
  if (kept) {
    const { apiKey, secretSealed } = JSON.parse(kept) as { apiKey: string; secretSealed: string };
    if (await s.apps.get(apiKey)) return { demo: { apiKey, apiSecret: s.sealer.open(secretSealed, "dev-demo-app") } };
  }
  if ((await s.apps.list()).length > 0) return {};
  const { app, apiSecret } = await s.apps.create("Demo app");
  await s.redis.set(s.keys.devDemoApp(), JSON.stringify({ apiKey: app.apiKey, secretSealed: s.sealer.seal(apiSecret, "dev-demo-app") }));
  await s.settings.put(app.apiKey, app.name, {
    IsEnabled: true,
    CustomAppName: "Push MFA Demo",
    NotificationService: "Native",
    NativeSettings: { WebhookUrl: `${c.PUBLIC_URL}/demo/inbox`, SigningSecret: randomBytes(24).toString("base64url") },
  });
  return { demo: { apiKey: app.apiKey, apiSecret } };
}
