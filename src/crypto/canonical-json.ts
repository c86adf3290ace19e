/**
 * RFC 8785 (JSON Canonicalization Scheme) for the one shape the gateway signs: a flat object whose values are all
 * strings (push data, contract 1.4). For that shape JCS is small enough to write out rather than add a library:
 * members sorted by their names' UTF-16 code units (JavaScript's default string order, which is what RFC 8785
 * 3.2.3 prescribes), no whitespace, and names and values serialised as ECMAScript's JSON.stringify serialises a
 * string (RFC 8785 3.2.2.2). Numbers, nesting and literals, the rest of JCS, cannot occur here, and the type says so.
 */

/**
 * The canonical JSON text of a flat string-valued object (undefined members left out). Throws on a string that is not well-formed UTF-16 (a
 * lone surrogate): RFC 8785 takes I-JSON input only, and a verifier's JCS library would refuse it too.
 */
export function canonicalJson(object: Readonly<Record<string, string | undefined>>): string {
  // An undefined member is absent, as JSON.stringify leaves it out of what is sent.
  const names = Object.keys(object).filter((name) => object[name] !== undefined).sort();
  const members = names.map((name) => `${canonicalString(name)}:${canonicalString(object[name]!)}`);
  // Built by hand, not JSON.stringify(object): that would put integer-like names ("1", "10") first whatever their order.
  return `{${members.join(",")}}`;
}

/** In a `u` regex a surrogate pair is one code point, so only an unpaired surrogate is of category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

function canonicalString(value: string): string {
  if (typeof value !== "string") throw new TypeError("canonical JSON here takes string values only");
  if (LONE_SURROGATE.test(value)) throw new TypeError("canonical JSON (RFC 8785) refuses strings with lone surrogates");
  return JSON.stringify(value);
}
