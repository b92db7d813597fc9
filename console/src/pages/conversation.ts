// One conversation: its messages in order (replies with model, tokens and latency), new ones
// appearing as they are stored (polled), a composer, and rename / archive / delete.

import type { Message, Session } from "../api";
import { errorText, h, setTitle, show, timeEl, toast } from "../dom";
import type { Context } from "../main";
import { sessionLabel } from "./sessions";

const POLL_MS = 2000;
const PAGE_SIZE = 200;

function usage(m: Message): HTMLElement | null {
  if (m.role !== "assistant") return null;
  const parts = [
    m.model ? `model ${m.model}` : null,
    m.input_tokens != null ? `${m.input_tokens} tokens in` : null,
    m.output_tokens != null ? `${m.output_tokens} tokens out` : null,
    m.latency_ms != null ? `${Math.round(m.latency_ms)} ms` : null,
  ].filter(Boolean);
  return parts.length ? h("p", { class: "usage" }, parts.join(" · ")) : null;
}

function messageItem(m: Message): HTMLLIElement {
  return h(
    "li",
    { class: `message ${m.role}`, "data-seq": m.seq, "aria-label": `${m.role}, message ${m.seq + 1}` },
    h("p", { class: "role" }, h("strong", {}, m.role), " · ", timeEl(m.created_at)),
    h("p", { class: "content" }, m.content),
    usage(m),
  );
}

async function messagesFrom(ctx: Context, sessionId: string): Promise<Message[]> {
  const out: Message[] = [];
  let token: string | undefined;
  do {
    const page = await ctx.client.listMessages(sessionId, { page_size: PAGE_SIZE, page_token: token });
    out.push(...page.messages);
    token = page.next_page_token ?? undefined;
  } while (token && !ctx.signal.aborted);
  return out;
}

export async function conversationPage(ctx: Context, sessionId: string): Promise<void> {
  let session: Session = await ctx.client.getSession(sessionId);
  const heading = h("h1", {}, sessionLabel(session));
  setTitle(sessionLabel(session));
  const meta = h("p", { class: "meta" });
  const list = h("ol", { class: "messages", "aria-label": "Messages", "aria-live": "polite" });
  const shown = new Set<number>();

  const renderMeta = () => {
    heading.textContent = sessionLabel(session);
    meta.replaceChildren(
      h("span", { class: `badge ${session.status}` }, session.status),
      ` ${session.message_count} messages · started `,
      timeEl(session.created_at),
    );
    archive.textContent = session.status === "archived" ? "Unarchive" : "Archive";
  };
  const addMessages = (messages: Message[]) => {
    for (const m of messages) {
      if (shown.has(m.seq)) continue;
      shown.add(m.seq);
      list.append(messageItem(m));
    }
  };

  const titleInput = h("input", { id: "rename", name: "title", maxlength: 200 });
  const rename = h(
    "form",
    {
      class: "inline",
      hidden: true,
      "aria-label": "Rename",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        try {
          session = await ctx.client.updateSession(sessionId, { title: titleInput.value.trim() || null });
          rename.hidden = true;
          renderMeta();
          toast("Renamed");
        } catch (err) {
          toast(errorText(err));
        }
      },
    },
    h("label", { for: "rename" }, "New title"),
    titleInput,
    h("button", { type: "submit" }, "Save"),
    h("button", { type: "button", onclick: () => (rename.hidden = true) }, "Cancel"),
  );
  const archive = h("button", {
    type: "button",
    onclick: async () => {
      const status = session.status === "archived" ? "active" : "archived";
      try {
        session = await ctx.client.updateSession(sessionId, { status });
        renderMeta();
        toast(status === "archived" ? "Archived" : "Unarchived");
      } catch (err) {
        toast(errorText(err));
      }
    },
  });
  const actions = h(
    "div",
    { class: "actions" },
    h(
      "button",
      {
        type: "button",
        onclick: () => {
          titleInput.value = session.title ?? "";
          rename.hidden = false;
          titleInput.focus();
        },
      },
      "Rename",
    ),
    archive,
    h(
      "button",
      {
        type: "button",
        class: "danger",
        onclick: async () => {
          if (!window.confirm(`Delete “${sessionLabel(session)}” and all its messages?`)) return;
          try {
            await ctx.client.deleteSession(sessionId);
            toast("Deleted");
            location.hash = "#/sessions";
          } catch (err) {
            toast(errorText(err));
          }
        },
      },
      "Delete",
    ),
    h("a", { class: "button", href: `#/sessions/${encodeURIComponent(sessionId)}/similar` }, "Similar conversations"),
  );

  const input = h("textarea", { id: "reply", name: "message", rows: 2, required: true });
  const sending = h("p", { class: "hint", role: "status" });
  const composer = h(
    "form",
    {
      class: "card",
      "aria-label": "Send a message",
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (!text) return;
        sending.textContent = "Waiting for the reply…";
        try {
          const turn = await ctx.client.chat({ message: text, session_id: sessionId });
          input.value = "";
          sending.textContent = "";
          addMessages([turn.message, turn.reply]);
        } catch (err) {
          sending.textContent = errorText(err);
        }
      },
    },
    h("div", { class: "field" }, h("label", { for: "reply" }, "Message"), input),
    h("button", { type: "submit", class: "primary" }, "Send"),
    sending,
  );

  renderMeta();
  show(h("p", { class: "crumbs" }, h("a", { href: "#/sessions" }, "← Sessions")), heading, meta, actions, rename, list, composer);
  addMessages(await messagesFrom(ctx, sessionId));

  // New messages (another client, the API) appear without a reload.
  while (!ctx.signal.aborted) {
    await new Promise((resolve) => window.setTimeout(resolve, POLL_MS));
    if (ctx.signal.aborted || document.hidden) continue;
    try {
      const latest = await ctx.client.getSession(sessionId);
      if (ctx.signal.aborted) return;
      session = latest;
      renderMeta();
      if (latest.message_count > shown.size) addMessages(await messagesFrom(ctx, sessionId));
    } catch {
      // A failed poll is retried at the next tick; deletion elsewhere shows as the next error.
    }
  }
}
