// Mounts the Stripe Payment Element and confirms the payment. The same code runs against
// real Stripe.js and against the local sandbox's stand-in.
//
// Charging twice is impossible by construction: every try confirms the order's one
// PaymentIntent, the button stays disabled while a confirmation runs, and after an error we
// cannot read (a lost connection) we ask Stripe whether the intent was paid before offering
// to try again. The words shown come from the server (shop/orders/messages.py).
//
// A page opened in the middle of 3-D Secure (a reload, a reopened tab) has no card form but
// "Continue verification", which re-runs the intent's next action; whatever comes of it, the
// server reads the intent again and shows the step that follows.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") { return; }  // the hosted-page form stays
  var button = document.getElementById("pay-button");
  var message = document.getElementById("payment-message");
  var label = button.textContent;
  var texts = JSON.parse(form.dataset.messages || "{}");
  var clientSecret = form.dataset.clientSecret;
  var returnUrl = form.dataset.returnUrl;
  var stripe = Stripe(form.dataset.publishableKey);
  var PAID = ["succeeded", "processing", "requires_capture"];

  function go(url) { window.location.assign(url); }

  function settledUrl(intentId) {
    return returnUrl + (returnUrl.indexOf("?") >= 0 ? "&" : "?") +
      "payment_intent=" + encodeURIComponent(intentId);
  }

  if (form.dataset.step === "verify") {
    button.disabled = false;
    document.getElementById("payment-needs-js").hidden = true;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (button.disabled) { return; }
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      Promise.resolve().then(function () {
        return stripe.handleNextAction({ clientSecret: clientSecret });
      }).then(function (result) {
          var intent = result && result.paymentIntent;
          go(intent && PAID.indexOf(intent.status) >= 0 ? settledUrl(intent.id)
            : form.dataset.payUrl);
        }, function () { go(form.dataset.payUrl); });
    });
    return;
  }
  // A signed-in shopper's own order: the Customer Session shows their saved cards and
  // offers "Save this card for next time" (guests get none).
  var options = { clientSecret: clientSecret };
  if (form.dataset.customerSession) {
    options.customerSessionClientSecret = form.dataset.customerSession;
  }
  var elements = stripe.elements(options);
  var paymentElement = elements.create("payment");
  var working = false;
  paymentElement.on("ready", function () {
    button.disabled = false;
    document.getElementById("payment-needs-js").hidden = true;
    // The card form works: the way out to Stripe's hosted page is no longer needed.
    var fallback = document.getElementById("payment-fallback");
    if (fallback) { fallback.hidden = true; }
  });
  paymentElement.mount("#payment-element");

  function explain(error) {
    if (!error) { return texts.fallback; }
    // The Payment Element marks the field itself; repeat its words in the one error place.
    if (error.type === "validation_error" && error.message) { return error.message; }
    if (error.type === "api_connection_error") { return texts.network; }
    return (error.decline_code && texts.declines[error.decline_code]) ||
      (error.code && (texts.declines[error.code] || texts.codes[error.code])) ||
      texts.fallback;
  }

  function showError(text) {
    message.textContent = text;
    message.hidden = false;
    message.focus();
  }

  function busy(on) {
    working = on;
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
    button.textContent = on ? "Processing…" : label;
  }

  // Is the reservation still alive, and is there still something to pay? null if unknown.
  function preflight() {
    return fetch(form.dataset.statusUrl, {
      headers: { "Accept": "application/json" }, credentials: "same-origin"
    }).then(function (r) { return r.ok ? r.json() : null; }, function () { return null; });
  }

  // After an unreadable outcome: if Stripe has the money, show the order instead of retrying.
  function paidAlready() {
    return stripe.retrievePaymentIntent(clientSecret).then(function (result) {
      var intent = result && result.paymentIntent;
      if (intent && PAID.indexOf(intent.status) >= 0) { go(settledUrl(intent.id)); return true; }
      return false;
    }, function () { return false; });
  }

  function confirm() {
    return stripe.confirmPayment({
      elements: elements,
      confirmParams: { return_url: returnUrl, receipt_email: form.dataset.email }
    }).then(function (result) {
      var error = result && result.error;
      if (!error) { return; }
      if (error.type === "api_connection_error" ||
          error.code === "payment_intent_unexpected_state") {
        return paidAlready().then(function (paid) {
          if (!paid) { busy(false); showError(explain(error)); }
        });
      }
      busy(false);
      showError(explain(error));
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (working) { return; }
    busy(true);
    message.hidden = true;
    preflight().then(function (state) {
      // The server sends a lapsed reservation back to the cart, with the reason.
      if (state && state.lapsed) { go(form.dataset.payUrl); return; }
      if (state && !state.can_pay && !state.pending) { go(returnUrl); return; }
      return confirm();
    }).catch(function () {
      busy(false);
      showError(texts.network);
    });
  });
})();
