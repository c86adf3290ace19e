import type { Challenge } from "../challenge/challenge.js";
import { pushChallengeValue } from "../challenge/number-matching.js";
import type { Services } from "../services.js";
import type { PushSettings } from "../settings/push-settings.js";
import type { PushData } from "./push-provider.js";

/** What every push of a challenge says, whichever way it travels (SNS, the webhook, the device socket). */
export interface PushContent {
  data: PushData;
  notification: { title: string; body: string };
  /** The challenge's remaining life: no provider may deliver after it. */
  ttlSeconds: number;
}

/** What the notification shows, from the app's settings (contract 1.5): its name as title, `Message` as body. */
export type NotificationText = Pick<PushSettings, "CustomAppName" | "Message">;

/**
 * The data keys of contract 1.4 (the device handle opened here, where it is used) and the notification text.
 */
export function pushContentOf(deps: Pick<Services, "sealer" | "now">, c: Challenge, text: NotificationText): PushContent {
  const challenge = pushChallengeValue(c.numberMode, c.numberOptions);
  return {
    data: {
      secondfactorauthenticationtoken: deps.sealer.open(c.handleSealed, `handle:${c.id}`),
      identifier: c.identifier,
      browser: c.browser,
      location: c.location,
      timestamp: String(Math.floor(c.createdAt / 1000)),
      apikey: c.appId,
      expiresAt: new Date(c.expiresAt).toISOString(),
      ...(challenge !== undefined && { challenge }),
    },
    notification: { title: text.CustomAppName, body: text.Message },
    ttlSeconds: Math.max(1, Math.ceil((c.expiresAt - deps.now()) / 1000)),
  };
}
