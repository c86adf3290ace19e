import { MASK, SECRET_FIELDS, type PushSettings } from "./push-settings.js";

/**
 * How a PUT body applies to the stored settings (contract 1.5), before the result is validated as a whole:
 * fields left out keep their value, nested objects merge field by field, a field sent as `null` is removed (it
 * takes a new app's value: a credential becomes "not set", QRCodeWidth 200), and a secret sent as the mask keeps
 * the stored one. Nothing of `current` is changed (it is shared, frozen).
 */
export function applySettingsInput(current: PushSettings, body: Record<string, unknown>, defaults: PushSettings): Record<string, unknown> {
  const before = current as unknown as Record<string, unknown>;
  const initial = defaults as unknown as Record<string, unknown>;
  const merged: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(before)) merged[k] = isPlainObject(v) ? { ...v } : v;
  for (const [k, v] of Object.entries(body)) {
    const was = merged[k];
    if (isPlainObject(v) && isPlainObject(was)) merged[k] = mergeGroup(was, v, isPlainObject(initial[k]) ? initial[k] : {});
    // A null for a field the settings do not have stays null, so validation names it.
    else merged[k] = v === null && k in initial ? copy(initial[k]) : v;
  }
  for (const { group, field } of SECRET_FIELDS) {
    const g = merged[group];
    if (isPlainObject(g) && g[field] === MASK) g[field] = (current[group] as Record<string, unknown>)[field];
  }
  return merged;
}

function mergeGroup(was: Record<string, unknown>, v: Record<string, unknown>, initial: Record<string, unknown>): Record<string, unknown> {
  const out = { ...was };
  for (const [f, value] of Object.entries(v)) out[f] = value === null && f in initial ? initial[f] : value;
  return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const copy = (v: unknown): unknown => (isPlainObject(v) ? { ...v } : v);
