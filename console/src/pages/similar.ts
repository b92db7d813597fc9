// The caller's other sessions closest in meaning to one session.

import { h, setTitle, show } from "../dom";
import type { Context } from "../main";
import { sessionLabel } from "./sessions";

export async function similarPage(ctx: Context, sessionId: string): Promise<void> {
  const session = await ctx.client.getSession(sessionId);
  setTitle(`Similar to ${sessionLabel(session)}`);
  const answer = await ctx.client.similarSessions(sessionId, { limit: 10 });
  if (ctx.signal.aborted) return;
  const list = h("ol", { class: "results", "aria-label": "Similar conversations" });
  for (const s of answer.sessions) {
    list.append(
      h(
        "li",
        { class: "result", "data-session-id": s.session_id },
        h("a", { href: `#/sessions/${encodeURIComponent(s.session_id)}` }, sessionLabel(s)),
        h("span", { class: "meta" }, ` similarity ${s.score.toFixed(3)}`),
        s.sample ? h("p", { class: "sample" }, s.sample) : null,
      ),
    );
  }
  if (!answer.sessions.length) list.append(h("li", { class: "empty" }, "No similar conversations yet."));
  show(
    h("p", { class: "crumbs" }, h("a", { href: `#/sessions/${encodeURIComponent(sessionId)}` }, `← ${sessionLabel(session)}`)),
    h("h1", {}, "Similar conversations"),
    h("p", { class: "hint" }, "Other sessions of yours closest in meaning to “", sessionLabel(session), "”."),
    answer.degraded
      ? h("p", { class: "banner warn", role: "status" }, "Degraded: Vector Search did not answer; this list may be incomplete.")
      : null,
    list,
  );
}
