/** Progress on stderr (the table goes to stdout): a line per step, and a line every few seconds while waiting. */

const started = Date.now();
const stamp = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s]`;

export function say(scenario: string, message: string): void {
  process.stderr.write(`${stamp()} ${scenario}: ${message}\n`);
}

/** Print `status()` every `everyMs` until stopped. */
export function ticker(scenario: string, status: () => string, everyMs = 3000): { stop(): void } {
  const timer = setInterval(() => say(scenario, status()), everyMs);
  return { stop: () => clearInterval(timer) };
}

/** Wait `ms`, saying how long is left every few seconds. */
export async function hold(scenario: string, what: string, ms: number, extra: () => string = () => ""): Promise<void> {
  const end = Date.now() + ms;
  const t = ticker(scenario, () => `${what}: ${Math.max(0, Math.round((end - Date.now()) / 1000))} s left${extra() ? `, ${extra()}` : ""}`, 5000);
  await new Promise((r) => setTimeout(r, ms));
  t.stop();
}
