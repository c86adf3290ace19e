/** A tiny JSON client over fetch for tests: status, headers and parsed body, whatever the status. */
export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  o: { query?: Record<string, string>; headers?: Record<string, string>; json?: unknown; raw?: string } = {},
): Promise<ApiResponse<T>> {
  const url = new URL(path, base);
  for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.append(k, v);
  const headers: Record<string, string> = { ...o.headers };
  let body: string | undefined;
  if (o.json !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(o.json);
  } else if (o.raw !== undefined) {
    headers["content-type"] ??= "application/json";
    body = o.raw;
  }
  const res = await fetch(url, { method, headers, ...(body !== undefined && { body }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* keep the text: a test asserting JSON will say so */
  }
  return { status: res.status, headers: res.headers, body: parsed as T, text };
}
