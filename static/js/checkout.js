// The checkout's summary follows the country, state and shipping method as the shopper
// changes them. The figures come from the server (data-prices on the summary: every
// destination's shipping, tax and total, priced and formatted by the same code as the
// order; a country with states or provinces has its shipping prices only, and each of its
// regions the rest), so this script only swaps texts: no arithmetic, no rounding. Nothing it
// shows is sent back; the server prices the order again when the form is posted.
(function () {
  "use strict";
  var form = document.getElementById("checkout-form");
  var summary = document.getElementById("checkout-summary");
  if (!form || !summary) { return; }
  var prices = JSON.parse(summary.dataset.prices || "{}");
  var country = form.elements.namedItem("country");
  var region = form.elements.namedItem("region");
  var methods = form.querySelectorAll("input[name='shipping_method']");
  // Cash on delivery's fee (its row is there only when the shop charges one): shown, and
  // the server's total with it ("total_cod"), while that payment method is chosen.
  var payments = form.querySelectorAll("input[name='payment_method']");
  var feeRow = document.getElementById("summary-cod-fee-row");
  var DASH = "—";

  function text(id, value) {
    document.getElementById(id).textContent = value;
  }

  function chosen() {
    for (var i = 0; i < methods.length; i++) {
      if (methods[i].checked && !methods[i].disabled) { return methods[i]; }
    }
    return null;
  }

  function codChosen() {
    for (var i = 0; i < payments.length; i++) {
      if (payments[i].checked) { return payments[i].value === "cod"; }
    }
    return false;
  }

  function update() {
    var here = prices[country.value];
    if (!here) { return; }  // nothing to price (an empty cart): keep the server's page
    for (var i = 0; i < methods.length; i++) {
      var offer = here.methods[methods[i].value];
      methods[i].disabled = !offer;
      form.querySelector("[data-method-price='" + methods[i].value + "']").textContent =
        offer ? offer.shipping : "Not available to " + here.name;
    }
    var method = chosen();
    var offer = method && here.methods[method.value];
    var place = here;
    if (here.regions) {
      var inCountry = region.value.indexOf(country.value + "-") === 0;
      place = inCountry ? prices[region.value] : null;
    }
    var figures = offer && place && place.methods[method.value];
    text("summary-shipping", offer ? offer.shipping : DASH);
    text("summary-tax-label", figures ? figures.tax_label : "Tax");
    text("summary-tax", figures ? figures.tax : DASH);
    var cod = Boolean(feeRow) && codChosen();
    if (feeRow) { feeRow.hidden = !cod; }
    text("summary-total", !figures ? DASH : cod ? figures.total_cod : figures.total);
    text("summary-destination", figures ? figures.label + " shipping to " + place.name + "." :
      offer ? "Choose a state or province to see the tax and total." :
      "Choose a shipping method to see the total.");
  }

  country.addEventListener("change", update);
  region.addEventListener("change", update);
  for (var i = 0; i < methods.length; i++) { methods[i].addEventListener("change", update); }
  for (var j = 0; j < payments.length; j++) { payments[j].addEventListener("change", update); }
  // Totals are live here: the button for browsers without JavaScript is not needed.
  document.getElementById("update-total").hidden = true;
  // A browser may restore the fields of a page opened again (Back, a reload).
  update();
})();
