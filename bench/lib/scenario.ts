import type { Child } from "./child.js";
import { deletePrefix } from "./fixtures.js";
import { say } from "./progress.js";
import type { ScenarioReport } from "./report.js";

export interface ScenarioContext {
  /** --quick / BENCH_QUICK=1: smaller counts and shorter holds, for a smoke run. */
  quick: boolean;
  /** --cpu-prof: gateway and worker processes run under `node --cpu-prof`; the report adds their profile. */
  cpuProf: boolean;
  /** Everything started is registered here and released in `finally`, whatever happened. */
  res: Resources;
}

export interface Scenario {
  id: number;
  name: string;
  title: string;
  run(ctx: ScenarioContext): Promise<ScenarioReport>;
}

/** Children to stop, Redis prefixes to delete, clients to close: released in reverse order at the end. */
export class Resources {
  private readonly steps: Array<{ what: string; fn: () => Promise<unknown> }> = [];

  constructor(private readonly scenario: string) {}

  child<T extends Child>(c: T): T {
    this.steps.push({ what: `stop ${c.name}`, fn: () => c.stop() });
    return c;
  }

  prefix(prefix: string): string {
    this.steps.push({ what: `delete ${prefix}:*`, fn: async () => say(this.scenario, `cleanup: ${await deletePrefix(prefix)} keys of ${prefix} deleted`) });
    return prefix;
  }

  onRelease(what: string, fn: () => Promise<unknown>): void {
    this.steps.push({ what, fn });
  }

  async release(): Promise<void> {
    // Children first (they hold the keys' users), then clients, then keys: reverse order of registration, but
    // every prefix deletion after every stop.
    const steps = this.steps.splice(0).reverse();
    const deletions = steps.filter((s) => s.what.startsWith("delete "));
    for (const s of steps.filter((x) => !x.what.startsWith("delete "))) {
      await s.fn().catch((err: unknown) => say(this.scenario, `cleanup: ${s.what} failed: ${(err as Error).message}`));
    }
    for (const s of deletions) await s.fn().catch((err: unknown) => say(this.scenario, `cleanup: ${s.what} failed: ${(err as Error).message}`));
  }
}
