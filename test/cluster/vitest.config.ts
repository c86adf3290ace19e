import { defineConfig } from "vitest/config";
import base from "../../vitest.config.js";

/**
 * `npm run test:cluster` (scripts/test-cluster.sh): the end-to-end files that go through test/support/gateway.ts,
 * against the Redis Cluster the script started (PMG_TEST_REDIS_URL, PMG_TEST_REDIS_CLUSTER=1), plus the scale-out
 * scenario only this run includes (two gateways and two worker processes on the cluster).
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      "test/login-flow.test.ts",
      "test/answer-reads.test.ts",
      "test/realtime.test.ts",
      "test/delivery.test.ts",
      "test/delivery-workers.test.ts",
      "test/cluster/*.e2e.ts",
    ],
  },
});
