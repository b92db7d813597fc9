// Which features are live, degraded or off, and why (GET /v1/status).

import { h, setTitle, show } from "../dom";
import type { Context } from "../main";

const LABEL = { live: "Live", degraded: "Degraded", off: "Off" } as const;

export async function statusPage(ctx: Context): Promise<void> {
  setTitle("Status");
  const status = await ctx.client.status();
  if (ctx.signal.aborted) return;
  const rows = Object.entries(status.features).map(([feature, state]) =>
    h(
      "tr",
      { "data-feature": feature },
      h("th", { scope: "row" }, feature),
      h("td", {}, h("span", { class: `badge ${state.state}` }, LABEL[state.state] ?? state.state)),
      h("td", {}, state.reason ?? "—"),
    ),
  );
  show(
    h("h1", {}, "Status"),
    h(
      "table",
      { class: "status" },
      h("caption", {}, "State of each feature of the API"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Feature"), h("th", { scope: "col" }, "State"), h("th", { scope: "col" }, "Why"))),
      h("tbody", {}, ...rows),
    ),
    h(
      "p",
      { class: "hint" },
      "Summaries and memories have no API routes yet; the console shows them once they exist.",
    ),
  );
}
