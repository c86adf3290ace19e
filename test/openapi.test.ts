import type { Express } from "express";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operation } from "../src/http/openapi.js";
import { OPENAPI_EXAMPLES } from "../src/http/openapi-examples.js";
import { newAjv } from "./support/openapi.js";
import { deletePrefix, startTestGateway, type TestGateway } from "./support/gateway.js";
import { call } from "./support/http.js";

/**
 * Every route Express has mounted is in /openapi.json with its method, but the pages and their files (HTML, CSS,
 * scripts), which the operations list marks as such; and the document lists nothing that is not mounted. Walked on the app the runtime built: development mode (demo pages, console, browser client) with
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

/** "METHOD /path" of the mounted pages and files, which the document leaves out. */
function pagesOf(app: Express): string[] {
  return (app.locals.operations as Operation[]).filter((op) => op.page).map((op) => `${op.method.toUpperCase()} ${op.path.toLowerCase()}`);
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
    const pages = pagesOf(dev.app!);
    expect(pages).toEqual(expect.arrayContaining(["GET /", "GET /docs", "GET /demo/", "GET /console", "GET /client/push-mfa.js"]));
    expect(mounted.filter((r) => !doc.includes(r) && !pages.includes(r)), "mounted but neither in /openapi.json nor a page").toEqual([]);
    expect(doc.filter((r) => !mounted.includes(r)), "in /openapi.json but not mounted").toEqual([]);
    expect(doc.filter((r) => pages.includes(r)), "pages and files stay out of /openapi.json").toEqual([]);
    expect(doc.filter((r) => /\.(js|css|html)$/.test(r)), "static files stay out of /openapi.json").toEqual([]);
  });

  it("production without ADMIN_TOKEN: no demo, no dashboard, and the document says the same", async () => {
    const mounted = mountedRoutes(prod.app!);
    // "None of them is /demo" proves nothing of a walk that found no route at all.
    expect(mounted).toContain("POST /identity/v2/auth/login/2fa");
    expect(mounted.filter((r) => r.includes("/demo") || r.includes("/admin/queues"))).toEqual([]);
    expect((await call(prod.url, "GET", "/demo/")).status).toBe(404);
    const doc = await documented(prod);
    const pages = pagesOf(prod.app!);
    expect(mounted.filter((r) => !doc.includes(r) && !pages.includes(r)), "mounted but neither in /openapi.json nor a page").toEqual([]);
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

  it("is a valid OpenAPI 3.1 document", async () => {
    const doc = (await call(dev.url, "GET", "/openapi.json")).body as Record<string, unknown>;
    const result = await new Validator().validate(doc);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)?.slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("every JSON operation has its request and answer schemas, an example of each that fits them, and its error codes", async () => {
    type Media = { schema?: Record<string, unknown>; example?: unknown };
    type Op = { requestBody?: { content: Record<string, Media> }; responses: Record<string, { content?: Record<string, Media> }>; tags: string[] };
    const doc = (await call(dev.url, "GET", "/openapi.json")).body as { paths: Record<string, Record<string, Op>> };
    const ajv = newAjv();
    const missing: string[] = [];
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const name = `${method.toUpperCase()} ${path}`;
        // bull-board's JSON API is its own (no schemas of ours); everything else is ours.
        if (op.tags.includes("Operator")) continue;
        const json = op.responses["200"]?.content?.["application/json"];
        const other = op.responses["200"]?.content && !json;
        if (!json && !other) missing.push(`${name}: no answer schema`);
        if (json) {
          if (json.example === undefined) missing.push(`${name}: no answer example`);
          else if (!ajv.validate(json.schema!, json.example)) missing.push(`${name}: its answer example does not fit: ${ajv.errorsText()}`);
          else checked++;
        }
        const body = op.requestBody?.content["application/json"];
        if (body) {
          if (body.example === undefined) missing.push(`${name}: no request example`);
          else if (!ajv.validate(body.schema!, body.example)) missing.push(`${name}: its request example does not fit: ${ajv.errorsText()}`);
        }
        if (JSON.stringify(op.responses).includes("#/components/schemas/Error") === false) missing.push(`${name}: no error answer`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(20);
    // The schemas say something: an answer of the wrong shape does not fit them.
    const l4 = doc.paths["/login/2fa/push/ping"]!.get!.responses["200"]!.content!["application/json"]!.schema!;
    expect(ajv.validate(l4, {})).toBe(false);
    expect(ajv.validate(l4, { ...(OPENAPI_EXAMPLES["GET /login/2fa/push/ping"]!.response as object), access_token: 42 })).toBe(false);
    const l2 = doc.paths["/identity/v2/auth/login/2fa"]!.post!.requestBody!.content["application/json"]!.schema!;
    expect(ajv.validate(l2, { email: "a@example.com" })).toBe(false);
    // No example is kept for an operation that is gone.
    const names = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(Object.keys(OPENAPI_EXAMPLES).filter((k) => !names.includes(k))).toEqual([]);
  });

  it("an operation lists the error codes it can answer, with the contract's body, grouped by HTTP status", async () => {
    const doc = (await call(dev.url, "GET", "/openapi.json")).body as { paths: Record<string, Record<string, { responses: Record<string, { description: string; content?: Record<string, { examples?: Record<string, { value: { ErrorCode: number } }> }> }> }>> };
    const l4 = doc.paths["/login/2fa/push/ping"]!.get!.responses;
    expect(Object.keys(l4)).toEqual(expect.arrayContaining(["200", "400", "403", "429", "default"]));
    const codes403 = Object.values(l4["403"]!.content!["application/json"]!.examples!).map((e) => e.value.ErrorCode);
    expect(codes403).toEqual(expect.arrayContaining([901, 1295, 1312, 1104, 1103]));
    expect(l4["400"]!.description).toMatch(/922: API key is missing/);
  });
});
