/* hemis portal: installs the service worker, keeps the unread badge current, turns on web push.
   The pages work without this script. */
"use strict";
(function () {
  var me = document.currentScript;
  var body = document.body;
  var sw = null;
  if (me && "serviceWorker" in navigator) {
    sw = navigator.serviceWorker.register(me.dataset.sw, { scope: me.dataset.scope }).catch(function () { return null; });
  }
  if (!body || !body.dataset.unread) return; // only a student's pages have notifications

  // In-page fallback for push: ask for the unread count now and then, and when the page comes back.
  var badge = document.querySelector("[data-test=unread]");
  function poll() {
    if (!badge || document.hidden) return;
    fetch(body.dataset.unread, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || typeof data.unread !== "number") return;
        badge.textContent = String(data.unread);
        badge.hidden = data.unread === 0;
      })
      .catch(function () {});
  }
  setInterval(poll, 60000);
  document.addEventListener("visibilitychange", poll);
  window.addEventListener("focus", poll);

  // Web push: offered only where the browser can and the server has a key (404 otherwise).
  var offer = document.querySelector("[data-test=push]");
  if (!offer || !sw || !("PushManager" in window) || !("Notification" in window)) return;
  function bytes(base64url) {
    var text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((base64url.length + 3) % 4));
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  fetch(body.dataset.pushKey, { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (key) {
      if (!key || !key.public_key) return;
      offer.hidden = false;
      var button = offer.querySelector("button");
      button.addEventListener("click", function () {
        sw.then(function (registration) {
          if (!registration) return null;
          return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(key.public_key) });
        })
          .then(function (subscription) {
            if (!subscription) return null;
            var sent = subscription.toJSON();
            sent.language = body.dataset.language;
            return fetch(body.dataset.pushSubscribe, {
              method: "POST",
              credentials: "same-origin",
              headers: { "Content-Type": "application/json" },
              body: JSON.stringify(sent),
            });
          })
          .then(function (r) { if (r && r.ok) { button.disabled = true; button.textContent = button.dataset.pushOn; } })
          .catch(function () {});
      });
    })
    .catch(function () {});
})();
