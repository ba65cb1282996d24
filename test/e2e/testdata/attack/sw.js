// Bob's service worker. Registered with scope "/", it would answer every
// page of its origin; on the hub's origin, the hub's own pages.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (e) => {
  if (new URL(e.request.url).pathname === "/__owned_by_bob") {
    e.respondWith(new Response("owned by bob", { headers: { "Content-Type": "text/plain" } }));
  }
});
