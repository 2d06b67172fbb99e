// The state/province list follows the chosen country: only that country's regions can be
// picked, and a country without a list turns the field off (it is then not sent, which the
// server reads as "no region"). The server checks the pair again (domain.regions.check_region);
// this only spares the shopper a choice that would be refused. Without JavaScript the whole
// grouped list stays, as before.
(function () {
  "use strict";
  var pairs = document.querySelectorAll("select[name='region']");
  for (var i = 0; i < pairs.length; i++) { follow(pairs[i]); }

  function follow(region) {
    var country = region.form && region.form.elements.namedItem("country");
    if (!country) { return; }
    function update() {
      var prefix = country.value + "-";
      var any = false;
      var groups = region.querySelectorAll("optgroup");
      for (var g = 0; g < groups.length; g++) {
        var options = groups[g].querySelectorAll("option");
        var here = options.length > 0 && options[0].value.indexOf(prefix) === 0;
        groups[g].hidden = !here;
        groups[g].disabled = !here;
        any = any || here;
      }
      if (region.value && region.value.indexOf(prefix) !== 0) { region.value = ""; }
      region.disabled = !any;
      region.dispatchEvent(new Event("change"));
    }
    country.addEventListener("change", update);
    update();
  }
})();
