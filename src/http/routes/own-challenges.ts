import { Router } from "express";
import { startOwnChallenge, validateOwnChallenge } from "../../login/own-challenge.js";
import type { Services } from "../../services.js";
import { requireAppWithSecret } from "../credentials.js";
import { parseBody } from "../request-input.js";
import { ownChallengeBody, validationBody } from "./schemas.js";

/** Contract 2.12: where a backend that checks passwords itself asks for a push, and checks the approval. */
export const OWN_CHALLENGE_PATH = "/v2/manage/push/challenge";
export const OWN_CHALLENGE_VALIDATE_PATH = "/v2/manage/push/challenge/validate";

/** Push challenges for a backend's own sign-in (management: apikey + apisecret). */
export function ownChallengeRoutes(s: Services): Router {
  const r = Router({ caseSensitive: false });

  r.post(OWN_CHALLENGE_PATH, async (req, res) => {
    const app = await requireAppWithSecret(s, req);
    const body = parseBody(ownChallengeBody, req.body);
    const client = { ip: req.ip ?? "", userAgent: typeof req.headers["user-agent"] === "string" ? req.headers["user-agent"] : "" };
    res.json(await startOwnChallenge(s, app, { uid: body.Uid, email: body.Email, message: body.Message, context: body.Context }, client));
  });

  r.post(OWN_CHALLENGE_VALIDATE_PATH, async (req, res) => {
    const app = await requireAppWithSecret(s, req);
    const body = parseBody(validationBody, req.body);
    res.json(await validateOwnChallenge(s, app, body.SecondFactorValidationToken));
  });

  return r;
}
