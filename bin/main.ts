import { ConfigError, loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";
import { RedisUnavailableError } from "../src/redis.js";
import { startRuntime } from "../src/runtime/start-runtime.js";
import { startBanner, startUrls } from "../src/runtime/start-urls.js";
import { workerRole } from "../workers/worker-role.js";

/**
 * `tsx bin/main.ts all|gateway|worker`: parse the configuration once, start the roles, stop gracefully on
 * SIGTERM/SIGINT. Start-up failures print one clear line, never a stack trace. The process's composition root: the
 * one place that hands the worker role (workers/) to the runtime (src/), so that src/ never imports workers/.
 */
const role = process.argv[2] ?? "all";
if (!["all", "gateway", "worker"].includes(role)) {
  console.error(`usage: main.ts all|gateway|worker (got "${role}")`);
  process.exit(2);
}

let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`push-mfa-gateway: ${err.message}`);
  process.exit(1);
}

// Development (npm start): one readable line per event, colours on a terminal. Production: JSON lines.
const logger = createLogger(config.LOG_LEVEL, undefined, { pretty: config.isDev });
const redacted = (url: string) => url.replace(/\/\/[^@/]*@/, "//***@");

try {
  const runtime = await startRuntime(config, { gateway: role !== "worker", worker: role !== "gateway" ? workerRole() : undefined, logger });
  // Stop cleanly from the moment anything is announced: a SIGTERM right after the first line must drain, not kill.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_SECONDS * 1000);
    timer.unref();
    runtime.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  const urls = runtime.port ? startUrls(runtime.services.config) : [];
  if (runtime.port) {
    // In production the URLs go in the JSON line; in development the banner below shows them.
    const listed = config.isDev ? {} : { urls: Object.fromEntries(urls.map((u) => [u.name, u.url])) };
    logger.info({ url: runtime.services.config.PUBLIC_URL, port: runtime.port, role, ...listed }, "push-mfa-gateway listening");
  }
  else logger.info({ role, ...(runtime.metricsPort && { metricsPort: runtime.metricsPort }) }, "push-mfa-gateway worker running");
  if (config.isDev) {
    logger.warn("development mode (NODE_ENV=development): demo pages on; unless set otherwise, private webhooks allowed, CORS \"*\" and a master key kept in Redis");
  }
  if (runtime.port && Array.isArray(config.CORS_ORIGINS) && config.CORS_ORIGINS.length === 0) {
    logger.warn("CORS_ORIGINS is not set: only pages on the gateway's own origin may call the API and open the socket; list your login pages' origins");
  }
  if (runtime.bootstrap.demo) {
    const { apiKey, apiSecret } = runtime.bootstrap.demo;
    // To the terminal of whoever started the gateway in development, never to the structured log.
    console.log(`\n  Demo app  apikey:    ${apiKey}\n            apisecret: ${apiSecret}\n`);
  }
  // Every URL, to the terminal of whoever started it (the JSON log line above carries them too).
  if (runtime.port && config.isDev) console.log(startBanner(urls));
} catch (err) {
  if (err instanceof RedisUnavailableError) {
    console.error(
      `push-mfa-gateway: cannot reach Redis at REDIS_URL=${redacted(config.REDIS_URL)} (${err.message}). ` +
        "Start one (redis-server, or docker run -p 6379:6379 redis:7) or point REDIS_URL at yours.",
    );
    process.exit(1);
  }
  if (err instanceof Error && "code" in err && err.code === "EADDRINUSE") {
    const name = role === "worker" ? "METRICS_PORT" : "PORT";
    console.error(`push-mfa-gateway: port ${role === "worker" ? config.METRICS_PORT : config.PORT} is already in use; set ${name} to another one.`);
    process.exit(1);
  }
  throw err;
}
