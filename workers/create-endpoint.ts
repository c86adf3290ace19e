import { UnrecoverableError, type Job } from "bullmq";
import type { Device } from "../src/devices/device-store.js";
import type { CreateEndpointJob } from "../src/delivery/queues.js";
import type { PushSettings } from "../src/settings/push-settings.js";
import type { Services } from "../src/services.js";
import { isFinal, markFailure, type MarkFailureDeps } from "./mark-failure.js";
import { ConfigDeliveryError } from "../src/delivery/delivery-errors.js";
import type { ProviderSelector } from "./providers/select-provider.js";

/** The settings of the device's platform (Android or iOS). */
export const platformOf = (settings: PushSettings, type: Device["type"]) =>
  type === "ios" ? settings.IOSsettings : settings.AndroidSettings;

/** What making an endpoint touches: the device record (its push token, the endpoint kept with it) and the queue. */
export type EnsureEndpointDeps = Pick<Services, "devices" | "queues">;

/**
 * Make sure the device has an SNS platform endpoint under the PlatformARN the settings name now: made once
 * (at enrollment by the job below, or before the first push when that job has not run), kept with the device,
 * made again when the PlatformARN changed. CreatePlatformEndpoint is idempotent for one token, so the enrollment
 * job and a first push racing get the same ARN. Returns null when a reset removed the device meanwhile.
 */
export async function ensureEndpoint(deps: EnsureEndpointDeps, providers: ProviderSelector, appId: string, uid: string, device: Device, settings: PushSettings): Promise<Device | null> {
  const platformArn = platformOf(settings, device.type).PlatformARN;
  if (!platformArn) throw new ConfigDeliveryError(`no PlatformARN for ${device.type} in the app's settings`);
  // Devices enrolled before the PlatformARN was recorded keep their endpoint.
  if (device.endpointArn && (device.endpointPlatformArn ?? platformArn) === platformArn) return device;
  const endpointArn = await providers.sns(appId, settings).createEndpoint(platformArn, deps.devices.openToken(appId, uid, device));
  const fields = { endpointArn, endpointPlatformArn: platformArn };
  const stale = device.endpointArn && device.endpointArn !== endpointArn ? [{ appId, endpointArn: device.endpointArn }] : [];
  if (!(await deps.devices.patch(appId, uid, device.id, fields))) {
    // A reset removed the device while its endpoint was being made: leave no endpoint behind.
    await deps.queues.enqueueEndpointDeletions([...stale, { appId, endpointArn }]);
    return null;
  }
  await deps.queues.enqueueEndpointDeletions(stale);
  return { ...device, ...fields };
}

export type CreateEndpointOutcome =
  | "endpoint ready"
  | "skipped: device gone"
  | "skipped: app gone"
  | "skipped: not on AWS SNS"
  | "skipped: platform switched off"
  | "skipped: web device";

/** What the job reads beyond ensureEndpoint's needs: the app and its settings; a failure is marked (markFailure). */
export type CreateEndpointDeps = EnsureEndpointDeps & MarkFailureDeps & Pick<Services, "apps" | "settings">;

/**
 * The "create-endpoint" job queued at enrollment (apps on AWS SNS): the endpoint exists before the first push
 * needs it, and a wrong PlatformARN or bad credentials show (as error 1298) before anyone waits on a login.
 */
export async function createEndpoint(deps: CreateEndpointDeps, providers: ProviderSelector, job: Job<CreateEndpointJob>): Promise<CreateEndpointOutcome> {
  const { appId, uid, deviceId } = job.data;
  const device = await deps.devices.get(appId, uid, deviceId);
  if (!device?.active) return "skipped: device gone";
  // Web devices get Web Push whatever the app's NotificationService (contract 1.5): no SNS endpoint.
  if (device.type === "web") return "skipped: web device";
  const app = await deps.apps.get(appId);
  if (!app) return "skipped: app gone";
  const settings = await deps.settings.get(app.apiKey, app.name);
  if (!settings.IsEnabled || settings.NotificationService !== "AWS") return "skipped: not on AWS SNS";
  if (!platformOf(settings, device.type).Enabled) return "skipped: platform switched off";
  try {
    return (await ensureEndpoint(deps, providers, appId, uid, device, settings)) ? "endpoint ready" : "skipped: device gone";
  } catch (err) {
    await markFailure(deps, { appId, uid, deviceId }, err);
    if (isFinal(err)) throw new UnrecoverableError(err.message);
    throw err;
  }
}
