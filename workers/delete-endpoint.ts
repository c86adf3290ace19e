import { UnrecoverableError, type Job } from "bullmq";
import type { DeleteEndpointJob } from "../src/delivery/queues.js";
import type { Services } from "../src/services.js";
import { ConfigDeliveryError, PermanentDeliveryError } from "../src/delivery/delivery-errors.js";
import type { ProviderSelector } from "./providers/select-provider.js";

/** What it reads: the app's settings, for its AWS credentials. */
export type DeleteEndpointDeps = Pick<Services, "apps" | "settings">;

/** After a reset: delete the removed device's SNS platform endpoint with the app's credentials. */
export async function deleteEndpoint(deps: DeleteEndpointDeps, providers: ProviderSelector, job: Job<DeleteEndpointJob>): Promise<string> {
  const app = await deps.apps.get(job.data.appId);
  if (!app) return "skipped: app gone";
  const settings = await deps.settings.get(app.apiKey, app.name);
  if (!settings.AWSsettings.AccessKeyId) return "skipped: no AWS settings";
  try {
    await providers.sns(app.apiKey, settings).deleteEndpoint(job.data.endpointArn);
  } catch (err) {
    if (err instanceof PermanentDeliveryError || err instanceof ConfigDeliveryError) throw new UnrecoverableError(err.message);
    throw err;
  }
  return "deleted";
}
