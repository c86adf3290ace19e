/**
 * The LoginRadius error table (contract section 3) and the one error class every layer throws.
 * The error middleware serialises an ApiError one way; nothing else builds error bodies.
 */

interface ErrorSpec {
  status: number;
  message: string;
  description: string;
}

const table = {
  404: { status: 404, message: "The requested resource was not found", description: "No endpoint answers this method and path; see /openapi.json." },
  405: { status: 405, message: "The method is not allowed on this resource", description: "This path does not answer this method; the Allow header lists the methods it does (for example GET or POST)." },
  429: { status: 429, message: "Too many requests in a particular time frame", description: "You have exceeded the number of requests allowed in a particular time frame; retry after the number of seconds in the Retry-After header." },
  901: { status: 403, message: "The API key is unauthorized", description: "The provided LoginRadius API key is invalid, please use a valid API key of your LoginRadius account." },
  902: { status: 401, message: "The API secret is unauthorized", description: "The provided LoginRadius API secret is invalid, please use a valid API secret of your LoginRadius account." },
  905: { status: 403, message: "Access token is invalid", description: "The provided access token is invalid." },
  906: { status: 403, message: "Access token has expired", description: "The provided access token has expired." },
  908: { status: 403, message: "A parameter is not formatted correctly", description: "A parameter is not formatted correctly." },
  920: { status: 400, message: "API key is invalid", description: "The provided API key is not formatted as a GUID." },
  922: { status: 400, message: "API key is missing", description: "The API key is missing; send it as the apikey query parameter or the X-LoginRadius-ApiKey header." },
  923: { status: 400, message: "API secret is missing", description: "The API secret is missing; send it as the apisecret query parameter or the X-LoginRadius-ApiSecret header." },
  936: { status: 403, message: "Email address is already registered with your LoginRadius site", description: "The email address is already registered with your site, please use another email address." },
  938: { status: 403, message: "User does not exist", description: "The user does not exist." },
  950: { status: 500, message: "Operation failed due to an unknown error", description: "The operation failed due to an unknown error; please try again." },
  965: { status: 400, message: "The post body is invalid", description: "The request body is missing, not JSON, too large, or has invalid fields." },
  966: { status: 401, message: "Invalid user ID and/or password", description: "The provided credentials are incorrect." },
  1060: { status: 400, message: "Access token is missing", description: "The access token is missing; send it as 'Authorization: Bearer <token>' or the access_token query parameter." },
  1066: { status: 403, message: "Backup code is not valid", description: "The backup code is not valid: it is wrong, or it was already used." },
  1103: { status: 403, message: "Two factor authentication token is invalid", description: "The second factor authentication token is invalid." },
  1104: { status: 403, message: "Two factor authentication token has expired", description: "The second factor authentication token has expired, was cancelled by a newer login or a reset, or its login was already completed; start a new login for a new token." },
  1198: { status: 403, message: "Your account has been locked", description: "Your account has been locked; try again later or ask an administrator to unlock it." },
  1295: { status: 403, message: "Push Notification Verification Pending", description: "The push notification has not been answered yet." },
  1296: { status: 403, message: "Invalid Push Token", description: "The push notification token is invalid." },
  1297: { status: 403, message: "Push Notification Verification Failed", description: "The push notification answer could not be verified." },
  1298: { status: 403, message: "Push Notification configuration error", description: "The push notification service of this app is misconfigured; check its push notification settings." },
  1299: { status: 403, message: "Push Notifications are not set up for Two-Factor Authentication", description: "Push notifications are not enabled for this app." },
  1311: { status: 403, message: "Push Notification Verification Already Done", description: "The push notification has already been answered." },
  1312: { status: 403, message: "Push Notification Verification Denied", description: "The push notification was denied on the device." },
  1313: { status: 403, message: "Push notification as two factor authentication is not configured for this profile", description: "This profile has no push device registered." },
} satisfies Record<number, ErrorSpec>;

export type ErrorCode = keyof typeof table;

export interface FieldError {
  FieldName: string;
  ErrorMessage: string;
}

/** The error body of contract section 0, exactly. */
export interface ErrorBody {
  Description: string;
  ErrorCode: number;
  Message: string;
  IsProviderError: boolean;
  ProviderErrorResponse: null;
  Errors?: FieldError[];
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly fields: FieldError[] | undefined;
  /** Seconds, sent as `Retry-After` (rate limits). */
  readonly retryAfter: number | undefined;
  readonly description: string | undefined;

  constructor(code: ErrorCode, options: { fields?: FieldError[]; retryAfter?: number; description?: string } = {}) {
    super(table[code].message);
    this.name = "ApiError";
    this.code = code;
    this.status = table[code].status;
    this.fields = options.fields;
    this.retryAfter = options.retryAfter;
    this.description = options.description;
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.description, this.fields);
  }
}

/** The error body for a code, for places that send it without throwing (socket handshakes, status events, L4). */
export function errorBody(code: ErrorCode, description?: string, fields?: FieldError[]): ErrorBody {
  const spec = table[code];
  const body: ErrorBody = {
    Description: description ?? spec.description,
    ErrorCode: code,
    Message: spec.message,
    IsProviderError: false,
    ProviderErrorResponse: null,
  };
  if (fields?.length) body.Errors = fields;
  return body;
}

/** The HTTP status a code is answered with. */
export const httpStatusOf = (code: ErrorCode): number => table[code].status;
