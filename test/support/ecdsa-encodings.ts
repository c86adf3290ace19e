/**
 * The encodings of one ECDSA P-256 signature that all verify (DER or r||s, s or n-s): what a replay rule keyed on
 * the signature's bytes would let through again.
 */

/** The order of P-256: for an ECDSA signature (r, s), (r, n - s) verifies too. */
export const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** (r, s) of a DER ECDSA signature (P-256: every length fits in one byte). */
export function derToRs(derHex: string): [bigint, bigint] {
  const der = Buffer.from(derHex, "hex");
  const rLen = der[3]!;
  const r = der.subarray(4, 4 + rLen);
  const sLen = der[5 + rLen]!;
  const s = der.subarray(6 + rLen, 6 + rLen + sLen);
  return [BigInt(`0x${r.toString("hex")}`), BigInt(`0x${s.toString("hex")}`)];
}
/** The DER (hex) of (r, s), minimal as Java's SHA256withECDSA writes it. */
export function rsToDer(r: bigint, s: bigint): string {
  const integer = (x: bigint) => {
    let bytes = Buffer.from(x.toString(16).padStart(64, "0"), "hex");
    while (bytes.length > 1 && bytes[0] === 0 && !(bytes[1]! & 0x80)) bytes = bytes.subarray(1);
    if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
  };
  const body = Buffer.concat([integer(r), integer(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]).toString("hex");
}
/** The 64-byte r||s (hex) of (r, s), as WebCrypto signs. */
export const rsToP1363 = (r: bigint, s: bigint): string => r.toString(16).padStart(64, "0") + s.toString(16).padStart(64, "0");
/** (r, s) of an r||s signature (hex). */
export const p1363ToRs = (hex: string): [bigint, bigint] => [BigInt(`0x${hex.slice(0, 64)}`), BigInt(`0x${hex.slice(64)}`)];
