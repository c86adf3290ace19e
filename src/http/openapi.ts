import { z } from "zod";
import { errorBody, errorBodySchema, httpStatusOf, type ErrorCode } from "../errors.js";
import { profileSchema } from "../accounts/account-store.js";
import { auditEntrySchema } from "../audit/audit-log.js";
import { loginResponseSchema, validationResponseSchema } from "../challenge/login-response.js";
import { serverPublicJwkSchema } from "../crypto/server-key.js";
import { pushDataSchema } from "../delivery/push-provider.js";
import { deviceRegisteredSchema } from "../enrollment/register-device.js";
import { secondFactorResponseSchema } from "../login/start-login.js";
import { ownChallengeResponseSchema, ownValidationSchema } from "../login/own-challenge.js";
import { userOverviewAnswer, usersAnswer } from "./routes/console-users.js";
import { auditLinesAnswer, consoleSessionAnswer, statsAnswer } from "./routes/console-audit.js";
import { createPushSettingsSchema } from "../settings/push-settings.js";
import { devicesListSchema } from "./routes/admin.js";
import { deadLettersSchema } from "./routes/dead-letters.js";
import { renameDeviceBody } from "./routes/devices.js";
import { healthAnswer, readyAnswer } from "./routes/health.js";
import { accountMfaSettingsSchema } from "./routes/identity.js";
import { pushTokenBody, selfRemovalBody, vapidKeyAnswer } from "./routes/phone.js";
import { appInfoAnswer, managementTokenAnswer } from "./routes/server-callers.js";
import { backupCodesAnswerSchema } from "../backup-codes/issue-backup-codes.js";
import {
  consoleSessionBody, consoleSignInBody, answerBody, auditQuery, backupCodeBody, ownChallengeBody, validationBody, countQuery, deletedAnswer, deviceBody, firstFactorBody, newAccountBody, postedAnswer, testPushAnswer,
  testPushBody, twoFactorTokenQuery,
} from "./routes/schemas.js";
import { OPENAPI_EXAMPLES } from "./openapi-examples.js";
import { consoleAdminAnswer, consoleSignInAnswer } from "../console/console-auth-routes.js";

/**
 * The OpenAPI 3.1 document served at /openapi.json and rendered at /docs. Operations are listed here, one line each,
 * so the whole surface reads in one place; each names the zod schemas its route validates with and answers with, and
 * the document is generated from them (z.toJSONSchema), so it cannot drift from the code. A test checks that every
 * route Express has mounted appears here, and that each route's real answer fits the schema it names.
 */

/**
 * "operator": ADMIN_TOKEN, as a Bearer token or an HTTP Basic password (the queue dashboard). "apisecret": the app's
 * apikey + apisecret, or a named admin's console session cookie with the apikey of one of their apps (contract
 * 2.14). "console": the console session cookie alone.
 */
type Auth = "apikey" | "apisecret" | "access_token" | "none" | "admin" | "operator" | "console";

export interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  tag: string;
  auth: Auth;
  /** Query parameters: the zod object the route parses them with, or the names of plain text parameters. */
  query?: z.ZodObject | readonly string[];
  /** The JSON body, as the route parses it. */
  body?: z.ZodType;
  /** The body may be left out (L2's path without a body is L3, the resend). */
  optionalBody?: true;
  /** The body is merged into what is stored (L10's PUT): every field may be left out, or null to remove it. */
  merges?: true;
  /** The success answer: the zod schema of its JSON, or the media type of what is not JSON. */
  response?: z.ZodType | { mediaType: string };
  /** Error codes beyond those its credentials and body bring (those are added here). */
  errors?: ErrorCode[];
  /** A page or a file of one (HTML, CSS, scripts, images): mounted, and kept out of the document. */
  page?: true;
}

const settings = createPushSettingsSchema({ allowPrivateHosts: false });
const text = { mediaType: "text/plain" };

