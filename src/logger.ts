import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured logs. Redaction is the second line of defence: no code path logs a token, handle, password,
 * device token or secret on purpose, and these paths are censored should one ever be passed in.
 */
export const REDACT_PATHS = [
  "password", "*.password", "Password", "*.Password",
  "token", "*.token", "apisecret", "*.apisecret", "apiSecret", "*.apiSecret",
  "secondfactorauthenticationtoken", "*.secondfactorauthenticationtoken",
  "access_token", "*.access_token", "refresh_token", "*.refresh_token",
  "signature", "*.signature", "deviceToken", "*.deviceToken",
  "SecretAccessKey", "*.SecretAccessKey", "SigningSecret", "*.SigningSecret",
  "headers.authorization", "headers.cookie", 'headers["x-loginradius-apisecret"]',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, base: { service: "push-mfa-gateway" } };
  return destination ? pino(options, destination) : pino(options);
}
