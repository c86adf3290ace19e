import { execFileSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The certificates and keys an APNs test needs, made at run time with the machine's `openssl` (and node:crypto for
 * the .p8 key), in a temporary folder removed by `remove()`: nothing secret is checked in, and every run has keys of
 * its own.
 * - a test CA, which the APNs stand-in trusts for client certificates and the provider trusts for the server's;
 * - the stand-in's server certificate for 127.0.0.1 and localhost;
 * - Apple-style push certificates (subject `UID=<bundle id>, CN=Apple Push Services: <bundle id>`) exported as
 *   PKCS#12, modern (AES, what OpenSSL 3 writes) or `-legacy` (RC2 and 3DES, as older Keychain exports are), signed
 *   by the test CA or by a CA nobody trusts;
 * - .p8 signing keys (PKCS#8 PEM, P-256), as Apple hands them out for token authentication.
 */
export interface ApnsTestPki {
  /** The test CA's certificate (PEM). */
  caPem: string;
  server: { keyPem: string; certPem: string };
  /** A push certificate for `bundleId`, as a PKCS#12 file's bytes. */
  pushCertificate(bundleId: string, o?: { passphrase?: string; legacy?: boolean; signedBy?: "test-ca" | "untrusted-ca" }): Buffer;
  /** A new .p8 key: its PEM (what the tenant uploads) and its public key (what Apple keeps). */
  signingKey(): { pem: string; publicKey: KeyObject };
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA key and self-signed certificate named `name` in `dir`. */
function makeCa(dir: string, name: string, cn: string): void {
  openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "2", "-subj", `/CN=${cn}`]);
}

/** Signs `csr` with the CA `ca`, with the extensions in `ext` (an openssl extension file's text). */
function sign(dir: string, ca: string, csr: string, out: string, ext: string): void {
  const extFile = `${out}.ext`;
  writeFileSync(join(dir, extFile), ext);
  openssl(dir, ["x509", "-req", "-in", csr, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", out, "-days", "2", "-extfile", extFile]);
}

/** Makes the test CA and the server certificate; push certificates and .p8 keys are made on demand. */
export function makeApnsTestPki(): ApnsTestPki {
  const dir = mkdtempSync(join(tmpdir(), "apns-pki-"));
  makeCa(dir, "ca", "push-mfa test CA");
  makeCa(dir, "rogue", "A CA nobody trusts");
  openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
  sign(dir, "ca", "server.csr", "server.crt", "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
  let n = 0;
  return {
    caPem: readFileSync(join(dir, "ca.crt"), "utf8"),
    server: { keyPem: readFileSync(join(dir, "server.key"), "utf8"), certPem: readFileSync(join(dir, "server.crt"), "utf8") },
    pushCertificate(bundleId, o = {}) {
      const name = `push-${++n}`;
      // Apple's push certificates are RSA 2048 with the bundle id as the subject's UID.
      openssl(dir, ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/UID=${bundleId}/CN=Apple Push Services: ${bundleId}/OU=TEAM123456/O=Acme Inc./C=US`]);
      sign(dir, o.signedBy === "untrusted-ca" ? "rogue" : "ca", `${name}.csr`, `${name}.crt`, "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n");
      const pass = `pass:${o.passphrase ?? ""}`;
      openssl(dir, ["pkcs12", "-export", ...(o.legacy ? ["-legacy"] : []), "-inkey", `${name}.key`, "-in", `${name}.crt`, "-out", `${name}.p12`, "-passout", pass]);
      return readFileSync(join(dir, `${name}.p12`));
    },
    signingKey() {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      return { pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), publicKey };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
