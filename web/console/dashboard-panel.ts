/**
 * The dashboard: challenges by outcome over time, delivery by provider, answer time p50/p95, pushes per minute
 * and fraud reports, for the last hour, day or week, as SVG charts each with a text summary; refreshed like the
 * other live lists.
 */
import { byId as $ } from "../shared/page.js";
import type { StatsAnswer } from "../shared/wire.js";
import { STATS_PATH } from "./paths.js";
import { api, liveList, type Panel } from "./session.js";
import { rowBars, stackedBars, type Part } from "./svg-chart.js";

const OUTCOMES = [
  ["Approved", "approved", "c-approved"],
  ["Denied", "denied", "c-denied"],
  ["NotMe", "not me", "c-notme"],
  ["Expired", "expired", "c-expired"],
  ["Cancelled", "cancelled", "c-cancelled"],
] as const;

const PROVIDERS: Record<string, string> = { fcm: "FCM", apns: "APNs", sns: "AWS SNS", webhook: "Webhook", socket: "Device channel", webpush: "Web Push" };
const PERIOD: Record<StatsAnswer["Range"], { name: string; bucket: string }> = {
  hour: { name: "the last hour", bucket: "minute" },
  day: { name: "the last day", bucket: "hour" },
  week: { name: "the last week", bucket: "hour" },
};

const seconds = (ms: number | null) => (ms === null ? "over 15 min" : ms < 1000 ? `${ms} ms` : `${ms / 1000} s`);
const label = (iso: string, range: StatsAnswer["Range"]) =>
  range === "hour" ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : new Date(iso).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });

export function dashboardPanel(): Panel {
  const range = $<HTMLSelectElement>("dash-range");
  const list = liveList(
    async () => {
      const res = await api("GET", `${STATS_PATH}?range=${range.value}`);
      return res.ok ? (res.body as StatsAnswer) : null;
    },
    draw,
  );
  range.addEventListener("change", () => void list.refresh(true));

  function draw(s: StatsAnswer): void {
    const p = PERIOD[s.Range];
    const current = s.Buckets.at(-1);
    const parts = (b: StatsAnswer["Buckets"][number]): Part[] => OUTCOMES.map(([k, name, className]) => ({ name, className, value: b[k] }));
    const totals = OUTCOMES.map(([k, name]) => `${s.Totals[k]} ${name}`).join(", ");
    const now = current ? OUTCOMES.map(([k, name]) => `${current[k]} ${name}`).join(", ") : "nothing";
    const outcomes = stackedBars({
      id: "chart-outcomes",
      title: `Challenges by outcome, per ${p.bucket}, over ${p.name}`,
      summary: `Over ${p.name}: ${totals}. Current ${p.bucket}: ${now}.`,
      labels: s.Buckets.map((b) => label(b.Start, s.Range)),
      bars: s.Buckets.map(parts),
    });

    const pushes = s.Buckets.map((b) => b.Pushes);
    const total = pushes.reduce((a, b) => a + b, 0);
    const perMinute = (n: number) => (s.BucketSeconds === 60 ? n : Math.round((n / (s.BucketSeconds / 60)) * 100) / 100);
    const pushChart = stackedBars({
      id: "chart-pushes",
      title: `Pushes per minute over ${p.name}`,
      summary: `${total} pushes delivered over ${p.name}; busiest ${p.bucket}: ${perMinute(Math.max(0, ...pushes))} per minute; current ${p.bucket}: ${perMinute(pushes.at(-1) ?? 0)} per minute.`,
      labels: s.Buckets.map((b) => label(b.Start, s.Range)),
      bars: pushes.map((n) => [{ name: "pushes", className: "c-pushes", value: n }]),
      height: 80,
    });

    const delivery = rowBars({
      id: "chart-delivery",
      title: `Delivery by provider over ${p.name}`,
      summary: s.Delivery.length
        ? s.Delivery.map((d) => {
            const tried = d.Sent + d.Failed;
            return `${PROVIDERS[d.Provider] ?? d.Provider}: ${d.Sent} sent, ${d.Failed} failed, ${d.Retrying} retried${tried ? ` (${Math.round((d.Sent / tried) * 100)} % delivered)` : ""}`;
          }).join("; ") + "."
        : `No pushes over ${p.name}.`,
      rows: s.Delivery.map((d) => ({
        label: PROVIDERS[d.Provider] ?? d.Provider,
        parts: [
          { name: "sent", className: "c-approved", value: d.Sent },
          { name: "failed", className: "c-denied", value: d.Failed },
          { name: "retried", className: "c-expired", value: d.Retrying },
        ],
      })),
    });

    const a = s.AnswerTime;
    const answer = rowBars({
      id: "chart-answer",
      title: `Answer time (push sent to the page told) over ${p.name}`,
      summary: a.Count ? `Over ${a.Count} answers: half within ${seconds(a.P50Ms)}, 95 % within ${seconds(a.P95Ms)} (bucket bounds).` : `No answers over ${p.name}.`,
      rows: a.Count
        ? [
            { label: "p50", parts: [{ name: "ms", className: "c-pushes", value: a.P50Ms ?? 900_000 }], note: seconds(a.P50Ms) },
            { label: "p95", parts: [{ name: "ms", className: "c-pushes", value: a.P95Ms ?? 900_000 }], note: seconds(a.P95Ms) },
          ]
        : [],
    });

    const fraud = document.createElement("p");
    fraud.id = "fraud-reports";
    fraud.className = s.FraudReports ? "outcome-bad" : "";
    fraud.textContent = `Fraud reports ("not me") over ${p.name}: ${s.FraudReports}.`;
    $("dashboard").replaceChildren(outcomes, pushChart, delivery, answer, fraud);
  }

  return {
    open: (_settings, alive) => list.start(alive),
    close: () => {
      $("dashboard").replaceChildren();
      list.reset();
    },
  };
}
