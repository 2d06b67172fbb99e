// Mounts the Stripe Payment Element and confirms the payment. The same code runs against
// real Stripe.js and against the local sandbox's stand-in.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") { return; }
  var button = document.getElementById("pay-button");
  var message = document.getElementById("payment-message");
  var label = button.textContent;
  var stripe = Stripe(form.dataset.publishableKey);
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  var paymentElement = elements.create("payment");
  paymentElement.on("ready", function () { button.disabled = false; });
  paymentElement.mount("#payment-element");

  function showError(text) {
    message.textContent = text;
    message.hidden = false;
    message.focus && message.setAttribute("tabindex", "-1");
  }

  function busy(on) {
    // One click, one confirmation: the button stays disabled until Stripe answers.
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
    button.textContent = on ? "Processing…" : label;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) { return; }
    busy(true);
    message.hidden = true;
    stripe.confirmPayment({
      elements: elements,
      confirmParams: { return_url: form.dataset.returnUrl, receipt_email: form.dataset.email }
    }).then(function (result) {
      if (result && result.error) {
        busy(false);
        showError(result.error.message || "Your payment did not go through.");
      }
    }, function () {
      busy(false);
      showError("We could not reach the payment service. Nothing was charged; please try again.");
    });
  });
})();