const ops: Operation[] = [
  { method: "post", path: "/identity/v2/manage/account", summary: "L1: create an account", tag: "LoginRadius", auth: "apisecret", body: newAccountBody, response: profileSchema, errors: [936] },
  { method: "post", path: "/identity/v2/auth/login/2fa", summary: "L2: first factor, sends the push; with secondfactorauthenticationtoken and no body (L3): resend, answers { IsPosted: true }", tag: "LoginRadius", auth: "apikey", query: twoFactorTokenQuery.partial(), body: firstFactorBody, optionalBody: true, response: z.union([secondFactorResponseSchema, postedAnswer]), errors: [966, 1198, 1298, 1299, 1313, 1103, 1104, 429] },
  { method: "get", path: "/login/2fa/push/ping", summary: "L4: poll the outcome; with wait=1..30 (2.11) held until the status changes or the time runs out", tag: "LoginRadius", auth: "apikey", query: twoFactorTokenQuery.extend({ wait: z.string().optional() }), response: z.union([loginResponseSchema, validationResponseSchema]), errors: [1295, 1312, 1104, 1103, 429] },
  { method: "get", path: "/identity/v2/auth/login/2fa/push/ping", summary: "L4 (alias): poll the outcome; with wait=1..30 (2.11) a long poll", tag: "LoginRadius", auth: "apikey", query: twoFactorTokenQuery.extend({ wait: z.string().optional() }), response: z.union([loginResponseSchema, validationResponseSchema]), errors: [1295, 1312, 1104, 1103, 429] },
  { method: "put", path: "/identity/v2/auth/login/2fa/verification/push", summary: "L5: the phone answers, signed", tag: "LoginRadius", auth: "apikey", query: twoFactorTokenQuery, body: answerBody, response: postedAnswer, errors: [1296, 1297, 1311, 1104, 429] },
  { method: "post", path: "/identity/v2/auth/account/2fa/push/enroll/{token}", summary: "L6: the phone registers its key (the enrollment URL)", tag: "LoginRadius", auth: "apikey", body: deviceBody, response: deviceRegisteredSchema, errors: [1103, 429] },
  { method: "delete", path: "/identity/v2/auth/account/2fa/authenticator/push", summary: "L7: remove my push devices", tag: "LoginRadius", auth: "access_token", response: deletedAnswer },
  { method: "delete", path: "/identity/v2/manage/account/2fa/authenticator/push/{uid}", summary: "L8: remove a user's push devices", tag: "LoginRadius", auth: "apisecret", response: deletedAnswer, errors: [938] },
  { method: "get", path: "/identity/v2/auth/account/2fa", summary: "L9: my MFA settings, with a fresh enrollment QR", tag: "LoginRadius", auth: "access_token", response: accountMfaSettingsSchema, errors: [429] },
  { method: "get", path: "/identity/v2/auth/qr-code", summary: "L11: the enrollment QR as a PNG (size clamped to 100-1000) while the enrollment is open; 1104 expired or used, 1103 unknown", tag: "LoginRadius", auth: "apikey", query: ["token", "size"], response: { mediaType: "image/png" }, errors: [1103, 1104, 908, 429] },
  { method: "get", path: "/identity/v2/auth/account/2fa/backupcode", summary: "L13: a new set of 10 backup codes, replacing the old; shown once", tag: "LoginRadius", auth: "access_token", response: backupCodesAnswerSchema, errors: [429] },
  { method: "get", path: "/identity/v2/auth/account/2fa/backupcode/reset", summary: "L14: a new set of backup codes (reset)", tag: "LoginRadius", auth: "access_token", response: backupCodesAnswerSchema, errors: [429] },
  { method: "get", path: "/identity/v2/manage/account/2fa/backupcode", summary: "L15: a new set of backup codes for a user, by an admin", tag: "LoginRadius", auth: "apisecret", query: ["uid"], response: backupCodesAnswerSchema, errors: [908, 938] },
  { method: "get", path: "/identity/v2/manage/account/2fa/backupcode/reset", summary: "L15: a new set of backup codes for a user, by an admin (reset)", tag: "LoginRadius", auth: "apisecret", query: ["uid"], response: backupCodesAnswerSchema, errors: [908, 938] },
  { method: "put", path: "/identity/v2/auth/login/2fa/verification/backupcode", summary: "L16: finish a waiting login with a backup code: the login response; the push challenge ends Cancelled; a wrong code is 1066", tag: "LoginRadius", auth: "apikey", query: twoFactorTokenQuery, body: backupCodeBody, response: loginResponseSchema, errors: [1066, 1103, 1104, 1198, 429] },
  { method: "get", path: "/identity/v2/auth/account/reauth/2fa", summary: "L12: step-up, pushes the signed-in user; approved, L4 and push:status give a validation token", tag: "LoginRadius", auth: "access_token", response: secondFactorResponseSchema.shape.SecondFactorAuthentication, errors: [1198, 1298, 1299, 1313, 429] },
  { method: "post", path: "/v2/manage/push/challenge", summary: "2.12: push a user for the backend's own sign-in (Uid or Email, Message, Context)", tag: "Admin", auth: "apisecret", body: ownChallengeBody, response: ownChallengeResponseSchema, errors: [938, 1198, 1298, 1299, 1313, 429] },
  { method: "post", path: "/v2/manage/push/challenge/validate", summary: "2.12: check an approval's validation token, once", tag: "Admin", auth: "apisecret", body: validationBody, response: ownValidationSchema },
  { method: "get", path: "/v2/manage/2fa/push-notification-settings", summary: "L10: push settings, secrets masked", tag: "LoginRadius", auth: "apisecret", response: settings },
  { method: "put", path: "/v2/manage/2fa/push-notification-settings", summary: "L10: change push settings (merged into what is stored)", tag: "LoginRadius", auth: "apisecret", body: settings, merges: true, response: settings },
  { method: "post", path: "/v2/manage/token", summary: "1.6 (ext): a management bearer token for an hour, for the apisecret or a signature", tag: "LoginRadius", auth: "apisecret", response: managementTokenAnswer },
  { method: "get", path: "/ciam/appinfo", summary: "L17: the app's name and which second factors it offers", tag: "LoginRadius", auth: "apikey", response: appInfoAnswer, errors: [429] },
  { method: "get", path: "/v2/manage/push/audit", summary: "Audit events, newest first", tag: "Admin", auth: "apisecret", query: auditQuery, response: z.object({ Data: z.array(auditEntrySchema) }), errors: [908] },
  { method: "delete", path: "/v2/manage/account/{uid}/push/lock", summary: "Unlock a user", tag: "Admin", auth: "apisecret", response: deletedAnswer, errors: [938] },
  { method: "get", path: "/v2/manage/account/{uid}/push/devices", summary: "A user's push devices", tag: "Admin", auth: "apisecret", response: devicesListSchema, errors: [938] },
  { method: "post", path: "/v2/manage/push/test", summary: "Send a test push to a user's devices", tag: "Admin", auth: "apisecret", body: testPushBody, response: testPushAnswer, errors: [938, 1299, 1298, 1313] },
  { method: "get", path: "/v2/manage/push/dead-letters", summary: "The app's dead letters (failed jobs), newest first", tag: "Admin", auth: "apisecret", query: countQuery, response: deadLettersSchema, errors: [908] },
  { method: "post", path: "/v2/manage/push/dead-letters/{jobId}/retry", summary: "Retry one dead letter of the app with fresh attempts", tag: "Admin", auth: "apisecret", response: postedAnswer, errors: [908] },
  // The console's own calls.
  { method: "get", path: "/v2/manage/push/users", summary: "Find users by email, username or uid (exact or prefix)", tag: "Admin", auth: "apisecret", query: ["q", "count"], response: usersAnswer, errors: [908] },
  { method: "get", path: "/v2/manage/account/{uid}/push/overview", summary: "A user for the console: devices (route, last used, inactive reason), locks, recent challenges", tag: "Admin", auth: "apisecret", response: userOverviewAnswer, errors: [938] },
  { method: "delete", path: "/v2/manage/account/{uid}/push/devices/{deviceId}", summary: "Remove one push device of a user (audited with who did it)", tag: "Admin", auth: "apisecret", response: deletedAnswer, errors: [908, 938] },
  { method: "get", path: "/v2/manage/push/audit/lines", summary: "The audit as lines: one per challenge with its outcome, users named, filtered, paged with a cursor", tag: "Admin", auth: "apisecret", query: ["user", "type", "outcome", "from", "to", "before", "count"], response: auditLinesAnswer, errors: [908] },
  { method: "get", path: "/v2/manage/push/audit/export", summary: "The audit lines as a CSV download (formula-safe)", tag: "Admin", auth: "apisecret", query: ["user", "type", "outcome", "from", "to", "before"], response: { mediaType: "text/csv" }, errors: [908] },
  { method: "get", path: "/v2/manage/push/stats", summary: "The dashboard: outcomes over time, delivery by provider, answer time p50/p95, pushes, fraud reports", tag: "Admin", auth: "apisecret", query: ["range"], response: statsAnswer, errors: [908] },
  { method: "get", path: "/v2/manage/push/console-session", summary: "Who the console session is and what it may do", tag: "Admin", auth: "apisecret", response: consoleSessionAnswer },
  { method: "get", path: "/identity/v2/auth/account/2fa/push/devices", summary: "My push devices", tag: "Devices", auth: "access_token", response: devicesListSchema },
  { method: "put", path: "/identity/v2/auth/account/2fa/push/devices/{deviceId}", summary: "Rename one of my push devices", tag: "Devices", auth: "access_token", body: renameDeviceBody, response: postedAnswer, errors: [908] },
  { method: "delete", path: "/identity/v2/auth/account/2fa/push/devices/{deviceId}", summary: "Remove one of my push devices", tag: "Devices", auth: "access_token", response: deletedAnswer, errors: [908] },
  { method: "get", path: "/identity/v2/auth/account/2fa/push/pending", summary: "2.8: the logins waiting for the phone, by a pull signed with its enrolled key", tag: "Devices", auth: "apikey", query: ["publicKey", "timestamp", "signature"], response: z.object({ Data: z.array(pushDataSchema) }), errors: [1297, 1313, 429] },
  { method: "put", path: "/identity/v2/auth/account/2fa/push/device-token", summary: "2.8: the phone's new push token, signed with its enrolled key; revives an inactive device", tag: "Devices", auth: "apikey", body: pushTokenBody, response: postedAnswer, errors: [1297, 1313, 429] },
  { method: "delete", path: "/identity/v2/auth/account/2fa/push/device", summary: "(ext) the phone removes itself: every device of the app enrolled with its key, signed with that key as 2.8's calls are", tag: "Devices", auth: "apikey", body: selfRemovalBody, response: deletedAnswer, errors: [1297, 1313, 429] },
  { method: "get", path: "/identity/v2/auth/push/server-key", summary: "2.9: the app's server public key (JWK) that signs push data", tag: "Devices", auth: "apikey", response: serverPublicJwkSchema, errors: [429] },
  { method: "get", path: "/identity/v2/auth/push/vapid-public-key", summary: "2.7: the deployment's VAPID public key (base64url uncompressed P-256 point), the same for every app", tag: "Devices", auth: "apikey", response: vapidKeyAnswer, errors: [429] },
  { method: "get", path: "/", summary: "The landing page", tag: "Pages", auth: "none", page: true },
  { method: "get", path: "/home.css", summary: "The landing page's styles", tag: "Pages", auth: "none", page: true },
  { method: "post", path: "/console/api/sign-in", summary: "2.14: a console admin's email and password; starts the push login on the admin app (L2's answer and its apikey)", tag: "Console", auth: "none", body: consoleSignInBody, response: consoleSignInAnswer, errors: [966, 1198, 1313, 901, 429] },
  { method: "post", path: "/console/api/session", summary: "2.14: the approved login's access token, taken once, for the console session cookie (httpOnly, SameSite=Strict)", tag: "Console", auth: "none", body: consoleSessionBody, response: consoleAdminAnswer, errors: [905, 901, 429] },
  { method: "get", path: "/console/api/me", summary: "2.14: the signed-in admin: email, role, what it allows, their apps", tag: "Console", auth: "console", response: consoleAdminAnswer, errors: [905] },
  { method: "post", path: "/console/api/sign-out", summary: "2.14: end the console session (server side) and clear its cookie", tag: "Console", auth: "console", response: postedAnswer, errors: [901, 905, 429] },
  { method: "get", path: "/console", summary: "The operator's console: push settings, test push, recent challenges, dead letters", tag: "Console", auth: "none", page: true },
  { method: "get", path: "/console/", summary: "Redirects to /console", tag: "Console", auth: "none", page: true },
  { method: "get", path: "/console/console.js", summary: "The console's script", tag: "Console", auth: "none", page: true },
  { method: "get", path: "/console/console.css", summary: "The console's styles", tag: "Console", auth: "none", page: true },
  { method: "get", path: "/authenticator", summary: "Redirects to /authenticator/", tag: "Authenticator", auth: "none", page: true },
  { method: "get", path: "/authenticator/", summary: "2.10: the authenticator app, an installable web app that approves sign-ins", tag: "Authenticator", auth: "none", page: true },
  { method: "get", path: "/authenticator/{file}", summary: "2.10: the app's script, service worker (sw.js), styles, manifest and icons", tag: "Authenticator", auth: "none", page: true },
  { method: "get", path: "/docs", summary: "This document, rendered (Swagger UI)", tag: "Operations", auth: "none", page: true },
  { method: "get", path: "/docs/", summary: "Redirects to /docs", tag: "Operations", auth: "none", page: true },
  { method: "get", path: "/docs/{file}", summary: "Swagger UI's files and its initializer", tag: "Operations", auth: "none", page: true },
  { method: "get", path: "/healthz", summary: "Alive", tag: "Operations", auth: "none", response: healthAnswer },
  { method: "get", path: "/readyz", summary: "Ready: Redis answers and the node accepts work (503 with the same body when not)", tag: "Operations", auth: "none", response: readyAnswer },
  { method: "get", path: "/metrics", summary: "Prometheus metrics (Bearer METRICS_TOKEN when it is set)", tag: "Operations", auth: "none", response: text, errors: [905] },
  { method: "get", path: "/openapi.json", summary: "This document", tag: "Operations", auth: "none", response: z.record(z.string(), z.unknown()) },
];

