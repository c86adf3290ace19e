import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

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

/**
 * JSON lines (production, and every test's gateway); with `pretty` (development: `npm start`), one readable line per
 * event through pino-pretty, coloured on a terminal. Redaction happens before either is written: pino censors the
 * paths above while it serialises, and pino-pretty only formats what it is given.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream, o: { pretty?: boolean } = {}): Logger {
  const options = { level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, base: { service: "push-mfa-gateway" } };
  if (o.pretty) {
    const stream = pretty({
      destination: destination ?? process.stdout,
      colorize: destination === undefined && process.stdout.isTTY === true,
      sync: true,
      translateTime: "SYS:HH:MM:ss",
      ignore: "pid,hostname,service",
    });
    return pino(options, stream);
  }
  return destination ? pino(options, destination) : pino(options);
}
