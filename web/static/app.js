// spawnhub pages: server actions through the JSON API, live status
// through the progress stream (server-sent events). No framework, no
// inline script (CSP). Every text comes from the server, in the page's
// language.
"use strict";

function api(method, path, body) {
  return fetch(path, {
    method, credentials: "same-origin",
    headers: body ? { "Content-Type": "application/json", "Accept": "application/json" } : { "Accept": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  }).then(async (res) => {
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) {
      const err = new Error((data && data.error) || res.statusText);
      err.field = data && data.field;
      throw err;
    }
    return data;
  });
}

function showError(err) {
  const el = document.getElementById("error");
  if (el) { el.textContent = err.message; el.hidden = false; }
}

const base = (ns) => "/api/v1/namespaces/" + encodeURIComponent(ns);
const serverAPI = (ns, name) => base(ns) + "/servers/" + encodeURIComponent(name);
const progressPage = (s) => "/namespaces/" + encodeURIComponent(s.namespace) + "/servers/" + encodeURIComponent(s.name) + "/progress";
const busy = (phase) => phase === "queued" || phase === "starting" || phase === "stopping";

// The element that shows a server: a landing-page row, the server page or
// the progress page.
function holderOf(ns, name) {
  return document.querySelector(`[data-phase][data-ns="${CSS.escape(ns)}"][data-name="${CSS.escape(name)}"]`);
}

// show puts a server's state (its JSON) on the element that shows it.
function show(el, s) {
  el.dataset.phase = s.phase;
  const phase = el.querySelector("[data-field=phase]");
  if (phase) { phase.textContent = s.phaseText; phase.className = "phase phase-" + s.phase; }
  const msg = el.querySelector("[data-field=message]");
  if (msg) msg.textContent = s.phase === "failed" && el.id === "progress" ? "" : (s.message || "");
  if (el.id === "progress") showProgress(el, s);
}

function showProgress(el, s) {
  const bar = document.getElementById("bar");
  const events = document.querySelectorAll("#events li").length;
  const value = { queued: 15, starting: Math.min(40 + 5 * events, 90), running: 100, failed: 100 }[s.phase] || 0;
  if (bar) bar.value = value;
  const failure = document.getElementById("failure");
  if (failure) { failure.hidden = s.phase !== "failed"; failure.textContent = s.phase === "failed" ? s.message : ""; }
  if (s.phase === "running") location.assign(s.connectURL || s.url);
}

function addEvent(ev) {
  const list = document.getElementById("events");
  if (!list) return;
  const li = document.createElement("li"), time = document.createElement("time"), reason = document.createElement("span");
  li.className = "event-" + ev.type;
  time.dateTime = ev.time;
  time.textContent = new Date(ev.time).toISOString().slice(11, 19);
  reason.className = "reason";
  reason.textContent = ev.reasonText;
  li.append(time, " ", reason, " " + ev.message);
  list.appendChild(li);
}

// startsHere tells the first event of a start (as the server page groups
// them): the creation, or a Queued that follows neither it nor another.
let lastReason = "";
function startsHere(ev) {
  return ev.reason === "Created" || ev.reason === "Queued" && lastReason !== "Created" && lastReason !== "Queued";
}

// follow keeps el up to date from the server's progress stream while the
// server is on its way (and, on the progress page, until it runs).
function follow(el) {
  if (el.dataset.following) return;
  el.dataset.following = "1";
  const src = new EventSource(serverAPI(el.dataset.ns, el.dataset.name) + "/progress");
  let replay = true;
  src.addEventListener("server", (e) => {
    const s = JSON.parse(e.data);
    // Each connection replays every event after the server: start afresh.
    if (replay && el.id === "progress") document.getElementById("events").replaceChildren();
    replay = false;
    show(el, s);
    if (!busy(s.phase) && el.id !== "progress") { src.close(); delete el.dataset.following; }
    if (s.phase === "running" || s.phase === "failed") { src.close(); delete el.dataset.following; }
  });
  src.addEventListener("event", (e) => {
    if (el.id !== "progress") return;
    const ev = JSON.parse(e.data);
    if (startsHere(ev)) document.getElementById("events").replaceChildren(); // the page shows the latest start
    lastReason = ev.reason;
    addEvent(ev);
  });
  src.addEventListener("gone", () => { src.close(); location.assign("/"); });
}

// confirmDelete asks whether to keep the volumes; it resolves to null when
// cancelled, else to whether to delete them.
function confirmDelete() {
  const dlg = document.getElementById("delete-dialog");
  return new Promise((resolve) => {
    document.getElementById("delete-volumes").checked = false;
    dlg.addEventListener("close", () => resolve(dlg.returnValue === "delete" ? document.getElementById("delete-volumes").checked : null), { once: true });
    dlg.showModal();
  });
}

