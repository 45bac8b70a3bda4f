// IAM, read-only: the account's users, groups, roles and customer managed policies (#/iam),
// and one of them with its policies (#/iam/<kind>/<name>). Every figure comes from IAM's own
// List/Get actions, authorized as the signed-in identity: whoever may not list sees IAM's
// AccessDenied message where the list would be. Changes are made through IAM's API.

import { iam } from "../api.js";
import { clear, dataTable, errorBox, h, pageHeader } from "../ui.js";

const TAB_KEY = "opendynamo-iam-tab";
// [key, label, list action, result member, columns]
const TABS = [
  ["users", "Users", "ListUsers", "Users", userColumns],
  ["groups", "Groups", "ListGroups", "Groups", groupColumns],
  ["roles", "Roles", "ListRoles", "Roles", roleColumns],
  ["policies", "Policies", "ListPolicies", "Policies", policyColumns],
];
const DETAILS = { user: userDetail, group: groupDetail, role: roleDetail, policy: policyDetail };

export async function render(main, params) {
  const [kind, name] = params;
  if (!kind) {
    clear(main, pageHeader("IAM"), readOnlyNote(), tabbedLists());
    return;
  }
  const detail = DETAILS[kind];
  if (!detail) {
    clear(main, h("h1", {}, "Not found"), h("p", {}, `IAM has no ${kind} pages. `), backLink());
    return;
  }
  clear(main, backLink(), ...detail(name));
}

function readOnlyNote() {
  return h(
    "p",
    { class: "muted" },
    "Read-only. Change users, groups, roles and policies with IAM's API (aws iam …, an SDK, Terraform).",
  );
}

function backLink() {
  return h("p", { class: "iam-back" }, h("a", { href: "#/iam" }, "IAM"));
}

// --- the lists, as tabs -----------------------------------------------------------------

// WAI-ARIA's tabs: one tab stop for the tab list, arrow keys move between tabs.
function tabbedLists() {
  const remembered = sessionStorage.getItem(TAB_KEY);
  const panel = h("div", { class: "iam-panel", id: "iam-panel", role: "tabpanel", tabindex: "0" });
  const buttons = TABS.map(([key, label]) =>
    h("button", { type: "button", role: "tab", id: `iam-tab-${key}`, "aria-controls": "iam-panel" }, label),
  );
  const select = (index, focus) => {
    buttons.forEach((button, i) => {
      button.setAttribute("aria-selected", String(i === index));
      button.tabIndex = i === index ? 0 : -1;
    });
    if (focus) buttons[index].focus();
    panel.setAttribute("aria-labelledby", buttons[index].id);
    sessionStorage.setItem(TAB_KEY, TABS[index][0]);
    showList(panel, TABS[index]);
  };
  buttons.forEach((button, index) => {
    button.addEventListener("click", () => select(index, false));
    button.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) select((index + step + buttons.length) % buttons.length, true);
      else if (event.key === "Home") select(0, true);
      else if (event.key === "End") select(buttons.length - 1, true);
    });
  });
  const start = Math.max(0, TABS.findIndex(([key]) => key === remembered));
  select(start, false);
  const list = h("div", { class: "iam-tabs", role: "tablist", "aria-label": "IAM entities" }, buttons);
  return h("div", { class: "iam-lists" }, list, panel);
}

// One page of the list at a time (IAM's Marker and IsTruncated); "Show more" asks for the next.
async function showList(panel, [key, label, action, member, columns]) {
  const rows = [];
  const more = h("button", { type: "button" }, `Show more ${label.toLowerCase()}`);
  const holder = h("div", {});
  const status = h("p", { class: "loading" }, "Loading…");
  clear(panel, h("h2", { class: "sr" }, label), holder, status);
  panel.dataset.list = key;
  let marker;
  const load = async () => {
    more.disabled = true;
    try {
      const params = { MaxItems: 100, ...(key === "policies" ? { Scope: "Local" } : {}), Marker: marker };
      const answer = await iam(action, params);
      if (panel.dataset.list !== key) return; // another tab was chosen meanwhile
      rows.push(...(answer[member] || []));
      marker = answer.IsTruncated === "true" ? answer.Marker : undefined;
      clear(holder, dataTable(columns(), rows, { empty: `No ${label.toLowerCase()} in this account.` }));
      clear(status, marker ? more : null);
    } catch (error) {
      if (panel.dataset.list === key) clear(status, errorBox(error));
    } finally {
      status.className = "";
      more.disabled = false;
    }
  };
  more.addEventListener("click", load);
  await load();
}

