import { Router } from "express";
import { ApiError } from "../../errors.js";
import { QR_CODE_PATH } from "../../enrollment/enrollment.js";
import { clampQrSize, qrCallCost, qrPng } from "../../enrollment/qr-image.js";
import { countingGuesses } from "../../guess-budget.js";
import type { Services } from "../../services.js";
import { together } from "../../together.js";
import { requireApp } from "../credentials.js";
import { queryParam } from "../request-input.js";

/** `size` as sent: a whole number (clamped to 100–1000 afterwards), else 908 naming it. */
function sizeParam(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return clampQrSize(fallback);
  if (!/^-?\d{1,9}$/.test(raw)) throw new ApiError(908, { fields: [{ FieldName: "size", ErrorMessage: "must be a whole number of pixels (100 to 1000)" }] });
  return clampQrSize(Number(raw));
}

/**
 * L11: the enrollment QR as a PNG, for `<img src>` on the customer's pages (contract 1.3), while its enrollment is
 * open; otherwise the error body (1104 expired or used, 1103 unknown). Strangers can call it: limited per address
 * (a large image counting as several calls), and an unknown reference spends the address's failed-guesses budget.
 * Never cached (the image carries an enrollment URL), and embeddable from any origin (Cross-Origin-Resource-Policy).
 */
export function qrCodeRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });
  r.get(QR_CODE_PATH, async (req, res) => {
    res.setHeader("Cross-Origin-Resource-Policy", "cross-origin");
    const ip = req.ip ?? "";
    const [, , app] = await together([s.limits.strangerPerIp(ip), s.guesses.refuseIfGuessing(ip), requireApp(s, req)]);
    const reference = queryParam(req, "token");
    const rawSize = queryParam(req, "size");
    if (!reference) throw new ApiError(1103, { description: "The token query parameter is missing." });
    if (reference.length > 256) {
      await s.guesses.countGuess(ip);
      throw new ApiError(1103);
    }
    const size = sizeParam(rawSize, (await s.settings.get(app.apiKey, app.name)).QRCodeWidth);
    const target = await countingGuesses(s.guesses, ip, s.enrollment.qrTarget(app.apiKey, reference).then((t) => {
      if ("error" in t) throw new ApiError(t.error);
      return t;
    }));
    // A large image costs its pixels' worth of the address's budget (the call itself counted one already).
    const extra = qrCallCost(size) - 1;
    if (extra > 0) {
      await s.limits.strangerPerIp.charge(ip, extra);
      await s.limits.strangerPerIp.check(ip);
    }
    const png = await qrPng(target.url, size);
    res.setHeader("Cache-Control", "no-store");
    res.type("image/png").send(png);
  });
  return r;
}
