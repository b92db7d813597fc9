// Sessions, newest first: filter by status, find by title, page on, start a conversation.

import type { Session, SessionStatus } from "../api";
import { errorText, h, setTitle, show, timeEl } from "../dom";
import type { Context } from "../main";

const PAGE_SIZE = 20;
// The API pages by time, not by title: a title search reads this many recent sessions.
const TITLE_SCAN_PAGES = 10;
const TITLE_SCAN_PAGE_SIZE = 100;

export function sessionLabel(session: { title: string | null; session_id: string }): string {
  return session.title?.trim() || `Untitled (${session.session_id.slice(0, 8)})`;
}

function link(params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
  const text = query.toString();
  return `#/sessions${text ? `?${text}` : ""}`;
}

export async function sessionsPage(ctx: Context): Promise<void> {
  setTitle("Sessions");
  const status = (ctx.params.get("status") || undefined) as SessionStatus | undefined;
  const q = ctx.params.get("q")?.trim() || undefined;
  const pageToken = ctx.params.get("page") || undefined;

  const statusSelect = h(
    "select",
    { id: "status", name: "status" },
    ...[
      ["", "All"],
      ["active", "Active"],
      ["archived", "Archived"],
    ].map(([value, label]) => h("option", { value, selected: (status ?? "") === value }, label)),
  );
  const titleInput = h("input", { id: "title-q", name: "q", type: "search", value: q ?? "" });
  const filters = h(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": "Filter sessions",
      onsubmit: (event: Event) => {
        event.preventDefault();
        location.hash = link({ status: statusSelect.value, q: titleInput.value.trim() });
      },
    },
    h("div", { class: "field" }, h("label", { for: "status" }, "Status"), statusSelect),
    h("div", { class: "field grow" }, h("label", { for: "title-q" }, "Title contains"), titleInput),
    h("button", { type: "submit" }, "Apply"),
  );

  const message = h("textarea", { id: "first-message", name: "message", rows: 2, required: true });
  const sending = h("p", { class: "hint", role: "status" });
  const start = h(
    "form",
    {
      class: "card",
      "aria-labelledby": "start-title",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const text = message.value.trim();
        if (!text) return;
        sending.textContent = "Waiting for the reply…";
        try {
          const turn = await ctx.client.chat({ message: text });
          location.hash = `#/sessions/${encodeURIComponent(turn.session_id)}`;
        } catch (err) {
          sending.textContent = errorText(err);
        }
      },
    },
    h("h2", { id: "start-title" }, "Start a conversation"),
    h("div", { class: "field" }, h("label", { for: "first-message" }, "Your message"), message),
    h("button", { type: "submit", class: "primary" }, "Send"),
    sending,
  );

  const list = h("ul", { class: "sessions", "aria-label": "Sessions", "aria-busy": "true" });
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  const note = h("p", { class: "hint", role: "status" });
  show(h("h1", {}, "Sessions"), start, filters, note, list, pager);

  let sessions: Session[];
  let next: string | null | undefined;
  if (q) {
    ({ sessions, scanned: next } = await byTitle(ctx, q, status));
    note.textContent =
      `${sessions.length} session${sessions.length === 1 ? "" : "s"} with “${q}” in the title` +
      (next ? ` among the ${TITLE_SCAN_PAGES * TITLE_SCAN_PAGE_SIZE} most recent` : "");
    next = null;
  } else {
    const page = await ctx.client.listSessions({ page_size: PAGE_SIZE, page_token: pageToken, status });
    sessions = page.sessions;
    next = page.next_page_token;
  }
  if (ctx.signal.aborted) return;
  list.removeAttribute("aria-busy");
  if (!sessions.length) list.append(h("li", { class: "empty" }, "No sessions yet."));
  for (const s of sessions) {
    list.append(
      h(
        "li",
        { class: "session", "data-session-id": s.session_id },
        h("a", { href: `#/sessions/${encodeURIComponent(s.session_id)}` }, sessionLabel(s)),
        h("span", { class: `badge ${s.status}` }, s.status),
        h("span", { class: "meta" }, `${s.message_count} messages · updated `, timeEl(s.updated_at)),
      ),
    );
  }
  if (pageToken) pager.append(h("a", { href: link({ status }) }, "Newest"));
  if (next) pager.append(h("a", { href: link({ status, page: next }), rel: "next" }, "Older sessions"));
}

async function byTitle(
  ctx: Context,
  q: string,
  status: SessionStatus | undefined,
): Promise<{ sessions: Session[]; scanned: string | null }> {
  const needle = q.toLocaleLowerCase();
  const found: Session[] = [];
  let token: string | undefined;
  for (let i = 0; i < TITLE_SCAN_PAGES; i++) {
    const page = await ctx.client.listSessions({ page_size: TITLE_SCAN_PAGE_SIZE, page_token: token, status });
    found.push(...page.sessions.filter((s) => s.title?.toLocaleLowerCase().includes(needle)));
    token = page.next_page_token ?? undefined;
    if (!token || ctx.signal.aborted) break;
  }
  return { sessions: found, scanned: token ?? null };
}
