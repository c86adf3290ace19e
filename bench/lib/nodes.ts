import { join } from "node:path";
import { startChild, type Child } from "./child.js";
import { benchLimits, deploymentEnv, type Deployment } from "./fixtures.js";
import { RESULTS_DIR } from "./report.js";

export const PROFILE_DIR = join(RESULTS_DIR, "profiles");

export interface NodeOptions {
  /** `--expose-gc`, so `mem` measures after a full collection. */
  exposeGc?: boolean;
  env?: Record<string, string>;
  raiseFileLimit?: boolean;
}

const flags = (o: NodeOptions): string[] => {
  const out: string[] = [];
  if (o.exposeGc) out.push("--expose-gc");
  return out;
};

/** A gateway (HTTP + Socket.IO) or worker process of the deployment, started as production starts it. */
export function startGatewayNode(d: Deployment, name: string, role: "gateway" | "worker" | "all", o: NodeOptions = {}): Promise<Child> {
  return startChild({
    name,
    module: "nodes/gateway-node.ts",
    args: [role, JSON.stringify(benchLimits)],
    env: deploymentEnv(d, o.env),
    nodeFlags: flags(o),
    raiseFileLimit: o.raiseFileLimit ?? true,
  });
}

/** A child of one of the bench's own modules (load generators, bare baselines). */
export function startBenchChild(name: string, module: string, args: string[] = [], o: NodeOptions = {}): Promise<Child> {
  return startChild({ name, module, args, env: o.env ?? {}, nodeFlags: flags(o), raiseFileLimit: o.raiseFileLimit ?? true });
}

export const url = (c: Child): string => String(c.info.url);

/**
 * With --cpu-prof, profile `child` while `fn` runs (the measured window only) into
 * bench/results/profiles/<scenario>-<label>.cpuprofile; without, just run `fn`.
 */
export async function profiled<T>(enabled: boolean, child: Child, label: string, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  await child.call("profileStart");
  try {
    return await fn();
  } finally {
    await child.call("profileStop", { file: join(PROFILE_DIR, `${label}.cpuprofile`) }).catch(() => undefined);
  }
}
