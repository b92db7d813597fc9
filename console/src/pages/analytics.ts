// Analytics as charts (Chart.js): activity over time at hour/day/week, tokens and latency,
// top topics, messages by role; the tenant's whole scope for admins. Each chart also has its
// numbers as a table, for screen readers and for copying.

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import type { Analytics, Granularity, Scope } from "../api";
import { errorText, h, setTitle, show } from "../dom";
import type { Context } from "../main";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);

// Colours with at least 3:1 contrast on white (WCAG's bar for graphics).
const COLORS = ["#1a56db", "#b42318", "#05603a", "#7a2e98", "#8a4b00", "#0e6e7e"];
const RANGES: Record<string, { label: string; hours: number }> = {
  "24h": { label: "Last 24 hours", hours: 24 },
  "7d": { label: "Last 7 days", hours: 24 * 7 },
  "30d": { label: "Last 30 days", hours: 24 * 30 },
  "90d": { label: "Last 90 days", hours: 24 * 90 },
  "365d": { label: "Last 365 days", hours: 24 * 365 },
};
const DEFAULT_RANGE: Record<Granularity, string> = { hour: "24h", day: "30d", week: "365d" };
// Series fields drawn as activity; any other numeric field of a period (tokens, latency, when
// the API has them) gets a chart of its own.
const ACTIVITY = ["messages", "sessions", "users"];

declare global {
  interface Window {
    /** The charts on the page, by name: for automation and debugging in the devtools. */
    hsCharts?: Record<string, Chart>;
  }
}

function periodLabel(iso: string, granularity: Granularity): string {
  const date = new Date(iso);
  if (granularity === "hour") {
    return date.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }
  return date.toLocaleDateString(undefined, { month: "short", day: "numeric", ...(granularity === "week" ? { year: "numeric" } : {}) });
}

interface Figure {
  name: string;
  title: string;
  type: "line" | "bar";
  labels: string[];
  datasets: { label: string; data: number[] }[];
  horizontal?: boolean;
}

function dataTable(figure: Figure): HTMLElement {
  return h(
    "details",
    {},
    h("summary", {}, `${figure.title}: the numbers`),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        {},
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, ""), ...figure.datasets.map((d) => h("th", { scope: "col" }, d.label)))),
        h(
          "tbody",
          {},
          ...figure.labels.map((label, i) =>
            h("tr", {}, h("th", { scope: "row" }, label), ...figure.datasets.map((d) => h("td", {}, d.data[i] ?? 0))),
          ),
        ),
      ),
    ),
  );
}

