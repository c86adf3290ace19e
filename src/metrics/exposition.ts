import type { Queue } from "bullmq";
import type { Metrics } from "./metrics.js";

/**
 * What /metrics serves: this process's registry, then BullMQ's own metrics of each queue, as ONE valid
 * Prometheus text exposition. BullMQ's `exportPrometheusMetrics` writes the HELP and TYPE of its families per
 * queue, so two queues' texts simply concatenated declare each family twice, which Prometheus refuses (and a
 * `queue` global label on top of its own would duplicate the label): merge them instead.
 */
export async function metricsText(metrics: Metrics, queues: Queue[]): Promise<string> {
  const texts = [await metrics.registry.metrics()];
  for (const queue of queues) texts.push(await queue.exportPrometheusMetrics());
  return mergeExpositions(texts);
}

/** Several text expositions as one: each family's HELP and TYPE once, then all of its samples, in first-seen order. */
export function mergeExpositions(texts: string[]): string {
  const families = new Map<string, { help?: string; type?: string; samples: string[] }>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const text of texts) {
    // Samples belong to the family declared above them (a histogram's _bucket/_sum/_count lines included).
    let current: string | undefined;
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      const meta = /^#\s+(HELP|TYPE)\s+(\S+)/.exec(line);
      if (meta) {
        current = meta[2]!;
        const f = family(current);
        if (meta[1] === "HELP") f.help ??= line;
        else f.type ??= line;
        continue;
      }
      if (line.startsWith("#")) continue;
      family(current ?? /^[^{\s]+/.exec(line)![0]).samples.push(line);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    if (f.help) out.push(f.help);
    if (f.type) out.push(f.type);
    out.push(...f.samples);
  }
  return `${out.join("\n")}\n`;
}
