import { z } from "zod";
import { profileSchema } from "../accounts/account-store.js";
import type { Sealer } from "../crypto/sealed.js";
import { tokenTrioSchema } from "../sessions/session-store.js";
import type { Challenge } from "./challenge.js";

/** The login response of contract 1.2: what L4 answers and `push:status` carries once approved. */
export const loginResponseSchema = tokenTrioSchema.extend({ Profile: profileSchema });
export type LoginResponse = z.infer<typeof loginResponseSchema>;

/** The approved login is sealed under the master key, bound to its challenge, so any node can serve it. */
const context = (challengeId: string) => `login:${challengeId}`;

export const sealLogin = (sealer: Sealer, challengeId: string, login: LoginResponse): string =>
  sealer.seal(JSON.stringify(login), context(challengeId));

export const openLogin = (sealer: Sealer, c: Pick<Challenge, "id" | "loginSealed">): LoginResponse | null =>
  c.loginSealed ? (JSON.parse(sealer.open(c.loginSealed, context(c.id))) as LoginResponse) : null;
