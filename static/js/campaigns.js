/* A campaign's answer form: shows a question only while its condition holds, as the server
   will judge it (grids/campaigns/questionnaire.py `evaluate`, the same tree). A hidden
   question's inputs are disabled, so its answer is not sent. Without this script every
   question shows, and the server drops the answers whose condition does not hold.
   Written in ES5, for the older browsers inside WeChat. */
(function () {
  "use strict";

  var form = document.querySelector("[data-campaign-form]");
  if (!form) {
    return;
  }
  var fields = Array.prototype.slice.call(form.querySelectorAll("[data-question]"));

  function answers() {
    var values = {};
    fields.forEach(function (field) {
      if (field.hidden) {
        return;
      }
      var name = field.getAttribute("data-question");
      var kind = field.getAttribute("data-kind");
      var inputs = Array.prototype.slice.call(field.querySelectorAll("input, textarea"));
      if (kind === "select_multiple") {
        values[name] = inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
      } else if (kind === "select_one" || kind === "yes_no") {
        var chosen = inputs.filter(function (i) { return i.checked; })[0];
        if (chosen) {
          values[name] = chosen.value;
        }
      } else if (inputs.length && inputs[0].type !== "file" && inputs[0].value !== "") {
        values[name] = inputs[0].value;
      }
    });
    return values;
  }

  function number(value) {
    if (value === null || value === undefined || value === "" || Array.isArray(value)) {
      return null;
    }
    var n = Number(value);
    return isNaN(n) ? null : n;
  }

  function operand(tree, values) {
    if (tree[0] === "lit") {
      return tree[1];
    }
    if (tree[0] === "ref") {
      return values[tree[1]];
    }
    if (tree[0] === "len") {
      var inner = operand(tree[1], values);
      return (typeof inner === "string" || Array.isArray(inner)) ? inner.length : 0;
    }
    return undefined; /* "." only appears in checks, which the server applies */
  }

  var COMPARE = {
    "=": function (a, b) { return a === b; },
    "!=": function (a, b) { return a !== b; },
    ">": function (a, b) { return a > b; },
    "<": function (a, b) { return a < b; },
    ">=": function (a, b) { return a >= b; },
    "<=": function (a, b) { return a <= b; }
  };

  function holds(tree, values) {
    var head = tree[0];
    if (head === "or") {
      return tree.slice(1).some(function (part) { return holds(part, values); });
    }
    if (head === "and") {
      return tree.slice(1).every(function (part) { return holds(part, values); });
    }
    if (head === "not") {
      return !holds(tree[1], values);
    }
    if (head === "selected") {
      var value = operand(tree[1], values);
      return Array.isArray(value) ? value.indexOf(tree[2]) >= 0 : value === tree[2];
    }
    var left = operand(tree[2], values);
    var right = operand(tree[3], values);
    var a = number(left);
    var b = number(right);
    if (a !== null && b !== null) {
      return COMPARE[tree[1]](a, b);
    }
    var leftText = Array.isArray(left) ? left.join(" ") : (left === undefined || left === null ? "" : String(left));
    var rightText = right === undefined || right === null ? "" : String(right);
    if (tree[1] === "=" || tree[1] === "!=") {
      return COMPARE[tree[1]](leftText, rightText);
    }
    return false;
  }

  function refresh() {
    /* In order: a question's condition reads only earlier questions, already settled. */
    fields.forEach(function (field) {
      var condition = field.getAttribute("data-relevant");
      if (!condition) {
        return;
      }
      field.hidden = false;
      var show = holds(JSON.parse(condition), answers());
      field.hidden = !show;
      Array.prototype.forEach.call(field.querySelectorAll("input, textarea"), function (input) {
        input.disabled = !show;
      });
    });
  }

  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  refresh();
})();
