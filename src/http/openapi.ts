/**
 * The OpenAPI 3.1 document served at /openapi.json. Operations are listed here, one line each, so the whole
 * surface reads in one place; a test checks that every route Express has mounted appears in it.
 */

/** "operator": ADMIN_TOKEN, as a Bearer token or an HTTP Basic password (the queue dashboard). */
type Auth = "apikey" | "apisecret" | "access_token" | "none" | "admin" | "operator";

interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  tag: string;
  auth: Auth;
  query?: string[];
  body?: string;
}

const ERROR = { $ref: "#/components/schemas/Error" };

const ops: Operation[] = [
  { method: "post", path: "/identity/v2/manage/account", summary: "L1: create an account", tag: "LoginRadius", auth: "apisecret", body: "NewAccount" },
  { method: "post", path: "/identity/v2/auth/login/2fa", summary: "L2: first factor, sends the push; with secondfactorauthenticationtoken and no body (L3): resend", tag: "LoginRadius", auth: "apikey", query: ["secondfactorauthenticationtoken"], body: "FirstFactor" },
  { method: "get", path: "/login/2fa/push/ping", summary: "L4: poll the outcome; with wait=1..30 (2.11) held until the status changes or the time runs out", tag: "LoginRadius", auth: "apikey", query: ["secondfactorauthenticationtoken", "wait"] },
  { method: "get", path: "/identity/v2/auth/login/2fa/push/ping", summary: "L4 (alias): poll the outcome; with wait=1..30 (2.11) a long poll", tag: "LoginRadius", auth: "apikey", query: ["secondfactorauthenticationtoken", "wait"] },
  { method: "put", path: "/identity/v2/auth/login/2fa/verification/push", summary: "L5: the phone answers, signed", tag: "LoginRadius", auth: "apikey", query: ["secondfactorauthenticationtoken"], body: "DeviceAnswer" },
  { method: "post", path: "/identity/v2/auth/account/2fa/push/enroll/{token}", summary: "L6: the phone registers its key (the enrollment URL)", tag: "LoginRadius", auth: "apikey", body: "DeviceRegistration" },
  { method: "delete", path: "/identity/v2/auth/account/2fa/authenticator/push", summary: "L7: remove my push devices", tag: "LoginRadius", auth: "access_token" },
  { method: "delete", path: "/identity/v2/manage/account/2fa/authenticator/push/{uid}", summary: "L8: remove a user's push devices", tag: "LoginRadius", auth: "apisecret" },
  { method: "get", path: "/identity/v2/auth/account/2fa", summary: "L9: my MFA settings, with a fresh enrollment QR", tag: "LoginRadius", auth: "access_token" },
  { method: "get", path: "/identity/v2/auth/qr-code", summary: "L11: the enrollment QR as a PNG (image/png, size clamped to 100-1000) while the enrollment is open; 1104 expired or used, 1103 unknown", tag: "LoginRadius", auth: "apikey", query: ["token", "size"] },
  { method: "get", path: "/identity/v2/auth/account/2fa/backupcode", summary: "L13: a new set of 10 backup codes, replacing the old; shown once", tag: "LoginRadius", auth: "access_token" },
  { method: "get", path: "/identity/v2/auth/account/2fa/backupcode/reset", summary: "L14: a new set of backup codes (reset)", tag: "LoginRadius", auth: "access_token" },
  { method: "get", path: "/identity/v2/manage/account/2fa/backupcode", summary: "L15: a new set of backup codes for a user, by an admin", tag: "LoginRadius", auth: "apisecret", query: ["uid"] },
  { method: "get", path: "/identity/v2/manage/account/2fa/backupcode/reset", summary: "L15: a new set of backup codes for a user, by an admin (reset)", tag: "LoginRadius", auth: "apisecret", query: ["uid"] },
  { method: "put", path: "/identity/v2/auth/login/2fa/verification/backupcode", summary: "L16: finish a waiting login with a backup code: the login response; the push challenge ends Cancelled; a wrong code is 1066", tag: "LoginRadius", auth: "apikey", query: ["secondfactorauthenticationtoken"], body: "BackupCode" },
  { method: "get", path: "/identity/v2/auth/account/reauth/2fa", summary: "L12: step-up, pushes the signed-in user; approved, L4 and push:status give a validation token", tag: "LoginRadius", auth: "access_token" },
  { method: "post", path: "/v2/manage/push/challenge", summary: "2.12: push a user for the backend's own sign-in (Uid or Email, Message, Context)", tag: "Admin", auth: "apisecret", body: "OwnChallenge" },
  { method: "post", path: "/v2/manage/push/challenge/validate", summary: "2.12: check an approval's validation token, once", tag: "Admin", auth: "apisecret", body: "ValidationCheck" },
  { method: "get", path: "/v2/manage/2fa/push-notification-settings", summary: "L10: push settings, secrets masked", tag: "LoginRadius", auth: "apisecret" },
  { method: "put", path: "/v2/manage/2fa/push-notification-settings", summary: "L10: change push settings", tag: "LoginRadius", auth: "apisecret", body: "PushSettings" },
  { method: "post", path: "/v2/manage/token", summary: "1.6 (ext): a management bearer token for an hour, for the apisecret or a signature", tag: "LoginRadius", auth: "apisecret" },
  { method: "get", path: "/ciam/appinfo", summary: "L17: the app's name and which second factors it offers", tag: "LoginRadius", auth: "apikey" },
  { method: "get", path: "/v2/manage/push/audit", summary: "Audit events, newest first", tag: "Admin", auth: "apisecret", query: ["count", "before"] },
  { method: "delete", path: "/v2/manage/account/{uid}/push/lock", summary: "Unlock a user", tag: "Admin", auth: "apisecret" },
  { method: "get", path: "/v2/manage/account/{uid}/push/devices", summary: "A user's push devices", tag: "Admin", auth: "apisecret" },
  { method: "post", path: "/v2/manage/push/test", summary: "Send a test push to a user's devices", tag: "Admin", auth: "apisecret", body: "TestPush" },
  { method: "get", path: "/v2/manage/push/dead-letters", summary: "The app's dead letters (failed jobs), newest first", tag: "Admin", auth: "apisecret", query: ["count"] },
  { method: "post", path: "/v2/manage/push/dead-letters/{jobId}/retry", summary: "Retry one dead letter of the app with fresh attempts", tag: "Admin", auth: "apisecret" },
  { method: "get", path: "/v2/manage/push/users", summary: "Find users by email, username or uid (exact or prefix)", tag: "Admin", auth: "apisecret", query: ["q", "count"] },
  { method: "get", path: "/v2/manage/account/{uid}/push/overview", summary: "A user for the console: devices (route, last used, inactive reason), locks, recent challenges", tag: "Admin", auth: "apisecret" },
  { method: "delete", path: "/v2/manage/account/{uid}/push/devices/{deviceId}", summary: "Remove one push device of a user (audited with who did it)", tag: "Admin", auth: "apisecret" },
  { method: "get", path: "/v2/manage/push/audit/lines", summary: "The audit as lines: one per challenge with its outcome, users named, filtered, paged with a cursor", tag: "Admin", auth: "apisecret", query: ["user", "type", "outcome", "from", "to", "before", "count"] },
  { method: "get", path: "/v2/manage/push/audit/export", summary: "The audit lines as a CSV download (formula-safe)", tag: "Admin", auth: "apisecret", query: ["user", "type", "outcome", "from", "to", "before"] },
  { method: "get", path: "/v2/manage/push/stats", summary: "The dashboard: outcomes over time, delivery by provider, answer time p50/p95, pushes, fraud reports", tag: "Admin", auth: "apisecret", query: ["range"] },
  { method: "get", path: "/v2/manage/push/console-session", summary: "Who the console session is and what it may do", tag: "Admin", auth: "apisecret" },
  { method: "get", path: "/identity/v2/auth/account/2fa/push/devices", summary: "My push devices", tag: "Devices", auth: "access_token" },
  { method: "put", path: "/identity/v2/auth/account/2fa/push/devices/{deviceId}", summary: "Rename one of my push devices", tag: "Devices", auth: "access_token", body: "DeviceRename" },
  { method: "delete", path: "/identity/v2/auth/account/2fa/push/devices/{deviceId}", summary: "Remove one of my push devices", tag: "Devices", auth: "access_token" },
  { method: "get", path: "/identity/v2/auth/account/2fa/push/pending", summary: "2.8: the logins waiting for the phone, by a pull signed with its enrolled key", tag: "Devices", auth: "apikey", query: ["publicKey", "timestamp", "signature"] },
  { method: "put", path: "/identity/v2/auth/account/2fa/push/device-token", summary: "2.8: the phone's new push token, signed with its enrolled key; revives an inactive device", tag: "Devices", auth: "apikey", body: "PushTokenUpdate" },
  { method: "get", path: "/identity/v2/auth/push/server-key", summary: "2.9: the app's server public key (JWK) that signs push data", tag: "Devices", auth: "apikey" },
  { method: "get", path: "/identity/v2/auth/push/vapid-public-key", summary: "2.7: the deployment's VAPID public key (base64url uncompressed P-256 point), the same for every app", tag: "Devices", auth: "apikey" },
  { method: "get", path: "/console", summary: "The operator's console: push settings, test push, users and devices, dashboard, audit, dead letters", tag: "Console", auth: "none" },
  { method: "get", path: "/console/", summary: "Redirects to /console", tag: "Console", auth: "none" },
  { method: "get", path: "/console/console.js", summary: "The console's script", tag: "Console", auth: "none" },
  { method: "get", path: "/console/console.css", summary: "The console's styles", tag: "Console", auth: "none" },
  { method: "get", path: "/authenticator", summary: "Redirects to /authenticator/", tag: "Authenticator", auth: "none" },
  { method: "get", path: "/authenticator/", summary: "2.10: the authenticator app, an installable web app that approves sign-ins", tag: "Authenticator", auth: "none" },
  { method: "get", path: "/authenticator/{file}", summary: "2.10: the app's script, service worker (sw.js), styles, manifest and icons", tag: "Authenticator", auth: "none" },
  { method: "get", path: "/healthz", summary: "Alive", tag: "Operations", auth: "none" },
  { method: "get", path: "/readyz", summary: "Ready: Redis answers and the node accepts work", tag: "Operations", auth: "none" },
  { method: "get", path: "/metrics", summary: "Prometheus metrics", tag: "Operations", auth: "none" },
  { method: "get", path: "/openapi.json", summary: "This document", tag: "Operations", auth: "none" },
];

