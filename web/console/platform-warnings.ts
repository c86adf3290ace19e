/**
 * The console's warning beside a platform that is enabled on the Native service with nowhere to push (contract
 * 1.5): no credentials of its own (Firebase for Android, an APNs key or certificate for iOS) and no webhook URL to
 * fall back on. The settings still save; its users' sign-ins answer 1298 until it is configured.
 */
import { byId as $ } from "../shared/page.js";
import { holdsFile } from "./upload-fields.js";

/** Show or hide each platform's warning from what the form holds now (stored, chosen or removed files included). */
export function showPlatformWarnings(): void {
  const native = $<HTMLSelectElement>("f-service").value === "Native";
  const webhook = $<HTMLInputElement>("f-webhook-url").value.trim() !== "";
  const enabled = (id: string) => $<HTMLInputElement>(id).checked;
  const file = (id: string) => holdsFile($<HTMLInputElement>(id));
  $("warn-android").hidden = !(native && !webhook && enabled("f-android") && !file("f-service-json"));
  $("warn-ios").hidden = !(native && !webhook && enabled("f-ios") && !file("f-apns-key") && !file("f-apns-certificate"));
}
