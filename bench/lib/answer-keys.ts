import { createPrivateKey, type KeyObject } from "node:crypto";
import { signAnswer } from "./fixtures.js";

/**
 * The phones' private keys inside a load generator: sent and parsed once per scenario (10,000 PEMs are 17 MB and
 * a few seconds of parsing), then each answer is signed with its user's key, by index in the pool the users were
 * seeded with (BenchUser.key).
 */
export interface AnswerKeys {
  load(a: { privateKeyPems: string[] }): { loaded: number };
  /** hex(SHA256withRSA(verify + handle)) with key `index` of the loaded pool. */
  sign(index: number, verify: "Yes" | "No", handle: string): string;
}

export function createAnswerKeys(): AnswerKeys {
  let keys: KeyObject[] = [];
  return {
    load(a) {
      keys = a.privateKeyPems.map((pem) => createPrivateKey(pem));
      return { loaded: keys.length };
    },
    sign(index, verify, handle) {
      const key = keys[index];
      if (!key) throw new Error(`no phone key ${index} (${keys.length} loaded)`);
      return signAnswer(key, verify, handle);
    },
  };
}
