import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { afterWrites } from "../src/redis.js";
import { deletePrefix, testPrefix } from "./support/gateway.js";

/** afterWrites on one connection: the END-like command goes out behind the writes, and failed writes are sent once more. */
describe("afterWrites on a single Redis", () => {
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const prefix = testPrefix();
  afterAll(async () => {
    await deletePrefix(prefix);
    redis.disconnect();
  });

  it("runs the command behind the writes, which it sees stored", async () => {
    const written = `${prefix}:a`;
    const seen = await afterWrites(redis, () => redis.set(written, "stored"), () => redis.get(written));
    expect(seen).toBe("stored");
  });

  it("sends failed writes once more when the command went through, and answers it", async () => {
    const list = `${prefix}:list`;
    await redis.rpush(list, "x");
    let tries = 0;
    // The first try fails (WRONGTYPE), the second stores.
    const write = () => (++tries === 1 ? redis.incr(list) : redis.set(`${prefix}:b`, "stored"));
    await expect(afterWrites(redis, write, () => redis.set(`${prefix}:ended`, "1"))).resolves.toBe("OK");
    expect(tries).toBe(2);
    expect(await redis.get(`${prefix}:b`)).toBe("stored");
  });

  it("fails with the writes' error when they fail twice, and with the command's when it fails", async () => {
    const list = `${prefix}:list2`;
    await redis.rpush(list, "x");
    await expect(afterWrites(redis, () => redis.incr(list), () => redis.set(`${prefix}:ended2`, "1"))).rejects.toThrow(/WRONGTYPE/);
    await expect(afterWrites(redis, () => redis.set(`${prefix}:c`, "1"), () => redis.incr(list))).rejects.toThrow(/WRONGTYPE/);
  });
});
