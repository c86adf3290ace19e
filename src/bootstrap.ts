import { randomBytes } from "node:crypto";
import type { Services } from "./services.js";
import { ensureAdminApp } from "./console/admin-app.js";

export interface BootstrapResult {
  /** In development: the demo app's credentials, to print at every start. */
  demo?: { apiKey: string; apiSecret: string };
}

/** What the bootstrap reads and writes: the apps and their settings, and the demo app's sealed credentials. */
export type BootstrapDeps = Pick<Services, "config" | "apps" | "settings" | "redis" | "keys" | "sealer">;

/**
 * Make sure the console admins' internal app exists (contract 2.14), and a tenant app: the one named by
 * BOOTSTRAP_API_KEY/SECRET, or in development a demo app with push switched on, when there is no app at all.
 */
export async function bootstrapApps(deps: BootstrapDeps): Promise<BootstrapResult> {
  await ensureAdminApp(deps);
  return bootstrapTenantApp(deps);
}

async function bootstrapTenantApp(deps: BootstrapDeps): Promise<BootstrapResult> {
  const config = deps.config;
  if (config.BOOTSTRAP_API_KEY && config.BOOTSTRAP_API_SECRET) {
    await deps.apps.ensure(config.BOOTSTRAP_API_KEY, config.BOOTSTRAP_API_SECRET, "Bootstrap app");
    return {};
  }
  if (!config.isDev) return {};
  // The demo app's secret is kept sealed under the development key so every start can print it again.
  const kept = await deps.redis.get(deps.keys.devDemoApp());
  if (kept) {
    const { apiKey, secretSealed } = JSON.parse(kept) as { apiKey: string; secretSealed: string };
    if (await deps.apps.get(apiKey)) return { demo: { apiKey, apiSecret: deps.sealer.open(secretSealed, "dev-demo-app") } };
  }
  if ((await deps.apps.list()).length > 0) return {};
  const { app, apiSecret } = await deps.apps.create("Demo app");
  await deps.redis.set(deps.keys.devDemoApp(), JSON.stringify({ apiKey: app.apiKey, secretSealed: deps.sealer.seal(apiSecret, "dev-demo-app") }));
  await deps.settings.put(app.apiKey, app.name, {
    IsEnabled: true,
    CustomAppName: "Push MFA Demo",
    NotificationService: "Native",
    NativeSettings: { WebhookUrl: `${config.PUBLIC_URL}/demo/inbox`, SigningSecret: randomBytes(24).toString("base64url") },
  });
  return { demo: { apiKey: app.apiKey, apiSecret } };
}
