// Search by meaning over the caller's history, the matched passage marked; a banner says when
// the keyword fallback answered instead of Vector Search.

import { h, highlighted, setTitle, show, timeEl } from "../dom";
import type { Context } from "../main";

export async function searchPage(ctx: Context): Promise<void> {
  setTitle("Search");
  const q = ctx.params.get("q")?.trim() ?? "";
  const input = h("input", { id: "q", name: "q", type: "search", value: q, required: true });
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      onsubmit: (event: Event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (text) location.hash = `#/search?q=${encodeURIComponent(text)}`;
      },
    },
    h("div", { class: "field grow" }, h("label", { for: "q" }, "Search your conversations by meaning"), input),
    h("button", { type: "submit", class: "primary" }, "Search"),
  );
  const results = h("ol", { class: "results", "aria-label": "Results" });
  const banner = h("p", { class: "banner warn", role: "status", hidden: true });
  show(h("h1", {}, "Search"), form, banner, results);
  if (!q) return;

  const answer = await ctx.client.search({ query: q, limit: 20 });
  if (ctx.signal.aborted) return;
  if (answer.degraded) {
    banner.textContent = `Degraded: keyword search answered instead of search by meaning${answer.reason ? ` (${answer.reason})` : ""}.`;
    banner.hidden = false;
  }
  for (const r of answer.results) {
    results.append(
      h(
        "li",
        { class: "result", "data-message-id": r.message_id },
        h(
          "p",
          { class: "meta" },
          h("a", { href: `#/sessions/${encodeURIComponent(r.session_id)}` }, "Open conversation"),
          ` · ${r.role} · `,
          timeEl(r.created_at),
          ` · score ${r.score.toFixed(3)}`,
        ),
        h("blockquote", {}, highlighted(r.snippet || r.content, q)),
      ),
    );
  }
  if (!answer.results.length) results.append(h("li", { class: "empty" }, `Nothing matches “${q}”.`));
}
