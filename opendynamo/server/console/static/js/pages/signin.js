// Signing in: an IAM user's account, name and password, or an access key pair (the root user
// signs in with its keys). A user whose password must be changed changes it here first.

import { iam, loadSession, session, signIn } from "../api.js";
import { afterSignIn } from "../app.js";
import { busy, clear, field, h, showError } from "../ui.js";

export async function render(main) {
  if (session.signedIn && session.resetRequired) {
    renderReset(main);
    return;
  }
  if (session.signedIn) {
    afterSignIn();
    return;
  }
  renderSignIn(main, "password");
}

function renderSignIn(main, mode) {
  const form = mode === "password" ? passwordForm() : keyForm();
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  form.append(h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    await busy(submit, form, async () => {
      await signIn(values);
      if (session.resetRequired) renderReset(main);
      else afterSignIn();
    });
  });
  const switcher = h(
    "button",
    {
      type: "button",
      class: "link",
      onclick: () => renderSignIn(main, mode === "password" ? "key" : "password"),
    },
    mode === "password" ? "Sign in with an access key instead" : "Sign in as an IAM user instead",
  );
  clear(
    main,
    h(
      "section",
      { class: "signin" },
      h("h1", {}, "Sign in to opendynamo"),
      h("p", { class: "muted" }, mode === "password"
        ? "IAM user: the account, your user name and the password set by CreateLoginProfile."
        : "Access key: the root user's keys, a user's keys, or temporary credentials."),
      form,
      switcher,
    ),
  );
  form.querySelector("input").focus();
}

function passwordForm() {
  return h(
    "form",
    { class: "stack", "aria-label": "Sign in as an IAM user" },
    field("Account ID", h("input", { name: "Account", value: "000000000000", inputmode: "numeric", autocomplete: "organization" })),
    field("IAM user name", h("input", { name: "UserName", required: true, autocomplete: "username" })),
    field("Password", h("input", { name: "Password", type: "password", required: true, autocomplete: "current-password" })),
  );
}

function keyForm() {
  return h(
    "form",
    { class: "stack", "aria-label": "Sign in with an access key" },
    field("Access key ID", h("input", { name: "AccessKeyId", required: true, autocomplete: "username", spellcheck: "false" })),
    field("Secret access key", h("input", { name: "SecretAccessKey", type: "password", required: true, autocomplete: "off" })),
    field("Session token", h("input", { name: "SessionToken", type: "password", autocomplete: "off" }), "Only for temporary credentials."),
  );
}

function renderReset(main) {
  const form = h(
    "form",
    { class: "stack", "aria-label": "Change your password" },
    field("Current password", h("input", { name: "OldPassword", type: "password", required: true, autocomplete: "current-password" })),
    field("New password", h("input", { name: "NewPassword", type: "password", required: true, autocomplete: "new-password" })),
    field("Confirm new password", h("input", { name: "Confirm", type: "password", required: true, autocomplete: "new-password" })),
  );
  const submit = h("button", { type: "submit", class: "primary" }, "Change password");
  form.append(h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    if (values.NewPassword !== values.Confirm) {
      showError(form, { type: "ValidationError", message: "The new passwords do not match." });
      return;
    }
    await busy(submit, form, async () => {
      await iam("ChangePassword", { OldPassword: values.OldPassword, NewPassword: values.NewPassword });
      await loadSession();
      afterSignIn();
    });
  });
  clear(
    main,
    h(
      "section",
      { class: "signin" },
      h("h1", {}, "Change your password"),
      h("p", {}, `${session.identity ? session.identity.UserName : "You"} must set a new password before continuing.`),
      form,
    ),
  );
}
