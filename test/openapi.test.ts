import type { Express } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";

/**
 * Every route Express has mounted is in /openapi.json with its method, and the document lists nothing that is not
 * mounted. Walked on the app the runtime built: development mode (demo pages, console, browser client) with
 * ADMIN_TOKEN set (the queue dashboard), i.e. everything a node can mount; and a production node, whose document
 * must not advertise the development-only routes.
 */

interface RouteLike {
  path: string | string[];
  methods: Record<string, boolean | undefined>;
}
interface LayerLike {
  route?: RouteLike;
  rawPath?: unknown;
  handle: { stack?: LayerLike[]; router?: { stack?: LayerLike[] } };
}

/** Express 5 path syntax to OpenAPI's: `:uid` → `{uid}`, `*rest` → `{rest}`. */
const toOpenApi = (path: string) => path.replace(/[:*](\w+)/g, "{$1}");

/** "METHOD /path" for every route of the app, nested routers and sub-apps (bull-board's) included. */
function mountedRoutes(app: Express): string[] {
  const out = new Set<string>();
  const join = (prefix: string, path: string) => (prefix && path === "/" ? prefix : `${prefix}${path}`);
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m] && m !== "_all")) {
          for (const path of paths) out.add(`${method.toUpperCase()} ${toOpenApi(join(prefix, path)).toLowerCase()}`);
        }
        continue;
      }
      const nested = layer.handle.stack ?? layer.handle.router?.stack;
      if (!nested) continue;
      if (typeof layer.rawPath !== "string") throw new Error(`a router mounted on a non-string path (${String(layer.rawPath)}): teach this walk`);
      walk(nested, join(prefix, layer.rawPath === "/" ? "" : layer.rawPath));
    }
  };
  walk((app as unknown as { router: { stack: LayerLike[] } }).router.stack, "");
  return [...out].sort();
}

async function documented(gw: TestGateway): Promise<string[]> {
  const doc = (await call(gw.url, "GET", "/openapi.json")).body as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.toLowerCase()}`))
    .sort();
}

const ADMIN_TOKEN = "operator-token-for-the-openapi-test-0123";

describe("OpenAPI covers every mounted route", () => {
  let dev: TestGateway;
  let prod: TestGateway;
  beforeAll(async () => {
    dev = await startTestGateway({ mode: "development", worker: false, env: { ADMIN_TOKEN } });
    prod = await startTestGateway({ worker: false, env: { NODE_ENV: "production" } });
  });
  afterAll(async () => {
    for (const gw of [dev, prod]) {
      await gw.stop();
      await deletePrefix(gw.config.REDIS_PREFIX);
    }
  });

  it("development with ADMIN_TOKEN: demo, console, client and queue dashboard routes are all documented, and only they", async () => {
    const mounted = mountedRoutes(dev.app!);
    // The walk sees the routers we expect (a walk that found nothing would prove nothing).
    for (const sample of ["POST /identity/v2/auth/login/2fa", "GET /demo/", "GET /client/push-mfa.js", "GET /admin/queues", "GET /admin/queues/api/queues", "GET /metrics"]) {
      expect(mounted).toContain(sample.toUpperCase().split(" ")[0] + " " + sample.split(" ")[1]!.toLowerCase());
    }
    const doc = await documented(dev);
    expect(mounted.filter((r) => !doc.includes(r)), "mounted but not in /openapi.json").toEqual([]);
    expect(doc.filter((r) => !mounted.includes(r)), "in /openapi.json but not mounted").toEqual([]);
  });

  it("production without ADMIN_TOKEN: no demo, no dashboard, and the document says the same", async () => {
    const mounted = mountedRoutes(prod.app!);
    // "None of them is /demo" proves nothing of a walk that found no route at all.
    expect(mounted).toContain("POST /identity/v2/auth/login/2fa");
    expect(mounted.filter((r) => r.includes("/demo") || r.includes("/admin/queues"))).toEqual([]);
    expect((await call(prod.url, "GET", "/demo/")).status).toBe(404);
    const doc = await documented(prod);
    expect(mounted.filter((r) => !doc.includes(r)), "mounted but not in /openapi.json").toEqual([]);
    expect(doc.filter((r) => !mounted.includes(r)), "in /openapi.json but not mounted").toEqual([]);
  });

  it("path parameters are declared with their names", async () => {
    const doc = (await call(dev.url, "GET", "/openapi.json")).body as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> };
    // L8's {uid} at least: a document without path parameters would pass the loop below untested.
    expect(Object.keys(doc.paths)).toContain("/identity/v2/manage/account/2fa/authenticator/push/{uid}");
    for (const [path, ops] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops)) {
        expect((op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name), path).toEqual(names);
      }
    }
  });
});
