// The console's shell: the session, the header (region, identity, sign out) and a router from
// the location's hash to a page module. Each page module exports `render(main, params)`.

import { loadSession, onSignedOut, session, setRegion, signOut } from "./api.js";
import { clear, errorBox, h } from "./ui.js";

const REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
  "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1", "ap-south-1", "ap-northeast-1",
  "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "sa-east-1",
];

// [pattern, module, nav key]: the first pattern that matches the hash wins; its groups are
// the page's params.
const ROUTES = [
  [/^#\/signin$/, "./pages/signin.js", ""],
  [/^#\/tables$/, "./pages/tables.js", "tables"],
  [/^#\/create-table$/, "./pages/create_table.js", "tables"],
  [/^#\/tables\/([^/]+)\/items$/, "./pages/items.js", "tables"],
  [/^#\/tables\/([^/]+)\/([a-z]+)$/, "./pages/table.js", "tables"],
  [/^#\/tables\/([^/]+)$/, "./pages/table.js", "tables"],
  [/^#\/partiql$/, "./pages/partiql.js", "partiql"],
  [/^#\/backups$/, "./pages/backups.js", "backups"],
  [/^#\/imports$/, "./pages/imports.js", "imports"],
  [/^#\/iam$/, "./pages/iam.js", "iam"],
  [/^#\/iam\/([a-z]+)\/(.+)$/, "./pages/iam.js", "iam"],
];

const main = () => document.getElementById("main");
let rendering = 0;

async function route() {
  const hash = location.hash || "#/tables";
  if (!session.signedIn && hash !== "#/signin") {
    sessionStorage.setItem("opendynamo-after-signin", hash);
    location.hash = "#/signin";
    return;
  }
  if (session.signedIn && session.resetRequired && hash !== "#/signin") {
    location.hash = "#/signin";
    return;
  }
  showChrome();
  const found = ROUTES.map(([pattern, module, nav]) => [hash.match(pattern), module, nav]).find(
    ([match]) => match,
  );
  const root = main();
  if (!found) {
    clear(root, h("h1", {}, "Not found"), h("p", {}, "No page has this address. "), h("a", { href: "#/tables" }, "Tables"));
    return;
  }
  const [match, module, nav] = found;
  document.querySelectorAll("[data-nav]").forEach((link) => {
    link.setAttribute("aria-current", link.dataset.nav === nav ? "page" : "false");
  });
  const ticket = ++rendering;
  clear(root, h("p", { class: "loading" }, "Loading…"));
  try {
    const page = await import(module);
    if (ticket !== rendering) return;
    const params = match.slice(1).map((part) => decodeURIComponent(part));
    await page.render(root, params);
  } catch (error) {
    if (ticket === rendering) clear(root, errorBox(error));
  }
  if (ticket === rendering) root.dataset.page = module.split("/").pop().replace(".js", "");
}

function showChrome() {
  const top = document.getElementById("top");
  top.hidden = !session.signedIn || session.resetRequired;
  const identity = document.getElementById("identity");
  identity.textContent = session.identity ? session.identity.Arn : "";
  identity.title = session.identity ? `Account ${session.identity.Account}` : "";
  document.getElementById("signout").hidden = session.auth === "off";
  document.getElementById("region").value = session.region;
}

function setUp() {
  const datalist = document.getElementById("regions");
  datalist.replaceChildren(...REGIONS.map((region) => h("option", { value: region })));
  const region = document.getElementById("region");
  region.addEventListener("change", () => {
    const value = region.value.trim();
    if (/^[a-z0-9-]{1,32}$/.test(value)) {
      setRegion(value);
      route();
    } else {
      region.value = session.region;
    }
  });
  document.getElementById("signout").addEventListener("click", async () => {
    await signOut();
    location.hash = "#/signin";
    route();
  });
  onSignedOut(() => {
    location.hash = "#/signin";
  });
  window.addEventListener("hashchange", route);
}

export function afterSignIn() {
  const next = sessionStorage.getItem("opendynamo-after-signin") || "#/tables";
  sessionStorage.removeItem("opendynamo-after-signin");
  location.hash = next === "#/signin" ? "#/tables" : next;
  route();
}

setUp();
loadSession()
  .then(route)
  .catch((error) => clear(main(), errorBox(error)));
