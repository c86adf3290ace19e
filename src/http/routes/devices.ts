import { Router } from "express";
import { z } from "zod";
import { ApiError } from "../../errors.js";
import { isGuid } from "../../crypto/tokens.js";
import { removePushDevice } from "../../devices/remove-device.js";
import type { Services } from "../../services.js";
import { requireUser } from "../credentials.js";
import { parseBody } from "../request-input.js";
import { publicDevice } from "./admin.js";

/** Where a user manages their own push devices (ext, beside L7 and L9). */
export const OWN_DEVICES_PATH = "/identity/v2/auth/account/2fa/push/devices";

/** The body of a rename: a name as a phone would register it (L6's deviceName), printable. */
export const renameDeviceBody = z.object({
  Name: z
    .string()
    .trim()
    .min(1, "is required")
    .max(100)
    .regex(/^[^\p{Cc}\p{Cs}]+$/u, "must not contain control characters"),
});

/**
 * There is no "device not found" code in the LoginRadius table: an id that names no device of this user (another
 * user's device included, so ids cannot be probed) is a parameter that is not right, 908, with its own wording.
 */
const noSuchDevice = () =>
  new ApiError(908, {
    description: "No push device of this account has this id; list them at GET " + OWN_DEVICES_PATH + ".",
    fields: [{ FieldName: "deviceId", ErrorMessage: "is not a push device of this account" }],
  });

const deviceIdParam = (raw: unknown): string => {
  if (!isGuid(raw)) throw new ApiError(908, { fields: [{ FieldName: "deviceId", ErrorMessage: "must be a device id (a GUID)" }] });
  return raw.toLowerCase();
};

/** (ext) A user lists, renames and removes their own push devices with their access token. */
export function devicesRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });

  r.get(OWN_DEVICES_PATH, async (req, res) => {
    const { app, user } = await requireUser(s, req);
    res.json({ Data: (await s.devices.list(app.apiKey, user.uid)).map(publicDevice) });
  });

  r.put(`${OWN_DEVICES_PATH}/:deviceId`, async (req, res) => {
    const { app, user } = await requireUser(s, req);
    const deviceId = deviceIdParam(req.params.deviceId);
    const body = parseBody(renameDeviceBody, req.body);
    if (!(await s.devices.rename(app.apiKey, user.uid, deviceId, body.Name))) throw noSuchDevice();
    s.logger.info({ app: app.apiKey, uid: user.uid, device: deviceId }, "push device renamed");
    res.json({ IsPosted: true });
  });

  r.delete(`${OWN_DEVICES_PATH}/:deviceId`, async (req, res) => {
    const { app, user } = await requireUser(s, req);
    const deviceId = deviceIdParam(req.params.deviceId);
    if (!(await removePushDevice(s, app.apiKey, user.uid, deviceId, "by its owner"))) throw noSuchDevice();
    res.json({ IsDeleted: true });
  });

  return r;
}
