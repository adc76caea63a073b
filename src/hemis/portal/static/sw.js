/* hemis portal service worker: caches only shared files and the offline page, never personal pages. */
"use strict";
const CACHE = "hemis-portal-__VERSION__";
const SHARED = [__ASSETS__, "__OFFLINE__"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHARED)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("hemis-portal-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    // Pages always come from the network; only when it fails, the offline page from the cache.
    event.respondWith(fetch(request).catch(() => caches.match("__OFFLINE__")));
    return;
  }
  const url = new URL(request.url);
  if (url.origin === self.location.origin && SHARED.includes(url.pathname + url.search)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});

// Web push (hemis.notifications.jobs sends {id, kind, title, body}, already in the student's language).
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  if (!data.title) return;
  event.waitUntil(self.registration.showNotification(data.title, {
    body: data.body || "",
    tag: "hemis-" + (data.id || ""),
    icon: SHARED.find((u) => u.includes("icon-192.png")),
    data: { url: self.registration.scope + "notifications" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});
