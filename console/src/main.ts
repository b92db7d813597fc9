// The console: sign in, then a hash-routed page per view. Hash routes need no server rewrite,
// so the same files work behind the local gateway and on Firebase Hosting.

import "./style.css";
import { HybridSessionsClient } from "./api";
import { firebaseSignIn, type Identity, rememberedDev } from "./auth";
import { type ConsoleConfig, loadConfig } from "./config";
import { h, show, showError } from "./dom";
import { analyticsPage } from "./pages/analytics";
import { conversationPage } from "./pages/conversation";
import { searchPage } from "./pages/search";
import { sessionsPage } from "./pages/sessions";
import { signInPage } from "./pages/signin";
import { similarPage } from "./pages/similar";
import { statusPage } from "./pages/status";

export interface Context {
  client: HybridSessionsClient;
  identity: Identity;
  config: ConsoleConfig;
  params: URLSearchParams;
  /** Aborted when the user leaves the page: pollers and late answers stop there. */
  signal: AbortSignal;
}

type Page = (ctx: Context, ...path: string[]) => Promise<void> | void;

const ROUTES: [RegExp, Page, string][] = [
  [/^\/sessions$/, sessionsPage, "Sessions"],
  [/^\/sessions\/([^/]+)$/, conversationPage, "Sessions"],
  [/^\/sessions\/([^/]+)\/similar$/, similarPage, "Sessions"],
  [/^\/search$/, searchPage, "Search"],
  [/^\/analytics$/, analyticsPage, "Analytics"],
  [/^\/status$/, statusPage, "Status"],
];

let config: ConsoleConfig;
let identity: Identity | null = null;
let leaving = new AbortController();

function signedIn(who: Identity): void {
  identity = who;
  renderHeader();
  if (location.hash.startsWith("#/sign-in") || !location.hash) location.hash = "#/sessions";
  else void route();
}

function renderHeader(): void {
  const nav = document.getElementById("nav")!;
  const who = document.getElementById("who")!;
  nav.hidden = identity === null;
  if (!identity) {
    who.replaceChildren();
    return;
  }
  const current = identity;
  who.replaceChildren(
    h("span", { class: "who-label" }, "Signed in as ", h("strong", {}, current.label)),
    h(
      "button",
      {
        type: "button",
        class: "link",
        onclick: async () => {
          await current.signOut();
          identity = null;
          renderHeader();
          location.hash = "#/sign-in";
        },
      },
      "Sign out",
    ),
  );
}

async function route(): Promise<void> {
  leaving.abort();
  leaving = new AbortController();
  const [path, query = ""] = (location.hash.slice(1) || "/sessions").split("?");
  if (!identity) {
    await signInPage(config, signedIn);
    return;
  }
  // Locally the API is the page's own origin; one retry of a transient failure is enough for a
  // person watching (the client's default of 3 suits unattended callers).
  const client = new HybridSessionsClient({
    baseUrl: config.apiUrl || location.origin,
    token: identity.token,
    retries: 1,
  });
  const ctx: Context = {
    client,
    identity,
    config,
    params: new URLSearchParams(query),
    signal: leaving.signal,
  };
  for (const link of document.querySelectorAll<HTMLAnchorElement>("#nav a")) {
    link.removeAttribute("aria-current");
  }
  for (const [pattern, page, section] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    for (const link of document.querySelectorAll<HTMLAnchorElement>("#nav a")) {
      if (link.textContent === section) link.setAttribute("aria-current", "page");
    }
    try {
      await page(ctx, ...match.slice(1).map(decodeURIComponent));
    } catch (err) {
      if (!ctx.signal.aborted) showError(err);
    }
    return;
  }
  show(h("h1", {}, "Not found"), h("p", {}, "No page here. ", h("a", { href: "#/sessions" }, "Sessions")));
}

async function start(): Promise<void> {
  try {
    config = await loadConfig();
  } catch (err) {
    showError(err);
    return;
  }
  if (config.auth === "dev") {
    identity = rememberedDev();
  } else {
    identity = await (await firebaseSignIn(config)).current();
  }
  renderHeader();
  window.addEventListener("hashchange", () => void route());
  await route();
}

void start();
