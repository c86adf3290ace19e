/**
 * Every Redis key the product uses, in one place. Keys that a Lua script or MULTI touches together share a
 * hash tag, so the same code runs on a Redis Cluster: everything about one user of one app (profile, devices,
 * challenges, pending pointer, lock) lives under `{u:<apikey>:<uid>}`, and an app's own records under
 * `{a:<apikey>}`. Lookups by a secret's hash are
 * single-key reads and carry no tag. No key ever contains a raw token, handle or secret.
 */
export type Keys = ReturnType<typeof createKeys>;

export function createKeys(prefix: string) {
  const user = (appId: string, uid: string) => `${prefix}:{u:${appId}:${uid}}`;
  const app = (appId: string) => `${prefix}:{a:${appId}}`;
  const tokenRef = (tokenHash: string) => `${prefix}:tok:${tokenHash}`;
  const rateLimit = (name: string) => `${prefix}:rl:${name}`;
  return {
    prefix,
    /** Hash: the app record (secret hash, name). */
    app: (appId: string) => `${app(appId)}:app`,
    /** Set of every apikey, for the admin CLI. */
    apps: () => `${prefix}:apps`,
    /** String: the deployment's VAPID private key (Web Push, contract 2.7), sealed; one for every app. */
    vapidKey: () => `${prefix}:vapid-key`,
    /** String: the app's push settings, secrets sealed. */
    settings: (appId: string) => `${app(appId)}:settings`,
    /** String: uid of the account with this email, username or phone. */
    identity: (appId: string, kind: "email" | "username" | "phone", value: string) =>
      `${prefix}:id:${appId}:${kind}:${value}`,
    /** Hash: profile JSON and password hash. */
    profile: (appId: string, uid: string) => `${user(appId, uid)}:profile`,
    /** Hash: deviceId → device JSON (token sealed). */
    devices: (appId: string, uid: string) => `${user(appId, uid)}:devices`,
    /** String: id of the user's pending challenge. */
    pending: (appId: string, uid: string) => `${user(appId, uid)}:pending`,
    /** String: set while pushes to the user are locked after a "not me" answer (error 1198). */
    lock: (appId: string, uid: string) => `${user(appId, uid)}:lock`,
    /**
     * String: wrong passwords typed with one identifier (see `identifierRef`), whether or not an account has it,
     * counted toward its lockout and expiring with it. Shares a hash tag with `loginLock`.
     */
    loginFailures: (appId: string, identifierRef: string) => `${prefix}:{l:${appId}:${identifierRef}}:pwfail`,
    /** String: set while an identifier is locked out after too many wrong passwords (error 1198). */
    loginLock: (appId: string, identifierRef: string) => `${prefix}:{l:${appId}:${identifierRef}}:pwlock`,
    /** List: the user's latest challenges (JSON: id, time, browser, location, test), newest first, bounded (console). */
    userChallenges: (appId: string, uid: string) => `${user(appId, uid)}:recent`,
    /** Hash: challenge id → its outcome, for the challenges of `userChallenges` (trimmed with it). */
    userOutcomes: (appId: string, uid: string) => `${user(appId, uid)}:outcomes`,
    /** Hash: one challenge. */
    challenge: (appId: string, uid: string, challengeId: string) => `${user(appId, uid)}:ch:${challengeId}`,
    /** String: where the challenge of this browser-token hash is. */
    tokenRef,
    /**
     * String: L4 polls of this browser-token hash in the current window, under the `pingPerToken` limit's prefix.
     * Its hash tag is the whole `tokenRef` key (which has none), so both land in one cluster slot and one script
     * counts and looks up.
     */
    tokenPolls: (tokenHash: string) => `${rateLimit("pingPerToken")}:{${tokenRef(tokenHash)}}`,
    /** String: where the challenge of this device-handle hash is. */
    handleRef: (handleHash: string) => `${prefix}:hdl:${handleHash}`,
    /** String: session JSON by access-token hash. */
    session: (tokenHash: string) => `${prefix}:sess:${tokenHash}`,
    /**
     * String: the uid and challenge of an approved step-up or backend's own challenge (L12, contract 2.12), by the
     * validation token's hash; per app, so another app's check never finds (or spends) it. Consumed with GETDEL.
     */
    validation: (appId: string, tokenHash: string) => `${prefix}:vt:${appId}:${tokenHash}`,
    /** String: session JSON by refresh-token hash. */
    refresh: (tokenHash: string) => `${prefix}:rfr:${tokenHash}`,
    /** String: set once a provider accepted this delivery, so a job that runs again does not push twice. */
    delivered: (deliveryId: string) => `${prefix}:delivered:${deliveryId}`,
    /** String: pending enrollment by enrollment-token hash; consumed with GETDEL. */
    enrollment: (tokenHash: string) => `${prefix}:enr:${tokenHash}`,
    /**
     * String: the QR image of one enrollment (L11), by the hash of its reference (the login's 2FA token, or for L9
     * an opaque reference of its own): the enrollment token's hash and the enrollment URL, sealed.
     */
    enrollmentQr: (referenceHash: string) => `${prefix}:enrqr:${referenceHash}`,
    /** Set: keyed hashes of the user's unused backup codes (L13–L16); a code is used up with SREM. */
    backupCodes: (appId: string, uid: string) => `${user(appId, uid)}:backup`,
    /**
     * String: wrong backup codes tested for the user (L16) within LOGIN_LOCK_SECONDS, counted in the same script that
     * tests a code, so parallel guesses cannot race past the lockout; an admin's unlock clears it.
     */
    backupCodeFailures: (appId: string, uid: string) => `${user(appId, uid)}:backupfail`,
    /** String: the app and secret version a management bearer token (by its hash) belongs to; expires with it. */
    managementToken: (tokenHash: string) => `${prefix}:mgt:${tokenHash}`,
    /**
     * String: set while a signed request (by its digest's hash) that mints a credential (L15, POST /v2/manage/token)
     * has been used once; expires with the signature, so a captured one cannot be replayed.
     */
    usedSignature: (appId: string, digestHash: string) => `${prefix}:sigused:${appId}:${digestHash}`,
    /** String: development-only generated master key. */
    devMasterKey: () => `${prefix}:dev:master-key`,
    /** String: development-only demo app credentials (secret sealed). */
    devDemoApp: () => `${prefix}:dev:demo-app`,
    /** String: the app's server key that signs push data (contract 2.9), sealed. */
    serverKey: (appId: string) => `${app(appId)}:server-key`,
    /** String: set while the app's push provider is known to be misconfigured (error 1298). */
    providerBroken: (appId: string) => `${app(appId)}:provider-broken`,
    /** Sorted set (all scores 0): the app's users by normalized email, username and uid, for the console's prefix search. */
    userIndex: (appId: string) => `${app(appId)}:users`,
    /** Hash: the console's counters for one minute or one hour (`m:<epoch minute>`, `h:<epoch hour>`), expiring. */
    statsBucket: (appId: string, bucket: string) => `${app(appId)}:stats:${bucket}`,
    /** Stream: the app's audit events, bounded. */
    audit: (appId: string) => `${app(appId)}:audit`,
    /** Set of `uid|deviceId` enrolled in this app with the key of this fingerprint (one phone may hold several accounts). */
    devicesByKey: (appId: string, keyFingerprint: string) => `${prefix}:devkey:${appId}:${keyFingerprint}`,
    /** Sorted set: socket id → until when (ms) that `/device` socket of the device is known to be connected. */
    devicePresence: (appId: string, deviceId: string) => `${prefix}:devsock:${appId}:${deviceId}`,
    /** String: set for a while after the device left a push unacknowledged; its socket is not used meanwhile. */
    deviceMuted: (appId: string, deviceId: string) => `${prefix}:devmute:${appId}:${deviceId}`,
    /** String: this delivery's ack over the device's socket, awaited ("0", made by the worker) or received ("1"). */
    deviceAck: (deliveryId: string) => `${prefix}:devack:${deliveryId}`,
    /** String: this signed timestamp was used with the key of this fingerprint (contract 2.8's replay rule). */
    signedTimestamp: (keyFingerprint: string, timestamp: string) => `${prefix}:sigts:${keyFingerprint}:${timestamp}`,
    /** String: the apikey of the internal app whose accounts are the console's named admins (issue 16, contract 2.14). */
    consoleAdminApp: () => `${prefix}:console:admin-app`,
    /** Hash: a console admin's role and app scope, by the uid of their account in the internal app. */
    consoleAdmin: (uid: string) => `${prefix}:console:admin:${uid}`,
    /** Set of every console admin's uid, for the admin CLI's list. */
    consoleAdmins: () => `${prefix}:console:admins`,
    /** String: a console session (admin uid, absolute end) by the hash of its cookie's id. */
    consoleSession: (idHash: string) => `${prefix}:console:sess:${idHash}`,
    /** Prefix of one rate-limiter-flexible limiter (`name`: a limit of rate-limits.ts, or the worker's `push-app`). */
    rateLimit,
    /** Prefix for BullMQ queues (queue names carry their own hash tag). */
    queues: () => `${prefix}:bull`,
    /** Prefix of the Socket.IO adapter's and emitters' pub/sub channels, so two deployments on one Redis never hear each other. */
    socketChannels: () => `${prefix}:sio`,
  };
}
