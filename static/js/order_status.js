// While a payment is being confirmed, ask the server for the order's state with backoff.
// After 30 s the shopper is offered a way forward (the help under #status-slow) instead of
// a page that only waits; after 10 minutes the checks stop: the e-mail takes over.
(function () {
  "use strict";
  var root = document.getElementById("order-status");
  if (!root || root.dataset.pending !== "true") { return; }
  var delay = 1000, SLOW_AFTER = 30000, GIVE_UP_AFTER = 600000, MAX_DELAY = 15000;
  var started = Date.now();

  function check() {
    fetch(root.dataset.statusUrl, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && !data.pending) { window.location.reload(); return; }
        schedule();
      }, schedule);
  }

  function schedule() {
    if (Date.now() - started >= GIVE_UP_AFTER) { return; }
    delay = Math.min(delay * 2, MAX_DELAY);
    window.setTimeout(check, delay);
  }

  window.setTimeout(function () {
    document.getElementById("status-slow").hidden = false;
  }, SLOW_AFTER);
  window.setTimeout(check, delay);
})();
