// spawnhub pages: server actions through the JSON API, live progress
// through server-sent events. No framework, no inline script (CSP).
"use strict";

function api(method, path, body) {
  return fetch(path, {
    method, credentials: "same-origin",
    headers: body ? { "Content-Type": "application/json", "Accept": "application/json" } : { "Accept": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  }).then(async (res) => {
    const data = res.status === 204 ? null : await res.json().catch(() => null);
    if (!res.ok) throw new Error((data && data.error) || res.statusText);
    return data;
  });
}

function showError(err) {
  const el = document.getElementById("error");
  if (el) { el.textContent = err.message; el.hidden = false; }
}

const base = (ns) => "/api/v1/namespaces/" + encodeURIComponent(ns);

const actions = {
  launch: (b) => api("POST", base(b.dataset.ns) + "/launch", { image: b.dataset.image }),
  start: (b) => api("POST", base(b.dataset.ns) + "/servers/" + b.dataset.name + "/start"),
  stop: (b) => api("POST", base(b.dataset.ns) + "/servers/" + b.dataset.name + "/stop"),
  keep: (b) => api("POST", base(b.dataset.ns) + "/servers/" + b.dataset.name + "/keep"), // culling: keep it running
  uncontribute: (b) => api("DELETE", base(b.dataset.ns) + "/contributors/" + encodeURIComponent(b.dataset.user)),
  delete: (b) => confirm(b.dataset.confirm) ? api("DELETE", base(b.dataset.ns) + "/servers/" + b.dataset.name) : Promise.resolve(null),
};

document.addEventListener("click", (ev) => {
  const b = ev.target.closest("button[data-action]");
  if (!b || !actions[b.dataset.action]) return;
  ev.preventDefault();
  b.disabled = true;
  actions[b.dataset.action](b)
    .then(() => { if (!b.dataset.stay) location.reload(); else follow(); })
    .catch((err) => { b.disabled = false; showError(err); });
});

// On the landing page, refresh while some server is on its way.
function pollLanding() {
  const busy = document.querySelector("tr[data-phase=queued], tr[data-phase=starting], tr[data-phase=stopping]");
  if (busy) setTimeout(() => location.reload(), 2000);
}

// On the "not running" page, follow the progress stream and return to the
// deep link once the server runs.
function follow() {
  const box = document.getElementById("notrunning");
  if (!box || box.dataset.following) return;
  box.dataset.following = "1";
  const src = new EventSource(base(box.dataset.ns) + "/servers/" + box.dataset.name + "/progress");
  src.addEventListener("server", (e) => {
    const s = JSON.parse(e.data);
    document.getElementById("phase").textContent = s.phase;
    document.getElementById("message").textContent = s.message || "";
    document.getElementById("start").hidden = !(s.phase === "stopped" || s.phase === "failed");
    if (s.phase === "running") { src.close(); location.assign(box.dataset.next); }
  });
  src.addEventListener("event", (e) => {
    const ev = JSON.parse(e.data), li = document.createElement("li");
    li.textContent = ev.reason + ": " + ev.message;
    document.getElementById("events").appendChild(li);
  });
}

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

document.addEventListener("change", (ev) => {
  if (ev.target.matches("select[data-autosubmit]")) ev.target.form.submit();
});

document.addEventListener("DOMContentLoaded", () => {
  pollLanding();
  const box = document.getElementById("notrunning");
  if (box && ["queued", "starting"].includes(box.dataset.phase)) follow();
});
