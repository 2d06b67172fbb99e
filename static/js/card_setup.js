// Adds a card without a payment: the Payment Element on a SetupIntent, confirmed with
// stripe.confirmSetup (3-D Secure where the card asks). The return page reads the
// SetupIntent from Stripe; nothing here decides whether the card was saved.
(function () {
  "use strict";
  var form = document.getElementById("setup-form");
  if (!form || typeof Stripe === "undefined") { return; }
  var button = document.getElementById("setup-button");
  var message = document.getElementById("setup-message");
  var stripe = Stripe(form.dataset.publishableKey);
  var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  var element = elements.create("payment");
  element.on("ready", function () {
    button.disabled = false;
    document.getElementById("payment-needs-js").hidden = true;
  });
  element.mount("#payment-element");

  function showError(text) {
    message.textContent = text;
    message.hidden = false;
    message.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) { return; }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    message.hidden = true;
    stripe.confirmSetup({
      elements: elements, confirmParams: { return_url: form.dataset.returnUrl }
    }).then(function (result) {
      var error = result && result.error;
      if (!error) { return; }
      button.disabled = false;
      button.setAttribute("aria-busy", "false");
      showError(error.message || "The card could not be saved. Please try again.");
    }, function () {
      button.disabled = false;
      button.setAttribute("aria-busy", "false");
      showError("We could not reach the payment service. Please try again.");
    });
  });
})();