const actions = {
  launch: (b) => api("POST", base(b.dataset.ns) + "/launch", { image: b.dataset.image, new: !!b.dataset.new })
    .then((s) => location.assign(progressPage(s))),
  start: (b) => api("POST", serverAPI(b.dataset.ns, b.dataset.name) + "/start").then((s) => {
    if (!b.dataset.stay) { location.assign(progressPage(s)); return; }
    const el = holderOf(s.namespace, s.name);
    if (el.id === "notrunning") { followNotRunning(el); return; }
    show(el, s);
    follow(el);
  }),
  stop: (b) => api("POST", serverAPI(b.dataset.ns, b.dataset.name) + "/stop").then((s) => {
    const el = holderOf(s.namespace, s.name);
    if (el) { show(el, s); if (busy(s.phase)) follow(el); }
  }),
  delete: (b) => confirmDelete().then((volumes) => {
    if (volumes === null) return null;
    return api("DELETE", serverAPI(b.dataset.ns, b.dataset.name) + "?volumes=" + volumes).then(() => {
      const row = b.closest("tr");
      if (row) row.remove(); else location.assign("/?ns=" + encodeURIComponent(b.dataset.ns));
    });
  }),
  uncontribute: (b) => api("DELETE", base(b.dataset.ns) + "/contributors/" + encodeURIComponent(b.dataset.user)).then(() => location.reload()),
  revoke: (b) => api("DELETE", "/api/v1/tokens/" + encodeURIComponent(b.dataset.id)).then(() => b.closest("tr").remove()),
  keep: (b) => api("POST", serverAPI(b.dataset.ns, b.dataset.name) + "/keep") // culling: keep it running
    .then(() => { const n = b.closest(".cull-notice"); if (n) n.remove(); }),
};

document.addEventListener("click", (ev) => {
  const b = ev.target.closest("button[data-action]");
  if (!b || !actions[b.dataset.action]) return;
  ev.preventDefault();
  b.disabled = true;
  actions[b.dataset.action](b)
    .then(() => { b.disabled = false; })
    .catch((err) => { b.disabled = false; showError(err); });
});

// kinds: a launch tile's variant select sets what its button launches.
document.addEventListener("change", (ev) => {
  const sel = ev.target.closest("select[data-variant-of]");
  if (!sel) return;
  for (const id of [sel.dataset.variantOf, sel.dataset.variantOf + "-new"]) {
    const b = document.getElementById(id);
    if (b) b.dataset.image = sel.value;
  }
});

// The share form posts to the contributors API and shows the error next
// to the field it names.
document.addEventListener("submit", (ev) => {
  const form = ev.target.closest("#share-form");
  if (!form) return;
  ev.preventDefault();
  const data = Object.fromEntries(new FormData(form));
  api("POST", base(form.dataset.ns) + "/contributors", data)
    .then(() => location.reload())
    .catch((err) => {
      const el = form.querySelector("[data-field=user]");
      el.textContent = err.message; el.hidden = false;
    });
});

// The token form creates a token and shows its secret, once.
document.addEventListener("submit", (ev) => {
  const form = ev.target.closest("#token-form");
  if (!form) return;
  ev.preventDefault();
  const f = new FormData(form);
  form.querySelectorAll(".field-error").forEach((el) => { el.hidden = true; });
  api("POST", "/api/v1/tokens", { name: f.get("name"), scopes: [f.get("scope")], expiresIn: f.get("expiresIn") })
    .then((t) => {
      document.getElementById("token-secret-value").textContent = t.token;
      document.getElementById("token-secret").hidden = false;
      form.reset();
    })
    .catch((err) => {
      const el = form.querySelector(`[data-field="${err.field}"]`);
      if (el) { el.textContent = err.message; el.hidden = false; } else showError(err);
    });
});

document.addEventListener("change", (ev) => {
  if (ev.target.matches("select[data-autosubmit]")) ev.target.form.submit();
});

// The language switch keeps the page's other query parameters.
function keepQueryInLanguageSwitch() {
  document.querySelectorAll("a[data-lang]").forEach((a) => {
    const q = new URLSearchParams(location.search);
    q.set("lang", a.dataset.lang);
    a.search = "?" + q.toString();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  keepQueryInLanguageSwitch();
  document.querySelectorAll("[data-phase][data-ns][data-name]").forEach((el) => {
    if (busy(el.dataset.phase) || el.id === "progress" && el.dataset.phase !== "failed" && el.dataset.phase !== "stopped") follow(el);
  });
  const box = document.getElementById("notrunning");
  if (box && ["queued", "starting"].includes(box.dataset.phase)) followNotRunning(box);
});

// On the "not running" page, follow the progress stream and return to the
// deep link once the server runs.
function followNotRunning(box) {
  if (box.dataset.following) return;
  box.dataset.following = "1";
  const src = new EventSource(serverAPI(box.dataset.ns, box.dataset.name) + "/progress");
  src.addEventListener("server", (e) => {
    const s = JSON.parse(e.data);
    document.getElementById("phase").textContent = s.phaseText;
    document.getElementById("message").textContent = s.message || "";
    document.getElementById("start").hidden = !(s.phase === "stopped" || s.phase === "failed");
    if (s.phase === "running") { src.close(); location.assign(box.dataset.next); }
  });
  src.addEventListener("event", (e) => {
    const ev = JSON.parse(e.data), li = document.createElement("li");
    li.textContent = ev.reasonText + ": " + ev.message;
    document.getElementById("events").appendChild(li);
  });
}
