/** The settings form names each field by its path in the settings object ("AWSsettings.Region"). */

/** The value at a dotted path, or undefined. */
export function valueAt(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const part of path.split(".")) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** Set the value at a dotted path, making the objects on the way. */
export function setAt(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let at = obj;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    at = typeof next === "object" && next !== null ? (next as Record<string, unknown>) : (at[part] = {});
  }
  at[parts.at(-1)!] = value;
}
