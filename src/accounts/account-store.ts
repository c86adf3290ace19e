import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { hashPassword } from "../crypto/passwords.js";
import type { Keys } from "../keys.js";
import type { RedisClient } from "../redis.js";
import { normalizeIdentifier, type IdentifierKind } from "./identifiers.js";
import { indexAccount } from "./user-index.js";

export type { IdentifierKind } from "./identifiers.js";

/** The profile as LoginRadius answers it (the subset this gateway keeps). */
export const profileSchema = z.object({
  Uid: z.string(),
  ID: z.string(),
  Email: z.array(z.object({ Type: z.string(), Value: z.string() })),
  EmailVerified: z.boolean(),
  IsActive: z.boolean(),
  IsDeleted: z.boolean(),
  UserName: z.string().nullable(),
  PhoneId: z.string().nullable(),
  FirstName: z.string().nullable(),
  CreatedDate: z.string(),
  Identities: z.null(),
  IsPasswordBreached: z.boolean(),
});
export type Profile = z.infer<typeof profileSchema>;

export interface NewAccount {
  email: string;
  password: string;
  userName?: string | undefined;
  phoneId?: string | undefined;
  firstName?: string | undefined;
}

export interface AccountStore {
  create(appId: string, input: NewAccount): Promise<Profile>;
  /** The uid of the account with this identifier, as typed (it is normalized here). */
  findUid(appId: string, kind: IdentifierKind, value: string): Promise<string | null>;
  get(appId: string, uid: string): Promise<{ profile: Profile; passwordHash: string } | null>;
}

/** The fields of a user's profile hash that make their account, in the order `accountOf` takes them. */
export const ACCOUNT_FIELDS = ["profile", "password"] as const;

/** An account from its profile hash's `profile` and `password` fields; null when either is missing. */
export const accountOf = (profile: string | null, passwordHash: string | null): { profile: Profile; passwordHash: string } | null =>
  profile && passwordHash ? { profile: JSON.parse(profile) as Profile, passwordHash } : null;

const hex32 = () => randomUUID().replaceAll("-", "");

export function createAccountStore(redis: RedisClient, keys: Keys, now: () => Date = () => new Date()): AccountStore {
  return {
    async create(appId, input) {
      const uid = hex32();
      const wanted: Array<[IdentifierKind, string]> = [["email", input.email]];
      if (input.userName) wanted.push(["username", input.userName]);
      if (input.phoneId) wanted.push(["phone", input.phoneId]);
      // Reserve every identifier first (SET NX: the first writer wins), and give them back if one is taken.
      const reserved: string[] = [];
      for (const [kind, value] of wanted) {
        const key = keys.identity(appId, kind, normalizeIdentifier(kind, value));
        if ((await redis.set(key, uid, "NX")) !== "OK") {
          if (reserved.length) await Promise.all(reserved.map((k) => redis.del(k)));
          throw new ApiError(936, kind === "email" ? {} : { description: `The ${kind} is already registered.` });
        }
        reserved.push(key);
      }
      const profile: Profile = {
        Uid: uid,
        ID: hex32(),
        Email: [{ Type: "Primary", Value: input.email }],
        EmailVerified: true,
        IsActive: true,
        IsDeleted: false,
        UserName: input.userName ?? null,
        PhoneId: input.phoneId ?? null,
        FirstName: input.firstName ?? null,
        CreatedDate: now().toISOString(),
        Identities: null,
        IsPasswordBreached: false,
      };
      await redis.hset(keys.profile(appId, uid), {
        profile: JSON.stringify(profile),
        password: await hashPassword(input.password),
      });
      await indexAccount(redis, keys, appId, uid, profile);
      return profile;
    },
    findUid: (appId, kind, value) => redis.get(keys.identity(appId, kind, normalizeIdentifier(kind, value))),
    async get(appId, uid) {
      const [profile, passwordHash] = await redis.hmget(keys.profile(appId, uid), ...ACCOUNT_FIELDS);
      return accountOf(profile ?? null, passwordHash ?? null);
    },
  };
}