export type { Operation };

/** The core operations (without the extra routers'), for the 405 answer. */
export const coreOperations: readonly Operation[] = ops;

const securityOf = (auth: Auth) =>
  auth === "none" ? []
  : auth === "apikey" ? [{ apikey: [] }]
  : auth === "access_token" ? [{ apikey: [], bearer: [] }]
  : auth === "operator" ? [{ operator: [] }, { operatorBasic: [] }]
  : [{ apikey: [], apisecret: [] }];

/** The document for this node: the core operations plus those of the extra routers it mounts (demo, console). */
export function openApiDocument(serverUrl: string, extra: Operation[] = []): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of [...ops, ...extra]) {
    const parameters = [
      ...[...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } })),
      ...(op.query ?? []).map((name) => ({ name, in: "query", required: false, schema: { type: "string" } })),
    ];
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      tags: [op.tag],
      security: securityOf(op.auth),
      ...(parameters.length && { parameters }),
      ...(op.body && { requestBody: { required: true, content: { "application/json": { schema: { $ref: `#/components/schemas/${op.body}` } } } } }),
      responses: {
        200: { description: "Success", content: { "application/json": { schema: { type: "object" } } } },
        default: { description: "The LoginRadius error body", content: { "application/json": { schema: ERROR } } },
      },
    };
  }
  const object = { type: "object" };
  return {
    openapi: "3.1.0",
    info: { title: "push-mfa-gateway", version: "0.1.0", description: "LoginRadius-compatible push MFA with realtime notification (Socket.IO event push:status on the same origin)." },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: {
        apikey: { type: "apiKey", in: "query", name: "apikey" },
        apisecret: { type: "apiKey", in: "header", name: "X-LoginRadius-ApiSecret" },
        bearer: { type: "http", scheme: "bearer" },
        operator: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN (the deployment's operator; sees every app's jobs)" },
        operatorBasic: { type: "http", scheme: "basic", description: "ADMIN_TOKEN as the password, any user name (for browsers)" },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["Description", "ErrorCode", "Message", "IsProviderError", "ProviderErrorResponse"],
          properties: {
            Description: { type: "string" }, ErrorCode: { type: "integer" }, Message: { type: "string" },
            IsProviderError: { type: "boolean" }, ProviderErrorResponse: { type: "null" },
            Errors: { type: "array", items: { type: "object", properties: { FieldName: { type: "string" }, ErrorMessage: { type: "string" } } } },
          },
        },
        BackupCode: { type: "object", required: ["backupcode"], properties: { backupcode: { type: "string", maxLength: 64 } } },
        NewAccount: object, TestPush: object, DeviceRename: { type: "object", required: ["Name"], properties: { Name: { type: "string", maxLength: 100 } } }, FirstFactor: object, DeviceAnswer: object, DeviceRegistration: object, PushSettings: object,
        OwnChallenge: {
          type: "object",
          properties: {
            Uid: { type: "string", pattern: "^[0-9a-fA-F]{32}$" },
            Email: { type: "string", maxLength: 254 },
            Message: { type: "string", maxLength: 120 },
            Context: { type: "object", maxProperties: 10, additionalProperties: { type: "string", maxLength: 60 } },
          },
        },
        ValidationCheck: { type: "object", required: ["SecondFactorValidationToken"], properties: { SecondFactorValidationToken: { type: "string" } } },
        PushTokenUpdate: {
          type: "object",
          required: ["publicKey", "deviceToken", "timestamp", "signature"],
          properties: { publicKey: { type: "string" }, deviceToken: { type: "string" }, timestamp: { type: "string", pattern: "^[0-9]{13}$" }, signature: { type: "string" } },
        },
      },
    },
  };
}