function entityLink(kind, name, text) {
  return h("a", { href: `#/iam/${kind}/${encodeURIComponent(name)}` }, text || name);
}

// Columns of dataTable: a link to an entity's page (named by `nameKey`, shown as `textKey`),
// an ARN or id in a monospace font, a date.
function linkColumn(heading, kind, nameKey, textKey = nameKey) {
  return { key: textKey, heading, render: (row) => entityLink(kind, row[nameKey], row[textKey]) };
}

function monoColumn(key, heading) {
  return { key, heading, render: (row) => h("span", { class: "mono" }, row[key]) };
}

function dateColumn(key, heading, otherwise = "") {
  return { key, heading, render: (row) => formatDate(row[key]) || otherwise };
}

function userColumns() {
  return [
    linkColumn("User name", "user", "UserName"),
    monoColumn("Arn", "ARN"),
    dateColumn("CreateDate", "Created"),
    dateColumn("PasswordLastUsed", "Password last used", "–"),
  ];
}

function groupColumns() {
  return [
    linkColumn("Group name", "group", "GroupName"),
    monoColumn("Arn", "ARN"),
    dateColumn("CreateDate", "Created"),
  ];
}

function roleColumns() {
  return [
    linkColumn("Role name", "role", "RoleName"),
    monoColumn("Arn", "ARN"),
    ["Description", "Description"],
    dateColumn("CreateDate", "Created"),
  ];
}

function policyColumns() {
  return [
    linkColumn("Policy name", "policy", "Arn", "PolicyName"),
    monoColumn("Arn", "ARN"),
    ["AttachmentCount", "Attachments"],
    ["DefaultVersionId", "Default version"],
    dateColumn("UpdateDate", "Updated"),
  ];
}

// --- one entity -------------------------------------------------------------------------

function userDetail(name) {
  const user = { UserName: name };
  return [
    h("h1", {}, `User ${name}`),
    part("Summary", async () => facts((await iam("GetUser", user)).User, USER_FACTS)),
    part("Console password", () => loginProfile(name)),
    part("Groups", async () => {
      const groups = await everyPage("ListGroupsForUser", user, "Groups");
      return dataTable([linkColumn("Group", "group", "GroupName")], groups, { empty: "In no group." });
    }),
    part("Attached managed policies", () => attachedPolicies("ListAttachedUserPolicies", user)),
    part("Inline policies", () => inlinePolicies("ListUserPolicies", "GetUserPolicy", user)),
    part("Access keys", async () => {
      const keys = await everyPage("ListAccessKeys", user, "AccessKeyMetadata");
      return dataTable(
        [
          monoColumn("AccessKeyId", "Access key ID"),
          ["Status", "Status"],
          dateColumn("CreateDate", "Created"),
        ],
        keys,
        { empty: "No access keys." },
      );
    }),
  ];
}

function groupDetail(name) {
  const group = { GroupName: name };
  return [
    h("h1", {}, `Group ${name}`),
    part("Summary and members", async () => {
      const first = await iam("GetGroup", group);
      const users = await everyPage("GetGroup", group, "Users", first);
      const members = dataTable([linkColumn("Member", "user", "UserName")], users, { empty: "No members." });
      return [facts(first.Group, GROUP_FACTS), members];
    }),
    part("Attached managed policies", () => attachedPolicies("ListAttachedGroupPolicies", group)),
    part("Inline policies", () => inlinePolicies("ListGroupPolicies", "GetGroupPolicy", group)),
  ];
}

function roleDetail(name) {
  const role = { RoleName: name };
  return [
    h("h1", {}, `Role ${name}`),
    part("Summary and trust policy", async () => {
      const found = (await iam("GetRole", role)).Role;
      const trust = documentBlock(found.AssumeRolePolicyDocument, "Trust policy");
      return [facts(found, ROLE_FACTS), h("h3", {}, "Trust policy"), trust];
    }),
    part("Attached managed policies", () => attachedPolicies("ListAttachedRolePolicies", role)),
    part("Inline policies", () => inlinePolicies("ListRolePolicies", "GetRolePolicy", role)),
  ];
}

function policyDetail(arn) {
  const name = arn.split("/").pop();
  return [
    h("h1", {}, `Policy ${name}`),
    part("Summary and default version", async () => {
      const policy = (await iam("GetPolicy", { PolicyArn: arn })).Policy;
      const version = await iam("GetPolicyVersion", { PolicyArn: arn, VersionId: policy.DefaultVersionId });
      return [
        facts(policy, POLICY_FACTS),
        h("h3", {}, `Document (version ${policy.DefaultVersionId})`),
        documentBlock(version.PolicyVersion.Document, `${name} document`),
      ];
    }),
  ];
}

