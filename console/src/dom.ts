// A few DOM helpers: elements are built, never assembled from HTML strings, so text from the
// API (messages, titles) can never become markup.

type Child = Node | string | number | null | undefined | false;
type Attr = string | number | boolean | null | undefined | ((event: Event) => void);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") {
      el.addEventListener(name.replace(/^on/, "").toLowerCase(), value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "number" ? String(child) : child);
  }
  return el;
}

/** Replace the page's content and move focus to its heading, as a page load would. */
export function show(...children: (Node | null)[]): void {
  const main = document.getElementById("main")!;
  main.replaceChildren(...children.filter((c): c is Node => c !== null));
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

export function toast(message: string): void {
  const el = document.getElementById("toast")!;
  el.textContent = message;
  window.setTimeout(() => {
    if (el.textContent === message) el.textContent = "";
  }, 4000);
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function timeEl(iso: string): HTMLTimeElement {
  return h("time", { datetime: iso }, formatTime(iso));
}

/** Words of a query worth marking in a passage: 3+ letters, matched by their stem. */
function stems(query: string): string[] {
  return Array.from(new Set(query.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? [])).map((w) =>
    w.length > 5 ? w.slice(0, w.length - 2) : w,
  );
}

/**
 * The passage that matched, with the query's words marked. A match by meaning may share no
 * word with the query: then the whole passage is what matched, and it is marked as one.
 */
export function highlighted(passage: string, query: string): HTMLElement {
  const wanted = stems(query);
  const out = h("span", { class: "passage" });
  let marked = 0;
  for (const part of passage.split(/([\p{L}\p{N}]+)/u)) {
    const lower = part.toLowerCase();
    if (part && wanted.some((stem) => lower.startsWith(stem))) {
      out.append(h("mark", {}, part));
      marked += 1;
    } else {
      out.append(part);
    }
  }
  if (!marked) out.replaceChildren(h("mark", {}, passage));
  return out;
}

export function showError(err: unknown): void {
  const detail = err instanceof Error ? err.message : String(err);
  show(h("h1", {}, "Something went wrong"), h("p", { class: "banner error", role: "alert" }, detail));
}

export function setTitle(title: string): void {
  document.title = `${title} · hybrid-sessions console`;
}

/** A message for an error shown inside a page (the page stays usable). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
