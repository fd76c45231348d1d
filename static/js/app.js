/* Small enhancements; every page works without them. */
(function () {
  "use strict";

  function submitButtons(form) {
    return form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]');
  }

  // A submit button marked data-confirm (an action that cannot be undone, like posting the
  // accounts) asks its question first, as the visit outbox's discard does (visits.js); answered
  // "cancel", nothing is sent. This listener comes before data-once's, which then leaves the
  // buttons enabled. Without script the form is sent as it is: the page says what follows.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    // An old browser without event.submitter: the form's marked button.
    var button = "submitter" in event ? event.submitter : form.querySelector("[data-confirm]");
    if (button && button.hasAttribute("data-confirm") && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // A form marked data-once disables its buttons once sent, so a double tap on a slow
  // connection sends it once. (The server also refuses a second save of the same form.)
  // The buttons are disabled after the event, so the pressed button's value is still sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once") || event.defaultPrevented) {
      return;
    }
    var buttons = submitButtons(form);
    window.setTimeout(function () {
      buttons.forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        if (button.dataset.busyLabel) {
          button.dataset.idleLabel = button.textContent;
          button.textContent = button.dataset.busyLabel;
        }
      });
    }, 0);
  });

  // Logging out forgets the visit pages kept on the phone for offline use (grids/visits/templates/visits/visit_sw.js),
  // so the next person on a shared phone cannot open them. Visits waiting to be sent stay.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("logout-form") || !window.caches) {
      return;
    }
    if (form.dataset.forgotten) {
      return;
    }
    event.preventDefault();
    var go = function () {
      if (!form.dataset.forgotten) {
        form.dataset.forgotten = "1";
        form.submit();
      }
    };
    window.setTimeout(go, 1500);
    if (navigator.serviceWorker && navigator.serviceWorker.getRegistration) {
      navigator.serviceWorker.getRegistration("/visits/").then(function (registration) {
        if (registration && registration.active) {
          registration.active.postMessage({type: "forget"});
        }
      }).catch(function () {});
    }
    window.caches.delete("cunzhi-visits-pages").then(go, go);
  });

  // Buttons and selects that act on their own, without inline handlers (the
  // Content-Security-Policy forbids them): data-print prints the page, a select marked
  // data-autosubmit sends its form when changed.
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (button) {
      window.print();
    }
  });
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-autosubmit") && select.form) {
      select.form.submit();
    }
  });

  // Coming back with the browser's back button shows the page from its cache: re-enable.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      submitButtons(form).forEach(function (button) {
        button.disabled = false;
        button.removeAttribute("aria-busy");
        if (button.dataset.idleLabel) {
          button.textContent = button.dataset.idleLabel;
        }
      });
    });
  });

  // A matter's action sent back unsaved (an error, or the same minutes asked about) is far down
  // a long page that reloads at its top: bring the answer into view, or the page looks saved.
  function showAnswer() {
    if (window.location.hash) {
      return;
    }
    var answer = document.querySelector(".action-panel[open] .same-minutes, .action-panel[open] .form-errors");
    if (!answer) {
      return;
    }
    answer.setAttribute("tabindex", "-1");
    answer.scrollIntoView({ block: "start" });
    answer.focus({ preventScroll: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showAnswer);
  } else {
    showAnswer();
  }
})();
