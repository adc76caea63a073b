/* hemis portal: installs the service worker (the pages work without this script). */
"use strict";
(function () {
  var me = document.currentScript;
  if (!me || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(me.dataset.sw, { scope: me.dataset.scope }).catch(function () {});
})();
