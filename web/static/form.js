// spawnhub spawn form: built from GET /api/v1/config, posted as JSON to
// POST /api/v1/namespaces/<ns>/servers. The server checks every rule; each
// error it returns names a field (a JSON path such as
// dataVolumes[1].mountPath) and is shown next to that field.
"use strict";

(function () {
  const form = document.getElementById("spawn-form");
  if (!form) return;
  const ns = form.dataset.ns;
  const $ = (id) => document.getElementById(id);
  let cfg = null;

  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => (values[k] !== undefined && values[k] !== "" ? values[k] : "–"));

  function option(value, label, disabled) {
    const o = document.createElement("option");
    o.value = value; o.textContent = label; o.disabled = !!disabled;
    return o;
  }

  // Volumes that no running server mounts can be attached.
  function volumeOptions(select) {
    select.replaceChildren();
    const mounted = $("text-mounted-by").dataset.text;
    for (const v of cfg.volumes) {
      const label = v.name + " (" + (v.size || "?") + ")" + (v.mountedBy ? " — " + fill(mounted, { server: v.mountedBy }) : "");
      select.appendChild(option(v.name, label, !!v.mountedBy));
    }
  }

  function build() {
    for (const g of cfg.groups) {
      $("f-group").appendChild(option(g.id, g.allowed ? g.name : g.name + " — " + g.reason, !g.allowed));
    }
    const def = cfg.images.find((im) => im.allowed && im.default) || cfg.images.find((im) => im.allowed);
    const defGroup = def && cfg.groups.find((g) => g.variants.some((v) => v.id === def.id));
    if (defGroup) $("f-group").value = defGroup.id;
    groupChanged(def && def.id);
    if (cfg.customImages.allowed) {
      $("custom-image-box").hidden = false;
      $("f-custom-pattern").textContent = cfg.customImages.pattern || "";
    }
    for (const [field, range] of [["cpu", cfg.cpu], ["memory", cfg.memory]]) {
      $("f-" + field).placeholder = range.default || "";
      $("f-" + field + "-range").textContent = fill($("f-" + field + "-range").dataset.text, range);
    }
    for (let i = 0; i <= cfg.gpu.max; i++) $("f-gpus").appendChild(option(String(i), String(i)));
    if (cfg.gpu.max === 0) $("gpu-box").hidden = true;
    for (const v of cfg.gpu.vendors) $("f-gpuVendor").appendChild(option(v.id, v.name));
    $("f-ws-size").placeholder = cfg.workspaceSize.default || "";
    $("f-ws-range").textContent = fill($("f-ws-range").dataset.text, cfg.workspaceSize);
    volumeOptions($("f-ws-existing"));
    $("f-ws-existing-radio").disabled = cfg.volumes.length === 0;
    $("add-existing-volume").disabled = cfg.volumes.length === 0;
    for (const c of cfg.configurations) {
      const label = document.createElement("label"), box = document.createElement("input");
      box.type = "checkbox"; box.value = c.id; box.dataset.configuration = "1";
      label.append(box, " " + c.name);
      $("configurations").appendChild(label);
    }
    $("configurations-box").hidden = cfg.configurations.length === 0;
    $("f-shm").checked = cfg.sharedMemory;
    $("f-language").value = cfg.language;
    // Attaching an existing volume needs one that no running server mounts.
    const free = cfg.volumes.filter((v) => !v.mountedBy).length > 0;
    for (const id of ["add-existing-volume", "f-ws-existing-radio"]) $(id).disabled = !free;
    $("no-free-volume").hidden = free;
    $("form-loading").hidden = true;
    form.hidden = false;
  }

  // kinds: the variants of the chosen group; a group of one hides the
  // variant select.
  function groupChanged(pick) {
    const g = cfg.groups.find((x) => x.id === $("f-group").value);
    $("f-image").replaceChildren();
    if (!g) return;
    $("f-group-description").textContent = g.description;
    for (const im of g.variants) {
      $("f-image").appendChild(option(im.id, im.allowed ? im.name : im.name + " — " + im.reason, !im.allowed));
    }
    const v = g.variants.find((im) => im.id === pick && im.allowed) || g.variants.find((im) => im.id === g.default);
    if (v) $("f-image").value = v.id;
    $("variant-box").hidden = g.variants.length < 2;
    describeImage();
  }

  function describeImage() {
    const im = cfg.images.find((x) => x.id === $("f-image").value);
    $("f-image-description").textContent = im ? im.description : "";
  }

  // The vendor choice shows only when the cluster has several and the
  // server asks for GPUs; the preset names the chosen vendor's resource.
  function gpuChanged() {
    const wants = $("f-gpus").value !== "0";
    $("gpu-vendor-box").hidden = !wants || cfg.gpu.vendors.length < 2;
    const vendor = cfg.gpu.vendors.find((v) => v.id === $("f-gpuVendor").value);
    const resource = vendor ? vendor.resource : cfg.gpu.resource;
    $("f-gpu-preset").textContent = fill($("f-gpu-preset").dataset.text, { cpu: cfg.gpu.preset.cpu, memory: cfg.gpu.preset.memory, resource: resource });
    const gpu = wants && (cfg.gpu.preset.cpu || cfg.gpu.preset.memory);
    $("f-gpu-preset").hidden = !gpu;
    for (const id of ["f-cpu", "f-cpuLimit", "f-memory", "f-memoryLimit"]) $(id).disabled = !!gpu;
  }

  function renumber() {
    document.querySelectorAll("#data-volumes .data-volume").forEach((row, i) => {
      row.dataset.index = i;
      row.querySelector("[data-part=error]").dataset.errorFor = "dataVolumes[" + i + "]";
      const mount = row.querySelector("[data-part=mountPath]");
      if (!mount.dataset.edited) mount.value = cfg.mountPathPrefix + (i + 1);
      // The name a new volume gets when left empty, as the spawner names it.
      const name = row.querySelector("[data-part=name]");
      if (name) name.placeholder = ($("f-name").value.trim() || "…") + "-datavol-" + (i + 1);
    });
  }

  function addVolume(kind) {
    const row = $("data-volume-row").content.firstElementChild.cloneNode(true);
    row.dataset.kind = kind;
    row.querySelectorAll(kind === "new" ? ".kind-existing" : ".kind-new").forEach((el) => el.remove());
    if (kind === "existing") volumeOptions(row.querySelector("[data-part=existing]"));
    else row.querySelector("[data-part=size]").placeholder = cfg.volumeSize.default || "";
    row.querySelector("[data-part=mountPath]").addEventListener("input", (e) => { e.target.dataset.edited = "1"; });
    row.querySelector("[data-part=remove]").addEventListener("click", () => { row.remove(); renumber(); });
    $("data-volumes").appendChild(row);
    renumber();
  }

  // body turns the inputs into the API's form; empty fields are left out
  // so that the server applies its defaults.
  function body() {
    const b = { name: $("f-name").value.trim(), sharedMemory: $("f-shm").checked, language: $("f-language").value };
    if ($("f-use-custom").checked) b.customImage = $("f-custom").value.trim();
    else b.image = $("f-image").value;
    b.gpus = Number($("f-gpus").value || 0);
    if (b.gpus && cfg.gpu.vendors.length > 1) b.gpuVendor = $("f-gpuVendor").value;
    if (!b.gpus) {
      for (const f of ["cpu", "cpuLimit", "memory", "memoryLimit"]) {
        const v = $("f-" + f).value.trim();
        if (v) b[f] = v;
      }
    }
    if (form.querySelector("input[name=ws-kind]:checked").value === "existing") {
      b.workspace = { existing: $("f-ws-existing").value };
    } else {
      b.workspace = { new: {} };
      if ($("f-ws-size").value.trim()) b.workspace.new.size = $("f-ws-size").value.trim();
    }
    b.dataVolumes = [...document.querySelectorAll("#data-volumes .data-volume")].map((row) => {
      const part = (p) => row.querySelector("[data-part=" + p + "]");
      const dv = { mountPath: part("mountPath").value.trim() };
      if (row.dataset.kind === "existing") dv.existing = part("existing").value;
      else {
        dv.new = {};
        if (part("name").value.trim()) dv.new.name = part("name").value.trim();
        if (part("size").value.trim()) dv.new.size = part("size").value.trim();
      }
      return dv;
    });
    b.configurations = [...document.querySelectorAll("input[data-configuration]:checked")].map((x) => x.value);
    return b;
  }

  // errorSlot finds where an error about field goes: the slot for the
  // field itself, else for the closest enclosing field
  // (dataVolumes[1].new.size → dataVolumes[1] → dataVolumes), else the
  // form's own.
  function errorSlot(field) {
    let f = field || "";
    while (f) {
      const el = form.querySelector('[data-error-for="' + CSS.escape(f) + '"]');
      if (el) return el;
      const cut = Math.max(f.lastIndexOf("."), f.lastIndexOf("["));
      f = cut > 0 ? f.slice(0, cut) : "";
    }
    return $("form-error");
  }

  function clearErrors() {
    form.querySelectorAll(".field-error, #form-error").forEach((el) => { el.hidden = true; el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors();
    const submit = form.querySelector("button[type=submit]");
    submit.disabled = true;
    const res = await fetch("/api/v1/namespaces/" + encodeURIComponent(ns) + "/servers", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body()),
    }).catch((err) => ({ ok: false, json: async () => ({ error: err.message }) }));
    const data = await res.json().catch(() => ({}));
    submit.disabled = false;
    if (res.ok) { location.assign("/?ns=" + encodeURIComponent(ns)); return; }
    // Every refused field at once, each next to its field.
    const all = data.errors && data.errors.length ? data.errors : [data];
    all.forEach((e, i) => {
      const slot = errorSlot(e.field);
      slot.textContent = (slot.hidden ? "" : slot.textContent + " ") + (e.error || res.statusText);
      slot.hidden = false;
      const input = slot.closest("fieldset, .data-volume, div") && slot.parentElement.querySelector("input, select");
      if (input) input.setAttribute("aria-invalid", "true");
      if (i === 0) slot.scrollIntoView({ block: "center" });
    });
  });

  form.addEventListener("change", (ev) => {
    const t = ev.target;
    if (t.id === "f-image") describeImage();
    if (t.id === "f-name") renumber();
    if (t.id === "f-group") groupChanged();
    if (t.id === "f-gpus" || t.id === "f-gpuVendor") gpuChanged();
    if (t.id === "f-use-custom") { $("f-custom").disabled = !t.checked; $("f-image").disabled = t.checked; $("f-group").disabled = t.checked; }
    if (t.name === "ws-kind") { $("ws-new").hidden = t.value !== "new"; $("ws-existing").hidden = t.value !== "existing"; }
  });
  $("add-new-volume").addEventListener("click", () => addVolume("new"));
  $("add-existing-volume").addEventListener("click", () => addVolume("existing"));

  fetch("/api/v1/config?ns=" + encodeURIComponent(ns), { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then((res) => res.json())
    .then((c) => { cfg = c; build(); gpuChanged(); })
    .catch((err) => { $("form-loading").textContent = err.message; });
})();
