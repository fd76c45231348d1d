/* Matter pages: choosing a category preselects its usual kind (民事/村事/政事), until the
   classifier chooses a kind: a kind chosen by hand is never reset by a later category
   (nor one the page was sent back with, marked data-kind-chosen by the form). Without
   this script nothing is preselected. */
(function () {
  "use strict";

  var categorySelects = function (radio) {
    if (!radio.form) {
      return [];
    }
    return Array.prototype.filter.call(radio.form.querySelectorAll("select[data-default-kinds]"), function (select) {
      return select.dataset.kindFor === radio.name;
    });
  };

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.type === "radio") {
      categorySelects(target).forEach(function (select) {
        select.dataset.kindChosen = "";
      });
      return;
    }
    if (!(target instanceof HTMLSelectElement) || !target.dataset.defaultKinds || !target.form) {
      return;
    }
    if ("kindChosen" in target.dataset) {
      return;
    }
    var kinds = {};
    target.dataset.defaultKinds.split(";").forEach(function (pair) {
      var parts = pair.split(":");
      kinds[parts[0]] = parts[1];
    });
    var kind = kinds[target.value];
    if (!kind) {
      return;
    }
    var radio = target.form.querySelector('input[name="' + target.dataset.kindFor + '"][value="' + kind + '"]');
    if (radio) {
      radio.checked = true;
    }
  });
})();
