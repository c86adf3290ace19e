import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";
import { expectContractError } from "./support/contract.js";

/** Contract 0: a known path with a wrong method answers 405 with `Allow` and the error body; unknown paths 404. */

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw.stop();
  await deletePrefix(gw.config.REDIS_PREFIX);
});

describe("405 Method Not Allowed", () => {
  const rows: Array<[method: string, path: string, allow: string]> = [
    ["GET", "/identity/v2/auth/login/2fa", "POST"],
    ["DELETE", "/login/2fa/push/ping", "GET, HEAD"],
    ["POST", "/identity/v2/auth/login/2fa/verification/push", "PUT"],
    ["PATCH", "/v2/manage/2fa/push-notification-settings", "GET, HEAD, PUT"],
    ["GET", "/identity/v2/manage/account/2fa/authenticator/push/0123456789abcdef0123456789abcdef", "DELETE"],
    ["PUT", "/identity/v2/auth/account/2fa", "GET, HEAD"],
    ["GET", "/v2/manage/token", "POST"],
    ["POST", "/ciam/appinfo", "GET, HEAD"],
    ["POST", "/identity/v2/auth/account/2fa/push/devices/some-device", "PUT, DELETE"],
    ["DELETE", "/healthz", "GET, HEAD"],
  ];
  for (const [method, path, allow] of rows) {
    it(`${method} ${path} → 405, Allow: ${allow}`, async () => {
      const res = await call(gw.url, method, path, { query: { apikey: gw.apiKey } });
      expectContractError(res, `${method} ${path}`, 405);
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      expect((res.body as { Message: string }).Message).toBe("The method is not allowed on this resource");
    });
  }

  it("matches paths case-insensitively and with a trailing slash, as the routes do", async () => {
    const res = await call(gw.url, "GET", "/IDENTITY/v2/Auth/Login/2FA/");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
  });

  it("unknown paths keep their 404", async () => {
    for (const [method, path] of [["GET", "/nope"], ["DELETE", "/identity/v2/auth/login/2fa/extra"], ["POST", "/identity/v2/manage/account/2fa/authenticator/push/a/b"]]) {
      const res = await call(gw.url, method!, path!);
      expectContractError(res, `${method} ${path}`, 404);
      expect(res.headers.get("allow")).toBeNull();
    }
  });
});