const securityOf = (auth: Auth) =>
  auth === "none" ? []
  : auth === "apikey" ? [{ apikey: [] }]
  : auth === "access_token" ? [{ apikey: [], bearer: [] }]
  : auth === "operator" ? [{ operator: [] }, { operatorBasic: [] }]
  : auth === "console" ? [{ console: [] }]
  : [{ apikey: [], apisecret: [] }, { apikey: [], console: [] }];

/** The codes an operation's credentials and input can answer, before its own. */
function errorsOf(op: Operation): ErrorCode[] {
  const codes: ErrorCode[] = [];
  if (op.auth === "apikey" || op.auth === "apisecret" || op.auth === "access_token") codes.push(922, 920, 901);
  if (op.auth === "apisecret") codes.push(923, 902);
  if (op.auth === "access_token") codes.push(1060, 905, 906);
  if (op.body) codes.push(965);
  if (op.query && !Array.isArray(op.query)) codes.push(908);
  return [...new Set([...codes, ...(op.errors ?? [])])];
}

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), without the `$schema` line. */
function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  // `unrepresentable: "any"`: a schema's transforms (a normalized identifier, a trimmed code) have no JSON Schema
  // form; zod then writes `{}` (any value) for that part instead of throwing, while the input side it checks stays
  // described. Not the TypeScript `any`: every value here is typed.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