// A part of a detail page loads on its own, so a refusal of one action (AccessDenied on
// GetUserPolicy, say) shows where that part would be and the rest still shows.
function part(title, load) {
  const body = h("div", { class: "iam-part-body" }, h("p", { class: "loading" }, "Loading…"));
  const section = h("section", { class: "iam-part" }, h("h2", {}, title), body);
  Promise.resolve()
    .then(load)
    .then((content) => clear(body, content))
    .catch((error) => clear(body, errorBox(error)));
  return section;
}

async function loginProfile(name) {
  try {
    const profile = (await iam("GetLoginProfile", { UserName: name })).LoginProfile;
    const reset = profile.PasswordResetRequired === "true" ? " To be changed at the next sign-in." : "";
    return h("p", {}, `Set on ${formatDate(profile.CreateDate)}.${reset}`);
  } catch (error) {
    if (error.type === "NoSuchEntity") return h("p", {}, "None: this user cannot sign in with a password.");
    // A server without console passwords does not know the action at all.
    if (error.type === "InvalidAction") {
      return h("p", { class: "muted" }, "Console passwords are not supported by this server.");
    }
    throw error;
  }
}

async function attachedPolicies(action, owner) {
  const attached = await everyPage(action, owner, "AttachedPolicies");
  return dataTable(
    [linkColumn("Policy", "policy", "PolicyArn", "PolicyName"), monoColumn("PolicyArn", "ARN")],
    attached,
    { empty: "No managed policies attached." },
  );
}

async function inlinePolicies(listAction, getAction, owner) {
  const names = await everyPage(listAction, owner, "PolicyNames");
  if (names.length === 0) return h("p", { class: "muted" }, "No inline policies.");
  const found = await Promise.all(names.map((policy) => iam(getAction, { ...owner, PolicyName: policy })));
  return found.map((answer, i) => [
    h("h3", {}, names[i]),
    documentBlock(answer.PolicyDocument, `${names[i]} document`),
  ]);
}

/** Every page of an IAM listing (Marker and IsTruncated), from `first` when already asked. */
async function everyPage(action, params, member, first) {
  const rows = [];
  let answer = first || (await iam(action, params));
  for (;;) {
    rows.push(...(answer[member] || []));
    if (answer.IsTruncated !== "true") return rows;
    answer = await iam(action, { ...params, Marker: answer.Marker });
  }
}

// --- showing values ---------------------------------------------------------------------

// [member, label] of an entity's facts; members ending in Date or Used are dates.
const USER_FACTS = [
  ["Arn", "ARN"], ["UserId", "User ID"], ["Path", "Path"], ["CreateDate", "Created"],
  ["PasswordLastUsed", "Password last used"],
];
const GROUP_FACTS = [["Arn", "ARN"], ["GroupId", "Group ID"], ["Path", "Path"], ["CreateDate", "Created"]];
const ROLE_FACTS = [
  ["Arn", "ARN"], ["RoleId", "Role ID"], ["Path", "Path"], ["Description", "Description"],
  ["MaxSessionDuration", "Maximum session (seconds)"], ["CreateDate", "Created"],
];
const POLICY_FACTS = [
  ["Arn", "ARN"], ["PolicyId", "Policy ID"], ["Description", "Description"],
  ["AttachmentCount", "Attachments"], ["CreateDate", "Created"], ["UpdateDate", "Updated"],
];

function facts(object, fields) {
  const shown = fields.filter(([key]) => object[key] !== undefined && object[key] !== "");
  const value = (key) => (/(Date|Used)$/.test(key) ? formatDate(object[key]) : object[key]);
  return h(
    "dl",
    { class: "facts" },
    shown.map(([key, label]) => [h("dt", {}, label), h("dd", {}, value(key))]),
  );
}

/** An ISO 8601 date as IAM returns it, in local time. */
function formatDate(text) {
  if (!text) return "";
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? text : date.toLocaleString();
}

/** A policy document as IAM returns it (URL-encoded JSON), decoded and indented. */
export function policyText(encoded) {
  let text = String(encoded || "");
  try {
    text = decodeURIComponent(text);
  } catch (error) {
    // not URL-encoded after all: shown as it came
  }
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch (error) {
    return text;
  }
}

function documentBlock(encoded, label) {
  return h("pre", { class: "code policy", tabindex: "0", "aria-label": label }, policyText(encoded));
}
