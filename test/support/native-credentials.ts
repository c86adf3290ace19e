import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Credential files of the Native service (contract 1.5) made at run time, as their real issuers shape them: a
 * Firebase service-account JSON with a fresh RSA key, Apple-style APNs push certificates exported as PKCS#12 by
 * `openssl` (modern, legacy RC2/3DES, without its key, expired), and a P-256 .p8 key. Nothing is checked in.
 */
export interface NativeCredentials {
  /** Where the files are, for a browser upload. */
  dir: string;
  /** The service account as Firebase's "Generate new private key" writes it. */
  serviceAccount: Record<string, string>;
  /** Its JSON text, as `ServiceJson` carries it. */
  serviceJson: string;
  /** A .p8 APNs key (PKCS#8 PEM, P-256). */
  p8: string;
  bundleId: string;
  /** The password of the .p12 files that have one. */
  password: string;
  p12: {
    /** AES-256, with `password`. */
    modern: Buffer;
    /** AES-256, no password (as a LoginRadius-shaped body without ApnsCertificatePassword sends it). */
    noPassword: Buffer;
    /** `openssl pkcs12 -legacy` (RC2-40 and 3DES), with `password`. */
    legacy: Buffer;
    /** Certificate only, with `password`. */
    withoutKey: Buffer;
    /** Key and a certificate whose validity ended in 2020, with `password`. */
    expired: Buffer;
  };
  /** Path of a file written in `dir`. */
  path(name: string): string;
  /** Remove the files. */
  remove(): void;
}

const openssl = (cwd: string, ...args: string[]) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

/** Make every file once per test file (RSA keys take a moment). `tokenUri` goes into the service account. */
export function makeNativeCredentials(o: { tokenUri: string; bundleId?: string }): NativeCredentials {
  const dir = mkdtempSync(join(tmpdir(), "pmg-native-"));
  const bundleId = o.bundleId ?? "com.acme.authenticator";
  const password = `p12-${randomBytes(6).toString("hex")}`;

  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const projectId = `acme-push-${randomBytes(3).toString("hex")}`;
  const serviceAccount = {
    type: "service_account",
    project_id: projectId,
    private_key_id: randomBytes(20).toString("hex"),
    private_key: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    client_email: `firebase-adminsdk-test@${projectId}.iam.gserviceaccount.com`,
    client_id: String(100_000_000_000_000_000_000n + BigInt(randomBytes(4).readUInt32BE())),
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: o.tokenUri,
    auth_provider_x509_cert_url: "https://www.googleapis.com/oauth2/v1/certs",
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/firebase-adminsdk-test%40${projectId}.iam.gserviceaccount.com`,
    universe_domain: "googleapis.com",
  };
  const serviceJson = `${JSON.stringify(serviceAccount, null, 2)}\n`;
  writeFileSync(join(dir, "service-account.json"), serviceJson);

  const p8 = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  writeFileSync(join(dir, "AuthKey_ABCDE12345.p8"), p8);

  // A CA standing in for Apple's WWDR, and a push certificate with Apple's subject shape.
  openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=Test WWDR CA", "-days", "2");
  openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "push.key", "-out", "push.csr", "-subj", `/UID=${bundleId}/CN=Apple Push Services: ${bundleId}`);
  openssl(dir, "x509", "-req", "-in", "push.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "push.crt", "-days", "2");
  const pass = `pass:${password}`;
  openssl(dir, "pkcs12", "-export", "-inkey", "push.key", "-in", "push.crt", "-certfile", "ca.crt", "-passout", pass, "-out", "modern.p12");
  openssl(dir, "pkcs12", "-export", "-inkey", "push.key", "-in", "push.crt", "-passout", "pass:", "-out", "no-password.p12");
  openssl(dir, "pkcs12", "-export", "-legacy", "-inkey", "push.key", "-in", "push.crt", "-certfile", "ca.crt", "-passout", pass, "-out", "legacy.p12");
  openssl(dir, "pkcs12", "-export", "-nokeys", "-in", "push.crt", "-passout", pass, "-out", "without-key.p12");
  // `openssl ca` is the one tool here that sets a certificate's dates: an expired one needs a validity in the past.
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "01\n");
  writeFileSync(
    join(dir, "ca.cnf"),
    "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n",
  );
  openssl(dir, "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.crt", "-keyfile", "ca.key", "-in", "push.csr", "-out", "expired.crt", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-notext");
  openssl(dir, "pkcs12", "-export", "-inkey", "push.key", "-in", "expired.crt", "-passout", pass, "-out", "expired.p12");

  const file = (name: string) => readFileSync(join(dir, name));
  return {
    dir,
    serviceAccount,
    serviceJson,
    p8,
    bundleId,
    password,
    p12: {
      modern: file("modern.p12"),
      noPassword: file("no-password.p12"),
      legacy: file("legacy.p12"),
      withoutKey: file("without-key.p12"),
      expired: file("expired.p12"),
    },
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A service account JSON like `base`'s with some fields changed (or removed, given undefined). */
export function serviceJsonWith(base: Record<string, string>, changes: Record<string, string | undefined>): string {
  const out: Record<string, string> = { ...base };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return JSON.stringify(out);
}
