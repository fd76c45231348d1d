/* Matter pages: choosing a category preselects its usual kind (民事/村事/政事). The
   classifier may still choose another; without this script nothing is preselected. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.dataset.defaultKinds) {
      return;
    }
    var kinds = {};
    select.dataset.defaultKinds.split(";").forEach(function (pair) {
      var parts = pair.split(":");
      kinds[parts[0]] = parts[1];
    });
    var kind = kinds[select.value];
    if (!kind || !select.form) {
      return;
    }
    var radio = select.form.querySelector('input[name="' + select.dataset.kindFor + '"][value="' + kind + '"]');
    if (radio) {
      radio.checked = true;
    }
  });
})();
