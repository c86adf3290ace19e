import { randomBytes } from "node:crypto";
import { newToken } from "../crypto/tokens.js";
import type { AppRecord } from "../apps/app-store.js";
import type { Services } from "../services.js";

/** What making and finding the admin app touches. */
export type AdminAppDeps = Pick<Services, "apps" | "settings" | "redis" | "keys">;

export const ADMIN_APP_NAME = "Push MFA console";

/**
 * The internal app whose accounts are the console's named admins (contract 2.14), made at first start. Every node
 * may run this at once: the apikey is chosen once (SET NX, the first writer wins), then each node completes what
 * is missing with the same values (the app, its settings), so a node that died half-way is finished by the next.
 * Its apisecret is random and thrown away (no management call can name it: admins sign in with their own
 * password and a push). Push is on, Native with no relay: admins answer with the authenticator app or any
 * enrolled device over the device channel or the signed pull.
 */
export async function ensureAdminApp(deps: AdminAppDeps): Promise<AppRecord> {
  const key = deps.keys.consoleAdminApp();
  await deps.redis.set(key, newToken(), "NX");
  const apiKey = await deps.redis.get(key);
  if (!apiKey) throw new Error("the console admin app's apikey vanished while it was made");
  const app = (await deps.apps.get(apiKey)) ?? (await deps.apps.ensure(apiKey, randomBytes(32).toString("base64url"), ADMIN_APP_NAME, { internal: true }));
  const settings = await deps.settings.get(app.apiKey, app.name);
  if (!settings.IsEnabled) {
    await deps.settings.put(app.apiKey, app.name, {
      IsEnabled: true,
      CustomAppName: ADMIN_APP_NAME,
      NotificationService: "Native",
      NativeSettings: { WebhookUrl: "", SigningSecret: "" },
    });
  }
  return app;
}

/** The admin app, once made (null before the first start of a gateway). */
export async function findAdminApp(deps: Pick<Services, "apps" | "redis" | "keys">): Promise<AppRecord | null> {
  const apiKey = await deps.redis.get(deps.keys.consoleAdminApp());
  if (!apiKey) return null;
  const app = await deps.apps.get(apiKey);
  return app?.internal ? app : null;
}
