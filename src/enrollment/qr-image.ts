import QRCode from "qrcode";

/** L11's `size`: the smallest and largest QR image, in pixels; anything outside is clamped (contract 1.6). */
export const QR_MIN_SIZE = 100;
export const QR_MAX_SIZE = 1000;

/**
 * A PNG's cost grows with its pixels: drawing a 1000-pixel one takes about 150 ms of CPU, a 300-pixel one under
 * 10 ms. L11 charges the per-address budget one call per this many pixels (a 300×300 image or smaller: one call;
 * 1000×1000: twelve), so a stranger cannot keep a core busy with large images.
 */
export const QR_PIXELS_PER_CALL = 300 * 300;

/** How many calls of the per-address budget an L11 image of `size` pixels costs (at least one). */
export const qrCallCost = (size: number): number => Math.max(1, Math.ceil((size * size) / QR_PIXELS_PER_CALL));

export const clampQrSize = (size: number): number => Math.min(QR_MAX_SIZE, Math.max(QR_MIN_SIZE, Math.round(size)));

/**
 * The QR encodes the enrollment URL text itself, as the LoginRadius Android SDK expects; `width` pixels wide
 * (clamped), error correction M, a two-module quiet zone.
 */
const options = (width: number) => ({ errorCorrectionLevel: "M" as const, margin: 2, width: clampQrSize(width) });

/** The QR as a PNG file (L11). */
export const qrPng = (text: string, width: number): Promise<Buffer> => QRCode.toBuffer(text, { ...options(width), type: "png" });

/** The QR as a `data:image/png;base64,…` URL (`PushQRCodeDetails.Image`). */
export const qrDataUrl = (text: string, width: number): Promise<string> => QRCode.toDataURL(text, options(width));
