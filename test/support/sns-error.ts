/** An error the SNS stand-in answers, in the Query protocol's `<ErrorResponse>`: AWS's code, HTTP status and type. */
export class SnsError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly type: "Sender" | "Receiver" = "Sender",
  ) {
    super(message);
  }
}

/** `InvalidParameter` (400), the code SNS gives most malformed requests. */
export const invalidParameter = (message: string): SnsError => new SnsError("InvalidParameter", 400, message);

/** `InvalidParameterValue`, whose Query-protocol code is `ParameterValueInvalid` (400). */
export const invalidParameterValue = (message: string): SnsError => new SnsError("ParameterValueInvalid", 400, message);