/** L10's PUT: every field of the settings, at every level, may be left out or sent as null. */
function merging(schema: Record<string, unknown>): Record<string, unknown> {
  const { required: _all, properties, ...rest } = schema;
  if (!properties) return schema;
  const loose = Object.fromEntries(
    Object.entries(properties as Record<string, Record<string, unknown>>).map(([k, v]) => [k, { anyOf: [merging(v), { type: "null" }] }]),
  );
  return { ...rest, properties: loose };
}

function parametersOf(op: Operation) {
  const path = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  if (!op.query) return path;
  if (Array.isArray(op.query)) return [...path, ...op.query.map((name) => ({ name, in: "query", required: false, schema: { type: "string" } }))];
  const schema = jsonSchemaOf(op.query as z.ZodObject, "input") as { properties?: Record<string, unknown>; required?: string[] };
  return [
    ...path,
    ...Object.entries(schema.properties ?? {}).map(([name, s]) => ({ name, in: "query", required: (schema.required ?? []).includes(name), schema: s })),
  ];
}

function errorResponses(codes: ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(httpStatusOf(code), [...(byStatus.get(httpStatusOf(code)) ?? []), code]);
  const out: Record<string, unknown> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: group.map((c) => `${c}: ${errorBody(c).Message}`).join("; "),
      content: {
        "application/json": {
          schema: { $ref: "#/components/schemas/Error" },
          examples: Object.fromEntries(group.map((c) => [`E${c}`, { summary: `${c} ${errorBody(c).Message}`, value: errorBody(c) }])),
        },
      },
    };
  }
  return out;
}

