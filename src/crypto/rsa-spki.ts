/**
 * RSA public keys in X.509 SubjectPublicKeyInfo DER, read without OpenSSL's decoder: its DER path costs about
 * 90 µs per key (createPublicKey), a JWK import of the same numbers about 2 µs, and a cold answer pays it. Only
 * the one canonical encoding is accepted: the modulus and exponent are read, the DER is built again from them
 * alone, and the two must be the same bytes (as parseDeviceKey's JWK round trip demands of any key).
 *
 *   SEQUENCE { SEQUENCE { OID rsaEncryption, NULL }, BIT STRING { 0 unused bits, SEQUENCE { INTEGER n, INTEGER e } } }
 */

const RSA_ALGORITHM = Buffer.from("300d06092a864886f70d0101010500", "hex");

/** DER length octets: short form below 128, else the fewest big-endian bytes after 0x80 | count. */
function lengthOctets(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), lengthOctets(body.length), body]);

/** A positive INTEGER from its unsigned big-endian magnitude (no leading zero bytes). */
const positiveInteger = (magnitude: Buffer): Buffer => tlv(0x02, magnitude[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude);

/** The canonical SPKI DER of the RSA key (n, e), each an unsigned big-endian magnitude without leading zeros. */
export function rsaSpkiDer(n: Buffer, e: Buffer): Buffer {
  const rsaPublicKey = tlv(0x30, Buffer.concat([positiveInteger(n), positiveInteger(e)]));
  return tlv(0x30, Buffer.concat([RSA_ALGORITHM, tlv(0x03, Buffer.concat([Buffer.from([0]), rsaPublicKey]))]));
}

/** Reads one TLV at `at` (any length form: canonicity is checked by re-encoding); null past the end. */
function readTlv(der: Buffer, at: number): { tag: number; start: number; end: number } | null {
  if (at + 2 > der.length) return null;
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    if (count === 0 || count > 3 || start + count > der.length) return null;
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + der[start + i]!;
    start += count;
  }
  const end = start + len;
  return end <= der.length ? { tag, start, end } : null;
}

const magnitude = (b: Buffer): Buffer => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
};

/**
 * The modulus and exponent of an RSA SPKI given in its canonical DER, or:
 * - "not-rsa" when `der` does not start as an RSA SPKI does (another kind of key: the caller's general path);
 * - "non-canonical" when it does but is not exactly the canonical encoding of its numbers (refused).
 */
export function readRsaSpki(der: Buffer): { n: Buffer; e: Buffer } | "not-rsa" | "non-canonical" {
  const outer = readTlv(der, 0);
  if (!outer || outer.tag !== 0x30) return "not-rsa";
  const alg = readTlv(der, outer.start);
  if (!alg || !der.subarray(outer.start, alg.end).equals(RSA_ALGORITHM)) return "not-rsa";
  const bits = readTlv(der, alg.end);
  if (!bits || bits.tag !== 0x03 || der[bits.start] !== 0) return "non-canonical";
  const seq = readTlv(der, bits.start + 1);
  if (!seq || seq.tag !== 0x30) return "non-canonical";
  const nTlv = readTlv(der, seq.start);
  const eTlv = nTlv && readTlv(der, nTlv.end);
  if (!nTlv || !eTlv || nTlv.tag !== 0x02 || eTlv.tag !== 0x02) return "non-canonical";
  // Negative integers are no modulus or exponent.
  if (der[nTlv.start]! & 0x80 || der[eTlv.start]! & 0x80) return "non-canonical";
  const n = magnitude(der.subarray(nTlv.start, nTlv.end));
  const e = magnitude(der.subarray(eTlv.start, eTlv.end));
  if (n.length === 0 || e.length === 0) return "non-canonical";
  return rsaSpkiDer(n, e).equals(der) ? { n, e } : "non-canonical";
}
