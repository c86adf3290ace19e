/**
 * Swagger UI's initializer (ours, so the page has no inline script): renders /openapi.json into #swagger-ui.
 * SwaggerUIBundle is the global that /docs/swagger-ui-bundle.js (from the swagger-ui-dist package) defines.
 */

interface SwaggerUIBundleGlobal {
  (options: Record<string, unknown>): unknown;
  presets: { apis: unknown };
}

const bundle = (globalThis as unknown as { SwaggerUIBundle?: SwaggerUIBundleGlobal }).SwaggerUIBundle;
const target = document.getElementById("swagger-ui");
if (!bundle) {
  if (target) target.textContent = "Swagger UI did not load; the raw document is at /openapi.json.";
} else {
  bundle({
    url: new URL("/openapi.json", location.href).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [bundle.presets.apis],
    layout: "BaseLayout",
    // No call to the public validator service: nothing leaves this gateway.
    validatorUrl: null,
    tryItOutEnabled: false,
  });
}
export {};