function operationObject(op: Operation): Record<string, unknown> {
  const example = OPENAPI_EXAMPLES[`${op.method.toUpperCase()} ${op.path}`];
  const parameters = parametersOf(op);
  const response = op.response;
  const success =
    response === undefined ? { description: "Success" }
    : "mediaType" in response && typeof response.mediaType === "string" ? { description: "Success", content: { [response.mediaType]: { schema: { type: "string" } } } }
    : { description: "Success", content: { "application/json": { schema: jsonSchemaOf(response as z.ZodType, "output"), ...(example?.response !== undefined && { example: example.response }) } } };
  const body = op.body && (op.merges ? merging(jsonSchemaOf(op.body, "input")) : jsonSchemaOf(op.body, "input"));
  return {
    operationId: `${op.method}${op.path.replace(/\{(\w+)\}/g, "By-$1").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? "").toUpperCase())}`,
    summary: op.summary,
    tags: [op.tag],
    security: securityOf(op.auth),
    ...(parameters.length && { parameters }),
    ...(body && { requestBody: { required: !op.optionalBody, content: { "application/json": { schema: body, ...(example?.body !== undefined && { example: example.body }) } } } }),
    responses: {
      200: success,
      ...errorResponses(errorsOf(op)),
      default: { description: "Any other error: the same body (950 unknown error; 503 while the data store is away)", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
    },
  };
}

/** The core operations (without the extra routers'), pages included, for the 405 answer. */
export const coreOperations: readonly Operation[] = ops;

/** The operations of this node that are documented: every one but the pages and their files. */
export const documentedOperations = (extra: Operation[] = []): Operation[] => [...ops, ...extra].filter((op) => !op.page);

/** Every operation this node mounts, pages included (for the test that walks the mounted routes). */
export const allOperations = (extra: Operation[] = []): Operation[] => [...ops, ...extra];

/** The document for this node: the core operations plus those of the extra routers it mounts (demo, client, board). */
export function openApiDocument(serverUrl: string, extra: Operation[] = []): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of documentedOperations(extra)) (paths[op.path] ??= {})[op.method] = operationObject(op);
  return {
    openapi: "3.1.0",
    info: {
      title: "push-mfa-gateway",
      version: "0.1.0",
      description:
        "LoginRadius-compatible push MFA with realtime notification (Socket.IO event push:status on the same origin). " +
        "Credentials: apikey as a query parameter or the X-LoginRadius-ApiKey header; apisecret as a query parameter or " +
        "the X-LoginRadius-ApiSecret header; a user's access token as Authorization: Bearer or the access_token query " +
        "parameter. Every error answers the same JSON body (see Error). Paths match case-insensitively.",
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: {
        apikey: { type: "apiKey", in: "query", name: "apikey" },
        apisecret: { type: "apiKey", in: "header", name: "X-LoginRadius-ApiSecret" },
        bearer: { type: "http", scheme: "bearer" },
        operator: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN (the deployment's operator; sees every app's jobs)" },
        operatorBasic: { type: "http", scheme: "basic", description: "ADMIN_TOKEN as the password, any user name (for browsers)" },
        console: { type: "apiKey", in: "cookie", name: "pmg_console", description: "A named admin's console session (`__Host-pmg_console` over https); changes must come from the console's own origin" },
      },
      schemas: { Error: jsonSchemaOf(errorBodySchema, "output") },
    },
  };
}
