# One image for both roles: `node dist/bin/main.js gateway` (the default) or `... worker`.
# Build stage: every dependency, then `npm run build` (tsc to dist/, the browser scripts bundled into dist/web/),
# then the dev dependencies (TypeScript, tsx, esbuild, test tools) pruned.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY web ./web
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Run stage: the compiled JavaScript and the production dependencies only; no transpiler, no bundler.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# A gateway answers /readyz on PORT; a worker-only container does on METRICS_PORT (set it for workers).
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:'+(process.env.METRICS_PORT||process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node runs the entry point itself (npm would be one more hop for SIGTERM); the admin CLI is dist/src/admin/cli.js.
CMD ["node", "dist/bin/main.js", "gateway"]
