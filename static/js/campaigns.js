/* A campaign's questions: shown only while their condition holds, as the server will judge
   it (grids/campaigns/questionnaire.py `evaluate`, the same tree). A hidden question's inputs
   are disabled, so its answer is not sent. Without this script every question shows, and the
   server drops the answers whose condition does not hold.

   Two places hold questions ([data-campaign-form]):
   - a task's answer page: with the visits' outbox on the page (window.CunzhiOutbox, from
     static/js/visits.js) the answer goes into the phone's outbox under the form's UUID and is
     sent from there, so a dropped connection loses nothing; without it the form posts;
   - the visit form, one block per campaign (grids/campaigns/visit_form_panels.py): the blocks
     of the household chosen are shown, and their answers ride with the visit
     (window.cunzhiVisitParts), sent after it, linked to it.
   Written in ES5, for the older browsers inside WeChat. */
(function () {
  "use strict";

  var stringsNode = document.getElementById("visit-strings");
  var WORDS = stringsNode ? JSON.parse(stringsNode.textContent).words : {};

  function slice(list) {
    return Array.prototype.slice.call(list);
  }

  function format(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (match, key) {
      return values[key] === undefined ? match : String(values[key]);
    });
  }

  function fieldsOf(container) {
    return slice(container.querySelectorAll("[data-question]"));
  }

  function inputsOf(field) {
    return slice(field.querySelectorAll("input, textarea"));
  }

  // A question's answer as the server takes it, or undefined when none is given.
  function valueOf(field) {
    var kind = field.getAttribute("data-kind");
    var inputs = inputsOf(field);
    if (kind === "select_multiple") {
      var ticked = inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
      return ticked.length ? ticked : undefined;
    }
    if (kind === "select_one" || kind === "yes_no") {
      var chosen = inputs.filter(function (i) { return i.checked; })[0];
      return chosen ? chosen.value : undefined;
    }
    if (!inputs.length || inputs[0].type === "file") {
      return undefined;
    }
    var text = inputs[0].value.trim();
    return text === "" ? undefined : text;
  }

  function answers(container) {
    var values = {};
    fieldsOf(container).forEach(function (field) {
      var value = field.hidden ? undefined : valueOf(field);
      if (value !== undefined) {
        values[field.getAttribute("data-question")] = value;
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

  function refresh(container) {
    /* In order: a question's condition reads only earlier questions, already settled. */
    fieldsOf(container).forEach(function (field) {
      var condition = field.getAttribute("data-relevant");
      if (!condition) {
        return;
      }
      field.hidden = false;
      var show = holds(JSON.parse(condition), answers(container));
      field.hidden = !show;
      inputsOf(field).forEach(function (input) {
        input.disabled = !show;
      });
    });
  }

  // The answers of a container, its photos (question -> File) and what is missing (keyed as
  // the fields' ids say, "field-<key>").
  function collect(container) {
    var given = {answers: answers(container), files: {}, problems: {}};
    fieldsOf(container).forEach(function (field) {
      if (field.hidden) {
        return;
      }
      var name = field.getAttribute("data-question");
      var file = field.querySelector("input[type=file]");
      if (file && file.files && file.files.length) {
        given.files[name] = file.files[0];
      }
      var missing = given.answers[name] === undefined && !given.files[name];
      if (field.hasAttribute("data-required") && field.getAttribute("data-kind") !== "note" && missing) {
        given.problems[field.id.replace(/^field-/, "")] = [WORDS.answer_needed];
      }
    });
    return given;
  }

  // ------------------------------------------------------------------ the visit form

  function visitForm() {
    var dataNode = document.getElementById("visit-campaigns");
    var form = document.querySelector("[data-visit-form]");
    if (!dataNode || !form) {
      return;
    }
    var data = JSON.parse(dataNode.textContent);
    var section = form.querySelector("[data-visit-campaigns]");
    var blocks = slice(section.querySelectorAll("[data-campaign-form]"));

    function tasksOf(household) {
      return data.tasks[String(household || "")] || [];
    }

    function toggle(block) {
      var on = !block.hidden && block.querySelector("[data-campaign-answer]").checked;
      var questions = block.querySelector("[data-campaign-questions]");
      questions.hidden = !on;
      inputsOf(questions).forEach(function (input) { input.disabled = !on; });
      if (on) {
        refresh(questions);
      }
    }

    function show() {
      var open = tasksOf(form.elements.household.value);
      blocks.forEach(function (block) {
        var task = open.filter(function (t) { return String(t.campaign) === block.getAttribute("data-campaign"); })[0];
        block.hidden = !task;
        block.setAttribute("data-task", task ? String(task.task) : "");
        block.querySelector("[data-campaign-due]").textContent = task ? task.due_on : "";
        toggle(block);
      });
      section.hidden = !open.length;
    }

    form.addEventListener("change", function (event) {
      var block = event.target.closest ? event.target.closest("[data-campaign-form]") : null;
      if (event.target === form.elements.household) {
        show();
      } else if (block) {
        toggle(block);
      }
    });
    form.addEventListener("input", function (event) {
      var block = event.target.closest ? event.target.closest("[data-campaign-form]") : null;
      if (block) {
        refresh(block.querySelector("[data-campaign-questions]"));
      }
    });

    window.cunzhiVisitParts = window.cunzhiVisitParts || [];
    window.cunzhiVisitParts.push({
      collect: function (household) {
        var problems = {};
        var given = [];
        blocks.forEach(function (block) {
          var task = Number(block.getAttribute("data-task"));
          if (block.hidden || !task || !household || !block.querySelector("[data-campaign-answer]").checked) {
            return;
          }
          var answer = collect(block.querySelector("[data-campaign-questions]"));
          Object.keys(answer.problems).forEach(function (key) { problems[key] = answer.problems[key]; });
          given.push({task: task, client_uuid: window.CunzhiOutbox.uuid4(), answers: answer.answers, files: answer.files});
        });
        var campaign = given.length ? {url: data.answers_url, photos_url: data.photos_url, answers: given} : null;
        return {problems: problems, campaign: campaign};
      },
      restore: function (campaign) {
        show();
        (campaign ? campaign.answers : []).forEach(function (answer) {
          var block = blocks.filter(function (b) { return b.getAttribute("data-task") === String(answer.task); })[0];
          if (!block) {
            return;
          }
          block.querySelector("[data-campaign-answer]").checked = true;
          toggle(block);
          fieldsOf(block).forEach(function (field) {
            var value = answer.answers[field.getAttribute("data-question")];
            if (value === undefined) {
              return;
            }
            inputsOf(field).forEach(function (input) {
              if (input.type === "checkbox" || input.type === "radio") {
                input.checked = [].concat(value).indexOf(input.value) >= 0;
              } else if (input.type !== "file") {
                input.value = value;
              }
            });
          });
          refresh(block.querySelector("[data-campaign-questions]"));
        });
      },
      reset: function () {
        blocks.forEach(function (block) {
          block.querySelector("[data-campaign-answer]").checked = false;
          inputsOf(block.querySelector("[data-campaign-questions]")).forEach(function (input) {
            if (input.type === "checkbox" || input.type === "radio") {
              input.checked = false;
            } else {
              input.value = "";
            }
          });
        });
        show();
      }
    });
    show();
  }

  // ------------------------------------------------------------------ a task's answer page

  function answerPage(form) {
    var saving = false;
    var submit = form.querySelector("button[type=submit]");

    function busy(on) {
      saving = on;
      submit.disabled = on;
    }

    function clearErrors() {
      slice(form.querySelectorAll(".errorlist")).forEach(function (list) { list.parentNode.removeChild(list); });
      slice(form.querySelectorAll(".has-error")).forEach(function (field) { field.classList.remove("has-error"); });
    }

    // The reasons next to their questions, the rest on top.
    function showErrors(errors) {
      clearErrors();
      var top = [];
      Object.keys(errors || {}).forEach(function (key) {
        var texts = [].concat(errors[key]).map(String);
        var field = document.getElementById("field-" + key);
        if (field && !field.hidden) {
          var list = document.createElement("ul");
          list.className = "errorlist";
          texts.forEach(function (text) {
            var li = document.createElement("li");
            li.textContent = text;
            list.appendChild(li);
          });
          var anchor = field.querySelector("legend") || field.querySelector("label");
          (anchor ? anchor.parentNode : field).insertBefore(list, anchor ? anchor.nextSibling : field.firstChild);
          field.classList.add("has-error");
        } else if (key !== "code") {
          top = top.concat(texts);
        }
      });
      var box = document.createElement("div");
      box.className = "errorlist";
      box.setAttribute("role", "alert");
      box.textContent = [WORDS.not_saved].concat(top).join(" ");
      form.insertBefore(box, form.firstChild);
      box.scrollIntoView();
    }

    form.addEventListener("submit", function (event) {
      var outbox = window.CunzhiOutbox;
      if (!outbox) {
        return; /* no outbox on this page: the form posts */
      }
      event.preventDefault();
      if (saving) {
        return;
      }
      var given = collect(form);
      if (Object.keys(given.problems).length) {
        showErrors(given.problems);
        return;
      }
      busy(true);
      var token = form.elements.form_token.value;
      var name = form.getAttribute("data-label");
      var item = {
        client_uuid: token,
        username: outbox.user,
        label: form.getAttribute("data-campaign-title") + " · " + name,
        created: Date.now(),
        status: "answers",
        body: {household: Number(form.getAttribute("data-household")), visited_at: new Date().toISOString()},
        campaign: {
          url: form.getAttribute("data-answers-url"),
          photos_url: form.getAttribute("data-photos-url"),
          answers: [{task: Number(form.getAttribute("data-task")), client_uuid: token, answers: given.answers,
            files: given.files}]
        }
      };
      outbox.readPhotos(item.campaign).then(function () {
        return outbox.save(item);
      }).then(function () {
        return outbox.send();
      }).then(function () {
        return outbox.get(token);
      }).then(function (left) {
        if (!left) {
          outbox.flashNext(format(WORDS.answer_saved, {name: name}), "success");
          window.location.assign(form.getAttribute("data-done-url"));
          return null;
        }
        if (left.status === "rejected") {
          // Refused while the user is still here: back into the form, next to the questions.
          return outbox.remove(token).then(function () {
            form.elements.form_token.value = outbox.uuid4();
            busy(false);
            showErrors(left.errors && Object.keys(left.errors).length ? left.errors : {detail: [left.reason]});
          });
        }
        // Kept on the phone: the outbox above says so and sends it when it can.
        clearErrors();
        var note = document.createElement("p");
        note.className = "form-notice";
        note.setAttribute("role", "status");
        note.textContent = WORDS.saved_offline;
        form.parentNode.insertBefore(note, form);
        form.hidden = true;
        window.scrollTo(0, 0);
        return null;
      })["catch"](function () {
        // No storage on this browser: the form posts to its page, as without the script.
        busy(false);
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }

  // ------------------------------------------------------------------ the visit to-do

  // The households with a campaign to answer get its name on their card.
  function todoMarks() {
    var dataNode = document.getElementById("todo-campaigns");
    if (!dataNode) {
      return;
    }
    var households = JSON.parse(dataNode.textContent);
    slice(document.querySelectorAll("[data-todo-list] [data-household]")).forEach(function (card) {
      var titles = households[card.getAttribute("data-household")];
      var chips = card.querySelector(".chips");
      if (titles && chips && !chips.querySelector(".chip.campaign")) {
        var chip = document.createElement("li");
        chip.className = "chip campaign";
        chip.textContent = "✎ " + titles.join("、");
        chips.appendChild(chip);
      }
    });
  }

  slice(document.querySelectorAll("form[data-campaign-form]")).forEach(function (form) {
    form.addEventListener("change", function () { refresh(form); });
    form.addEventListener("input", function () { refresh(form); });
    refresh(form);
    answerPage(form);
  });
  visitForm();
  todoMarks();
})();
