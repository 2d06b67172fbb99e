// While a payment is being confirmed, ask the server for the order's state with backoff;
// after a minute, tell the shopper we will email them instead of keeping them waiting.
(function () {
  "use strict";
  var root = document.getElementById("order-status");
  if (!root || root.dataset.pending !== "true") { return; }
  var delay = 1000, waited = 0, SLOW_AFTER = 60000, MAX_DELAY = 15000;

  function check() {
    fetch(root.dataset.statusUrl, { headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && !data.pending) { window.location.reload(); return; }
        schedule();
      }, schedule);
  }

  function schedule() {
    waited += delay;
    if (waited >= SLOW_AFTER) { document.getElementById("status-slow").hidden = false; }
    delay = Math.min(delay * 2, MAX_DELAY);
    window.setTimeout(check, delay);
  }

  window.setTimeout(check, delay);
})();
