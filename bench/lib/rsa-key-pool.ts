import { createPrivateKey, createPublicKey, generatePrime, sign, verify } from "node:crypto";
import type { BenchPhone } from "./fixtures.js";

/**
 * Distinct RSA-2048 phone keys for benchmarks whose users answer, so the gateway's parsed-key cache
 * (src/crypto/signatures.ts) cannot serve every answer from one entry: with one shared key it always hits, and
 * parsing a key costs 170–250 µs of a 2 ms answer.
 *
 * Why not `generateKeyPair` per user: RSA-2048 keygen takes about 100 ms of wall time per key on this 2-core
 * machine even in parallel, so 10,000 keys would take 17 minutes. Instead, a few hundred 1024-bit primes
 * (about 18 ms each) are paired: P primes give P(P−1)/2 distinct moduli, 10,000 keys in a few seconds. Each key is
 * a valid RSA-2048 key with e = 65537 (moduli of exactly 2048 bits, CRT parameters included); what the gateway
 * does with it (parse the SPKI DER, verify PKCS#1 v1.5 SHA-256) costs what it costs with any other RSA-2048 key.
 * Keys that share a prime are trivially factorable: fine for a benchmark, never for a phone.
 */

const E = 65537n;
const PRIME_BITS = 1024;

/** The first `count` keys of a pool built from paired primes: every public key distinct. */
export async function distinctRsaKeys(count: number): Promise<BenchPhone[]> {
  const primes: bigint[] = [];
  const keys: BenchPhone[] = [];
  while (keys.length < count) {
    // A few spares: a prime p with p−1 divisible by e has no private exponent, and a pair may make 2047 bits.
    const fresh = await Promise.all(Array.from({ length: Math.max(4, primesFor(count) - primes.length + 4) }, () => newPrime()));
    for (const q of fresh.filter((p) => (p - 1n) % E !== 0n)) {
      // Each new prime pairs with every earlier one: no pair twice, so no modulus twice.
      for (let i = 0; i < primes.length && keys.length < count; i++) {
        const key = keyFromPrimes(primes[i]!, q);
        if (key) keys.push(key);
      }
      primes.push(q);
    }
  }
  checkKey(keys[0]!);
  return keys;
}

const pairCount = (p: number): number => (p * (p - 1)) / 2;

/** The smallest number of primes whose pairs reach `count`. */
function primesFor(count: number): number {
  let p = 2;
  while (pairCount(p) < count) p++;
  return p;
}

function newPrime(): Promise<bigint> {
  // Async: on libuv's pool, so the primes are searched on every core at once.
  return new Promise((resolve, reject) =>
    generatePrime(PRIME_BITS, { bigint: true }, (err, prime) => (err ? reject(err) : resolve(prime))),
  );
}

/** An RSA key from two distinct primes, as SPKI hex (what the phone registers) and PKCS#8 PEM (what it signs with). */
function keyFromPrimes(a: bigint, b: bigint): BenchPhone | null {
  const [p, q] = a > b ? [a, b] : [b, a];
  const n = p * q;
  if (n.toString(2).length !== 2 * PRIME_BITS) return null;
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  const d = modInverse(E, lambda);
  const privateKey = createPrivateKey({
    key: { kty: "RSA", n: b64url(n), e: b64url(E), d: b64url(d), p: b64url(p), q: b64url(q), dp: b64url(d % (p - 1n)), dq: b64url(d % (q - 1n)), qi: b64url(modInverse(q, p)) },
    format: "jwk",
  });
  return {
    publicKeyHex: createPublicKey(privateKey).export({ format: "der", type: "spki" }).toString("hex"),
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  };
}

/** A pool whose keys did not sign and verify would make every answer fail: better to stop before seeding. */
function checkKey(k: BenchPhone): void {
  const data = Buffer.from("Yes-check", "utf8");
  const signature = sign("sha256", data, createPrivateKey(k.privateKeyPem));
  const publicKey = createPublicKey({ key: Buffer.from(k.publicKeyHex, "hex"), format: "der", type: "spki" });
  if (publicKey.asymmetricKeyDetails?.modulusLength !== 2048 || !verify("sha256", data, publicKey, signature)) {
    throw new Error("rsa-key-pool: a pooled key does not sign and verify as RSA-2048");
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error("rsa-key-pool: no modular inverse");
  return ((s0 % m) + m) % m;
}

function b64url(x: bigint): string {
  const hex = x.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex").toString("base64url");
}
