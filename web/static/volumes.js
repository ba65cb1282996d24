// spawnhub volumes page: lists GET /api/v1/namespaces/<ns>/volumes with
// the server that mounts each, creates and deletes through the same API,
// and shows errors next to their field.
"use strict";

(function () {
  const box = document.getElementById("volumes");
  if (!box) return;
  const api = "/api/v1/namespaces/" + encodeURIComponent(box.dataset.ns) + "/volumes";
  const headers = { "Content-Type": "application/json", "Accept": "application/json" };

  async function send(method, url, body) {
    const res = await fetch(url, { method, credentials: "same-origin", headers, body: body ? JSON.stringify(body) : undefined });
    const data = res.status === 204 ? null : await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error((data && data.error) || res.statusText), { field: data && data.field });
    return data;
  }

  function showError(el, err) { el.textContent = err.message; el.hidden = false; }

  async function load() {
    const data = await send("GET", api);
    const rows = document.getElementById("volume-rows"), tmpl = document.getElementById("volume-row");
    const free = document.getElementById("text-free").dataset.text;
    rows.replaceChildren();
    for (const v of data.items) {
      const tr = tmpl.content.firstElementChild.cloneNode(true);
      const part = (p) => tr.querySelector("[data-part=" + p + "]");
      part("name").textContent = v.name;
      part("size").textContent = v.size || "?";
      part("created").textContent = v.createdAt ? new Date(v.createdAt).toLocaleString(document.documentElement.lang) : "";
      part("mountedBy").textContent = v.mountedBy || free;
      const del = part("delete");
      if (del) {
        del.addEventListener("click", () => {
          if (!confirm(del.dataset.confirm)) return;
          send("DELETE", api + "/" + encodeURIComponent(v.name)).then(load).catch((err) => showError(document.getElementById("error"), err));
        });
      }
      rows.appendChild(tr);
    }
    document.getElementById("no-volumes").hidden = data.items.length > 0;
  }

  const form = document.getElementById("volume-form");
  if (form) {
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      form.querySelectorAll(".field-error").forEach((el) => { el.hidden = true; });
      const body = { name: form.elements.name.value.trim() };
      if (form.elements.size.value.trim()) body.size = form.elements.size.value.trim();
      send("POST", api, body)
        .then(() => { form.reset(); return load(); })
        .catch((err) => showError(form.querySelector('[data-error-for="' + err.field + '"]') || document.getElementById("error"), err));
    });
  }
  load().catch((err) => showError(document.getElementById("error"), err));
})();
