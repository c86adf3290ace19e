import { Agent, request } from "node:http";

/** A minimal keep-alive HTTP client for load generators (node:http: far less client CPU than fetch). */
export interface HttpResult {
  status: number;
  body: string;
}

export const keepAliveAgent = (maxSockets: number): Agent => new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });

export function httpCall(agent: Agent, url: string, method: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(payload !== undefined && { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(payload);
  });
}

/** The ErrorCode of a contract error body, or undefined. */
export function errorCodeOf(body: string): number | undefined {
  try {
    const v = JSON.parse(body) as { ErrorCode?: unknown };
    return typeof v.ErrorCode === "number" ? v.ErrorCode : undefined;
  } catch {
    return undefined;
  }
}

/** L5's path and query (contract 1.4): the phone answers with the handle it got in the push. */
export const answerUrl = (base: string, apiKey: string, handle: string): string =>
  `${base}/identity/v2/auth/login/2fa/verification/push?apikey=${apiKey}&secondfactorauthenticationtoken=${handle}`;

/** L4's path and query. */
export const pingUrl = (base: string, apiKey: string, token: string): string =>
  `${base}/login/2fa/push/ping?apikey=${apiKey}&secondfactorauthenticationtoken=${token}`;