function draw(figure: Figure, charts: Record<string, Chart>): HTMLElement {
  const canvas = h("canvas", {
    role: "img",
    "aria-label": `${figure.title}. ${figure.datasets.map((d) => d.label).join(", ")}; the numbers are in the table below.`,
    "data-chart": figure.name,
  });
  const config: ChartConfiguration<"line" | "bar"> = {
    type: figure.type,
    data: {
      labels: figure.labels,
      datasets: figure.datasets.map((d, i) => ({
        label: d.label,
        data: d.data,
        borderColor: COLORS[i % COLORS.length],
        backgroundColor: COLORS[i % COLORS.length],
        pointRadius: figure.labels.length > 60 ? 0 : 3,
        tension: 0.2,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      indexAxis: figure.horizontal ? "y" : "x",
      plugins: { legend: { position: "bottom" } },
      scales: {
        [figure.horizontal ? "x" : "y"]: { beginAtZero: true, ticks: { precision: 0 } },
        [figure.horizontal ? "y" : "x"]: { ticks: { autoSkip: true, maxRotation: 0 } },
      },
    },
  };
  const section = h(
    "section",
    { class: "card chart", "aria-labelledby": `chart-${figure.name}` },
    h("h2", { id: `chart-${figure.name}` }, figure.title),
    h("div", { class: "canvas-box" }, canvas),
    dataTable(figure),
  );
  // Drawn once the canvas is in the document, so it has a size.
  queueMicrotask(() => {
    charts[figure.name] = new Chart(canvas, config);
  });
  return section;
}

function figures(data: Analytics, granularity: Granularity): Figure[] {
  const labels = data.series.map((p) => periodLabel(p.period, granularity));
  const numeric = (field: string) => data.series.some((p) => typeof p[field] === "number");
  const out: Figure[] = [
    {
      name: "activity",
      title: `Activity per ${granularity}`,
      type: "line",
      labels,
      datasets: ACTIVITY.filter(numeric).map((field) => ({
        label: field[0].toUpperCase() + field.slice(1),
        data: data.series.map((p) => Number(p[field] ?? 0)),
      })),
    },
  ];
  const extra = Object.keys(data.series[0] ?? {}).filter((f) => f !== "period" && !ACTIVITY.includes(f) && numeric(f));
  const tokens = extra.filter((f) => f.includes("token"));
  const latency = extra.filter((f) => f.includes("latency"));
  for (const [name, title, fields] of [
    ["tokens-over-time", `Tokens per ${granularity}`, tokens],
    ["latency-over-time", `Reply latency (ms) per ${granularity}`, latency],
  ] as const) {
    if (fields.length) {
      out.push({
        name,
        title,
        type: "line",
        labels,
        datasets: fields.map((f) => ({ label: f.replace(/_/g, " "), data: data.series.map((p) => Number(p[f] ?? 0)) })),
      });
    }
  }
  const models = data.by_model ?? [];
  if (models.length) {
    out.push(
      {
        name: "tokens-by-model",
        title: "Tokens by model",
        type: "bar",
        labels: models.map((m) => m.model),
        datasets: [
          { label: "Input tokens", data: models.map((m) => m.input_tokens ?? 0) },
          { label: "Output tokens", data: models.map((m) => m.output_tokens ?? 0) },
        ],
      },
      {
        name: "latency-by-model",
        title: "Reply latency by model (ms)",
        type: "bar",
        labels: models.map((m) => m.model),
        datasets: [
          { label: "p50", data: models.map((m) => Math.round(m.latency_ms_p50 ?? 0)) },
          { label: "p95", data: models.map((m) => Math.round(m.latency_ms_p95 ?? 0)) },
        ],
      },
    );
  }
  const topics = data.top_topics ?? [];
  if (topics.length) {
    out.push({
      name: "topics",
      title: "Top topics",
      type: "bar",
      horizontal: true,
      labels: topics.map((t) => t.phrase),
      datasets: [{ label: "Sessions", data: topics.map((t) => t.sessions) }],
    });
  }
  const roles = Object.entries(data.roles ?? {});
  if (roles.length) {
    out.push({
      name: "roles",
      title: "Messages by role",
      type: "bar",
      labels: roles.map(([role]) => role),
      datasets: [{ label: "Messages", data: roles.map(([, n]) => n) }],
    });
  }
  return out;
}

export async function analyticsPage(ctx: Context): Promise<void> {
  setTitle("Analytics");
  const granularity = (ctx.params.get("granularity") as Granularity) || "day";
  const range = ctx.params.get("range") && RANGES[ctx.params.get("range")!] ? ctx.params.get("range")! : DEFAULT_RANGE[granularity];
  const scope = (ctx.params.get("scope") as Scope) || "user";

  const select = (id: string, label: string, value: string, options: [string, string][]) =>
    h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      h("select", { id, name: id }, ...options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))),
    );
  const controls = h(
    "form",
    {
      class: "filters",
      "aria-label": "Analytics range",
      onsubmit: (event: Event) => {
        event.preventDefault();
        const form = new FormData(event.target as HTMLFormElement);
        const query = new URLSearchParams();
        for (const [k, v] of form) query.set(k, String(v));
        location.hash = `#/analytics?${query}`;
      },
    },
    select("granularity", "Per", granularity, [
      ["hour", "Hour"],
      ["day", "Day"],
      ["week", "Week"],
    ]),
    select("range", "Range", range, Object.entries(RANGES).map(([k, r]) => [k, r.label])),
    ctx.identity.admin !== false
      ? select("scope", "Scope", scope, [
          ["user", "My conversations"],
          ["tenant", "Whole tenant (admins)"],
        ])
      : null,
    h("button", { type: "submit" }, "Show"),
  );
  const body = h("div", { class: "charts", "aria-busy": "true" });
  show(h("h1", {}, "Analytics"), controls, body);

  const until = new Date();
  const since = new Date(until.getTime() - RANGES[range].hours * 3600_000);
  let data: Analytics;
  try {
    data = await ctx.client.analytics({ since: since.toISOString(), until: until.toISOString(), granularity, scope });
  } catch (err) {
    body.removeAttribute("aria-busy");
    body.replaceChildren(h("p", { class: "banner error", role: "alert" }, `Analytics are not available: ${errorText(err)}`));
    return;
  }
  if (ctx.signal.aborted) return;
  for (const chart of Object.values(window.hsCharts ?? {})) chart.destroy();
  const charts: Record<string, Chart> = {};
  window.hsCharts = charts;
  const t = data.totals;
  body.removeAttribute("aria-busy");
  body.replaceChildren(
    h(
      "dl",
      { class: "totals" },
      ...(
        [
          ["Messages", t.messages],
          ["Sessions", t.sessions],
          ["Users", t.users],
          ["Messages per session", t.messages_per_session],
          ["Input tokens", t.input_tokens],
          ["Output tokens", t.output_tokens],
        ] as [string, number | undefined][]
      )
        .filter(([, v]) => v !== undefined)
        .map(([label, value]) => h("div", {}, h("dt", {}, label), h("dd", {}, value!.toLocaleString()))),
    ),
    ...figures(data, granularity).map((figure) => draw(figure, charts)),
  );
}
