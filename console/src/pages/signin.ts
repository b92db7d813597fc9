// Sign-in: a dev identity picker on the local stack, Firebase Authentication in the cloud.

import { firebaseSignIn, type Identity, rememberDev } from "../auth";
import type { ConsoleConfig } from "../config";
import { errorText, h, setTitle, show } from "../dom";

export async function signInPage(
  config: ConsoleConfig,
  done: (identity: Identity) => void,
): Promise<void> {
  setTitle("Sign in");
  const problem = h("p", { class: "banner error", role: "alert", hidden: true });
  const fail = (err: unknown) => {
    problem.textContent = errorText(err instanceof Error ? err.message : err);
    problem.hidden = false;
  };

  if (config.auth === "dev") {
    const tenant = h("input", { id: "tenant", name: "tenant", value: "default", required: true, autocomplete: "organization" });
    const user = h("input", { id: "user", name: "user", required: true, autocomplete: "username" });
    const admin = h("input", { id: "admin", name: "admin", type: "checkbox" });
    const form = h(
      "form",
      {
        class: "card narrow",
        "aria-labelledby": "signin-title",
        onsubmit: (event: Event) => {
          event.preventDefault();
          try {
            done(rememberDev({ tenant: tenant.value.trim(), user: user.value.trim(), admin: admin.checked }));
          } catch (err) {
            fail(err);
          }
        },
      },
      h("h1", { id: "signin-title" }, "Sign in"),
      h(
        "p",
        { class: "hint" },
        "Local stack: act as any user. The console sends ",
        h("code", {}, "dev:<tenant>:<user>"),
        " as the bearer token, which only the local dev auth mode accepts.",
      ),
      h("div", { class: "field" }, h("label", { for: "tenant" }, "Tenant"), tenant),
      h("div", { class: "field" }, h("label", { for: "user" }, "User"), user),
      h("div", { class: "check" }, admin, h("label", { for: "admin" }, "Admin (tenant-wide analytics)")),
      problem,
      h("button", { type: "submit", class: "primary" }, "Sign in"),
    );
    show(form);
    user.focus();
    return;
  }

  const signIn = await firebaseSignIn(config);
  const email = h("input", { id: "email", type: "email", required: true, autocomplete: "email" });
  const password = h("input", { id: "password", type: "password", required: true, autocomplete: "current-password" });
  show(
    h(
      "form",
      {
        class: "card narrow",
        "aria-labelledby": "signin-title",
        onsubmit: async (event: Event) => {
          event.preventDefault();
          try {
            done(await signIn.withEmail(email.value, password.value));
          } catch (err) {
            fail(err);
          }
        },
      },
      h("h1", { id: "signin-title" }, "Sign in"),
      h("div", { class: "field" }, h("label", { for: "email" }, "Email"), email),
      h("div", { class: "field" }, h("label", { for: "password" }, "Password"), password),
      problem,
      h("button", { type: "submit", class: "primary" }, "Sign in"),
      h(
        "button",
        {
          type: "button",
          onclick: async () => {
            try {
              done(await signIn.withGoogle());
            } catch (err) {
              fail(err);
            }
          },
        },
        "Sign in with Google",
      ),
    ),
  );
}
