/* The split page's household chooser (grids/templates/grids/places/split.html): find
   households as one types, choose a whole courtyard at once, see how many are chosen. Without
   script every courtyard's list opens and closes and every box works. */
(function () {
  "use strict";

  var list = document.getElementById("split-households");
  if (!list) {
    return;
  }
  var finder = document.querySelector("[data-finder]");
  var box = document.querySelector("[data-filter-list]");
  var counter = document.querySelector("[data-chosen-count]");
  var none = document.querySelector("[data-filter-empty]");
  var boxes = list.querySelectorAll('input[type="checkbox"]:not([data-check-group])');

  function count() {
    var chosen = list.querySelectorAll('input[type="checkbox"]:not([data-check-group]):checked').length;
    counter.textContent = counter.getAttribute("data-template")
      .replace("%(count)s", chosen)
      .replace("%(total)s", counter.getAttribute("data-total"));
    list.querySelectorAll("[data-group]").forEach(function (group) {
      var all = group.querySelectorAll('li input[type="checkbox"]');
      var ticked = group.querySelectorAll('li input[type="checkbox"]:checked').length;
      var whole = group.querySelector("[data-check-group]");
      whole.checked = ticked === all.length && ticked > 0;
      whole.indeterminate = ticked > 0 && ticked < all.length;
    });
  }

  function filter() {
    var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    list.querySelectorAll("[data-group]").forEach(function (group) {
      var matches = 0;
      group.querySelectorAll("[data-filter-text]").forEach(function (item) {
        var text = item.getAttribute("data-filter-text").toLowerCase();
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        item.hidden = !match;
        matches += match ? 1 : 0;
      });
      group.hidden = matches === 0;
      if (words.length && matches) {
        group.open = true;
      }
      shown += matches;
    });
    none.hidden = shown > 0 || boxes.length === 0;
  }

  finder.hidden = false;
  list.querySelectorAll("[data-whole]").forEach(function (label) { label.hidden = false; });
  box.addEventListener("input", filter);
  // Enter in the search box finds; it does not send the form.
  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
    }
  });
  list.addEventListener("change", function (event) {
    var whole = event.target.closest("[data-check-group]");
    if (whole) {
      // The courtyard's households shown by the search (all of them when nothing is typed).
      event.target.closest("[data-group]").querySelectorAll("li:not([hidden]) input[type=checkbox]")
        .forEach(function (input) { input.checked = whole.checked; });
    }
    count();
  });
  count();
})();
