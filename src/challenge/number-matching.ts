import { randomInt } from "node:crypto";

export type NumberMode = "Off" | "PickOne" | "Typed";

/**
 * Number matching against push fatigue: the page shows a two-digit number the user must pick (PickOne, among
 * three options on the phone) or type (Typed) when approving, so a blind "Approve" tap approves nothing.
 */
export function drawNumber(mode: NumberMode): { number: string; options: string } {
  if (mode === "Off") return { number: "", options: "" };
  const number = String(randomInt(10, 100));
  if (mode === "Typed") return { number, options: "" };
  const picks = new Set([number]);
  while (picks.size < 3) picks.add(String(randomInt(10, 100)));
  // Fisher–Yates with a CSPRNG, so the right answer's position says nothing.
  const options = [...picks];
  for (let i = options.length - 1; i > 0; i--) {
    const j = randomInt(0, i + 1);
    [options[i], options[j]] = [options[j]!, options[i]!];
  }
  return { number, options: options.join(",") };
}

/** The `challenge` value of the push data (contract 1.4): the options for PickOne, "typed" for Typed. */
export const pushChallengeValue = (mode: NumberMode, options: string): string | undefined =>
  mode === "PickOne" ? options : mode === "Typed" ? "typed" : undefined;
