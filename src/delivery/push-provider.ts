import type { DeviceType } from "../devices/device-store.js";

/**
 * The one small interface every push provider implements (AWS SNS, the customer's webhook, an open device
 * socket). A provider sends one message to one device and says how a failure should be treated (by throwing one of
 * delivery-errors.ts); it takes its clients as arguments so tests pass real clients pointed at local endpoints.
 */

/** The data keys the LoginRadius Android SDK reads (contract 1.4), plus ours. All values are strings. */
export interface PushData {
  secondfactorauthenticationtoken: string;
  identifier: string;
  browser: string;
  location: string;
  timestamp: string;
  apikey: string;
  expiresAt: string;
  challenge?: string;
  /** Contract 2.12: the backend's text for the phone, and its context object as JSON text. */
  message?: string;
  context?: string;
  /**
   * Contract 2.9: base64url of the app's server key's ECDSA P-256 signature (r||s) over the RFC 8785 canonical
   * JSON of the other keys. Every push the gateway builds carries it (push-content.ts); optional here so a
   * provider can be exercised with data of its own.
   */
  serverSignature?: string;
}

export interface PushMessage {
  /** Stable per (challenge, device, send number): the receiver's idempotency key. */
  deliveryId: string;
  /** The challenge this push is for (Web Push derives its `Topic` from it, so a resend replaces an undelivered push). */
  challengeId?: string;
  device: {
    /** The FCM/APNs token the device registered (decrypted only here, where it is used). */
    token: string;
    type: DeviceType;
    /** SNS platform endpoint created at enrollment, when the app uses AWS SNS. */
    endpointArn?: string;
  };
  data: PushData;
  notification: { title: string; body: string };
  /** Remaining life of the challenge: the provider must not deliver after it. */
  ttlSeconds: number;
}

export interface PushProvider {
  readonly name: "sns" | "webhook" | "socket" | "fcm" | "apns" | "webpush";
  send(message: PushMessage, signal: AbortSignal): Promise<void>;
}
