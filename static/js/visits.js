/* Visits (走访) on a phone with a weak signal. Every page works without this script: the
   form then posts to its page. With it:

   - A saved visit goes first into the outbox on the phone (IndexedDB, else localStorage),
     keyed by its client UUID and marked with the username of its author, then to
     POST /api/v1/visits/batch/. The server keeps one visit per UUID, so sending again after
     a lost answer never makes a second one.
   - The outbox is sent when a visit page opens, when the connection returns ("online"),
     when the page comes back to the front, every PERIOD while a page is open, and on
     "send now". Only the logged-in user's visits are sent; another account's wait for them.
   - Accepted (201, or 200 for a replay): removed. Refused (400, 409): kept, marked with the
     server's reason, until fixed or discarded by hand. Not logged in (403
     not_authenticated): kept, with a link to log in and come back; sent after the login.
     No network or a server error: kept, tried again later. Nothing is dropped silently.
   - A visit may carry campaign answers (grids.campaigns adds their questions to the form and
     hands them over through window.cunzhiVisitParts): once the visit is recorded they go, each
     under its own UUID and linked to the visit, to the campaign answers' batch, their photos
     first. A campaign's answer page puts an answer on its own into the same outbox
     (window.CunzhiOutbox), which then skips the visit step.
   - A service worker (grids/visits/templates/visits/visit_sw.js) keeps the pages for offline use
     where the browser has one; without it (WeChat on iPhone) the open form keeps working:
     it saves into the outbox and resets for the next visit.
   Written in ES5 with promises, for the older browsers inside WeChat. */
(function () {
  "use strict";

  var root = document.querySelector("[data-visits]");
  var stringsNode = document.getElementById("visit-strings");
  if (!root || !stringsNode) {
    return;
  }
  var strings = JSON.parse(stringsNode.textContent);
  var WORDS = strings.words;
  var LABELS = strings.labels;
  var USER = root.getAttribute("data-username");
  var BATCH_URL = root.getAttribute("data-batch-url");
  var ME_URL = root.getAttribute("data-me-url");
  var LIST_URL = root.getAttribute("data-list-url");
  var FORM_URL = root.getAttribute("data-form-url");
  var LOGIN_URL = root.getAttribute("data-login-url");
  var CSRF_COOKIE = root.getAttribute("data-csrf-cookie") || "csrftoken";
  var BATCH_SIZE = 50;
  var PERIOD = 30000;
  // How long to wait before installing the service worker again after a failed install.
  var WORKER_RETRY = 15000;
  var TIMEOUT = 30000;
  var FLASH_KEY = "cunzhi-visit-flash";
  var DB_NAME = "cunzhi-visits";
  var LOCAL_KEY = "cunzhi-visits-outbox";
  var PHOTO_SIDE = 1600;
  var MAX_PHOTOS = 6;

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, key) {
      return values[key] === undefined ? match : String(values[key]);
    });
  }

  function plural(one, many, n) {
    return format(n === 1 ? WORDS[one] : WORDS[many], {n: n});
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function uuid4() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|;\\s*)" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function query(name) {
    var match = window.location.search.match(new RegExp("[?&]" + name + "=([^&#]*)"));
    return match ? decodeURIComponent(match[1].replace(/\+/g, " ")) : "";
  }

  // ------------------------------------------------------------------ the outbox store

  function idbStore() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) {
        reject(new Error("no IndexedDB"));
        return;
      }
      var request;
      try {
        request = window.indexedDB.open(DB_NAME, 1);
      } catch (error) {
        reject(error);
        return;
      }
      // Some private modes never answer: give up and use localStorage.
      var timer = window.setTimeout(function () { reject(new Error("IndexedDB did not open")); }, 4000);
      request.onupgradeneeded = function () {
        request.result.createObjectStore("outbox", {keyPath: "client_uuid"});
      };
      request.onerror = function () {
        window.clearTimeout(timer);
        reject(request.error);
      };
      request.onsuccess = function () {
        window.clearTimeout(timer);
        var db = request.result;
        var run = function (mode, action) {
          return new Promise(function (done, fail) {
            var tx = db.transaction("outbox", mode);
            var req = action(tx.objectStore("outbox"));
            tx.oncomplete = function () { done(req ? req.result : undefined); };
            tx.onerror = tx.onabort = function () { fail(tx.error); };
          });
        };
        resolve({
          kind: "indexeddb",
          all: function () { return run("readonly", function (s) { return s.getAll(); }); },
          get: function (key) { return run("readonly", function (s) { return s.get(key); }); },
          put: function (item) { return run("readwrite", function (s) { return s.put(item); }); },
          remove: function (key) { return run("readwrite", function (s) { return s["delete"](key); }); }
        });
      };
    });
  }

  function localStore() {
    var read = function () {
      try {
        return JSON.parse(window.localStorage.getItem(LOCAL_KEY) || "{}");
      } catch (error) {
        return {};
      }
    };
    var write = function (items) {
      window.localStorage.setItem(LOCAL_KEY, JSON.stringify(items));
    };
    window.localStorage.setItem(LOCAL_KEY + "-test", "1");
    window.localStorage.removeItem(LOCAL_KEY + "-test");
    return {
      kind: "localstorage",
      all: function () {
        var items = read();
        return Promise.resolve(Object.keys(items).map(function (key) { return items[key]; }));
      },
      get: function (key) { return Promise.resolve(read()[key]); },
      put: function (item) {
        var items = read();
        items[item.client_uuid] = item;
        write(items);
        return Promise.resolve();
      },
      remove: function (key) {
        var items = read();
        delete items[key];
        write(items);
        return Promise.resolve();
      }
    };
  }

  var storeReady = idbStore()["catch"](function () {
    try {
      return localStore();
    } catch (error) {
      return null;
    }
  });

  function withStore(action) {
    return storeReady.then(function (store) {
      if (!store) {
        throw new Error("no storage");
      }
      return action(store);
    });
  }

  function askToKeep() {
    var storage = navigator.storage;
    if (storage && storage.persist && storage.persisted) {
      storage.persisted().then(function (kept) {
        return kept || storage.persist();
      })["catch"](function () {});
    }
  }

  // ------------------------------------------------------------------ sending

  // `fixing`: the refused visit being corrected in the form on this page (not listed twice).
  var state = {sending: null, needsLogin: false, otherSession: false, error: "", fixing: ""};

  function request(method, url, data, headers) {
    var form = window.FormData && data instanceof window.FormData;
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url, true);
      xhr.timeout = TIMEOUT;
      xhr.setRequestHeader("Accept", "application/json");
      if (method === "POST") {
        if (!form) {
          xhr.setRequestHeader("Content-Type", "application/json");
        }
        xhr.setRequestHeader("X-CSRFToken", cookie(CSRF_COOKIE));
      }
      Object.keys(headers || {}).forEach(function (name) {
        xhr.setRequestHeader(name, headers[name]);
      });
      xhr.onload = function () {
        var body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch (error) {
          body = null;
        }
        resolve({status: xhr.status, data: body});
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () {
        resolve({status: 0, data: null});
      };
      xhr.send(data === undefined ? null : (form ? data : JSON.stringify(data)));
    });
  }

  function refusedLogin(reply) {
    return reply.status === 401 || (reply.status === 403 && reply.data && reply.data.code === "not_authenticated");
  }

  // The session must be the author's: on a shared phone another account may have logged in
  // (in another tab) since this page was opened, and the server records the session's user.
  function checkSession() {
    return request("GET", ME_URL).then(function (reply) {
      state.needsLogin = refusedLogin(reply);
      state.otherSession = reply.status === 200 && !!reply.data && reply.data.username !== USER;
      if (reply.status === 0) {
        state.error = WORDS.network;
      }
      return reply.status === 200 && !state.otherSession;
    });
  }

  function reasonOf(errors) {
    if (!errors) {
      return "";
    }
    if (typeof errors.detail === "string") {
      return errors.detail;
    }
    var parts = [];
    Object.keys(errors).forEach(function (field) {
      var messages = [].concat(errors[field]).map(function (m) { return typeof m === "string" ? m : JSON.stringify(m); });
      var label = LABELS[field];
      parts.push((label && field !== "non_field_errors" ? label + ": " : "") + messages.join(" "));
    });
    return parts.join("; ");
  }

  function mine(items) {
    return items.filter(function (item) { return item.username === USER; });
  }

  function oldestFirst(a, b) {
    return a.created - b.created;
  }

  function sendBatch(store, items) {
    var chunk = items.slice(0, BATCH_SIZE);
    var rest = items.slice(BATCH_SIZE);
    return request("POST", BATCH_URL, {visits: chunk.map(function (item) { return item.body; })}).then(function (reply) {
      if (reply.status === 200 && reply.data && reply.data.results) {
        state.needsLogin = false;
        state.error = "";
        return Promise.all(reply.data.results.map(function (result) {
          var item = chunk.filter(function (i) { return i.client_uuid === result.client_uuid; })[0] || chunk[result.index];
          if (!item) {
            return null;
          }
          if (result.status === 200 || result.status === 201) {
            // The visit is recorded; its campaign answers (sendAnswers) and photos (sendPhotos) follow.
            item.visit = result.visit && result.visit.id;
            return nextStep(store, item);
          }
          if (result.status === 400 || result.status === 409) {
            // Refused: kept with the reason until the user fixes or discards it. (Unless the
            // user discarded it meanwhile.)
            return store.get(item.client_uuid).then(function (current) {
              if (!current) {
                return null;
              }
              current.status = "rejected";
              current.errors = result.errors || {};
              current.reason = reasonOf(result.errors);
              return store.put(current);
            });
          }
          return null;
        })).then(function () {
          return rest.length ? sendBatch(store, rest) : null;
        });
      }
      if (refusedLogin(reply)) {
        state.needsLogin = true;
        return null;
      }
      if (reply.status === 0) {
        state.error = WORDS.network;
      } else {
        state.error = (reply.data && reply.data.detail) || format(WORDS.server, {status: reply.status});
      }
      return null;
    });
  }

  // What a recorded visit (or a sent answer) still has to send: campaign answers, then photos.
  function nextStep(store, item) {
    if (item.campaign && item.campaign.answers.length) {
      item.status = "answers";
    } else if (item.photos && item.photos.length && item.visit) {
      item.status = "photos";
    } else {
      return store.remove(item.client_uuid);
    }
    return store.put(item);
  }

  // The campaign answers waiting, one item at a time: each answer's photos first (each under
  // its own Idempotency-Key, so a photo sent again is stored once; the answer then names it by
  // its token), then the answers in one batch, linked to the item's visit when it has one.
  function sendAnswers(store) {
    return store.all().then(function (items) {
      var queue = mine(items).filter(function (i) { return i.status === "answers"; }).sort(oldestFirst);
      var next = function () {
        var item = queue.shift();
        if (!item) {
          return null;
        }
        return sendAnswersOf(store, item).then(function (goOn) {
          return goOn ? next() : null;
        });
      };
      return next();
    });
  }

  function failed(reply) {
    if (refusedLogin(reply)) {
      state.needsLogin = true;
    } else if (reply.status === 0 || reply.status >= 500) {
      state.error = reply.status ? format(WORDS.server, {status: reply.status}) : WORDS.network;
    } else {
      return false;
    }
    return true;
  }

  function refuse(store, item, reason, errors) {
    item.status = "rejected";
    item.answersRefused = true;
    item.errors = errors || {};
    item.reason = reason;
    return store.put(item).then(function () { return true; });
  }

  function sendAnswerPhotos(store, item) {
    var answer = item.campaign.answers.filter(function (a) { return a.photos && Object.keys(a.photos).length; })[0];
    if (!answer) {
      return Promise.resolve(true);
    }
    var question = Object.keys(answer.photos)[0];
    var data = new window.FormData();
    data.append("image", dataUrlBlob(answer.photos[question]), "photo.jpg");
    var key = "answer-photo:" + answer.client_uuid + ":" + question;
    return request("POST", item.campaign.photos_url, data, {"Idempotency-Key": key}).then(function (reply) {
      if (reply.status === 200 || reply.status === 201) {
        answer.answers[question] = reply.data.token;
        delete answer.photos[question];
        return store.put(item).then(function () { return sendAnswerPhotos(store, item); });
      }
      if (failed(reply)) {
        return false;
      }
      return refuse(store, item, WORDS.photo_label + ": " + reasonOf(reply.data && reply.data.image ?
        {image: reply.data.image} : reply.data)).then(function () { return false; });
    });
  }

  function sendAnswersOf(store, item) {
    return sendAnswerPhotos(store, item).then(function (photosSent) {
      if (!photosSent) {
        return !state.needsLogin && !state.error;
      }
      var answers = item.campaign.answers.map(function (answer) {
        var body = {task: answer.task, client_uuid: answer.client_uuid, answers: answer.answers};
        if (item.visit) {
          body.visit = item.visit;
        }
        return body;
      });
      return request("POST", item.campaign.url, {answers: answers}).then(function (reply) {
        if (!(reply.status === 200 && reply.data && reply.data.results)) {
          if (failed(reply)) {
            return false;
          }
          return refuse(store, item, reasonOf(reply.data), reply.data);
        }
        var refused = [];
        reply.data.results.forEach(function (result) {
          if (result.status !== 200 && result.status !== 201) {
            refused.push(result);
          }
        });
        item.campaign.answers = item.campaign.answers.filter(function (answer) {
          return refused.some(function (r) { return r.client_uuid === answer.client_uuid; });
        });
        if (!refused.length) {
          return nextStep(store, item).then(function () { return true; });
        }
        var errors = {};
        refused.forEach(function (r) {
          Object.keys(r.errors || {}).forEach(function (name) {
            errors[name] = [].concat(errors[name] || [], r.errors[name]);
          });
        });
        return refuse(store, item, reasonOf(errors), errors);
      });
    });
  }

  function dataUrlBlob(dataUrl) {
    var parts = dataUrl.split(",");
    var mime = (parts[0].match(/:(.*?);/) || [])[1] || "application/octet-stream";
    var binary = window.atob(parts[1]);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return new Blob([bytes], {type: mime});
  }

  // The photos of recorded visits, one at a time. Each carries its own Idempotency-Key, so
  // a photo sent again after a lost answer is stored once.
  function sendPhotos(store) {
    return store.all().then(function (items) {
      var queue = mine(items).filter(function (i) { return i.status === "photos" && i.visit; }).sort(oldestFirst);
      var next = function () {
        var item = queue.shift();
        if (!item) {
          return null;
        }
        return sendPhotosOf(store, item).then(function (goOn) {
          return goOn ? next() : null;
        });
      };
      return next();
    });
  }

  function sendPhotosOf(store, item) {
    var photo = item.photos[0];
    if (!photo) {
      return store.remove(item.client_uuid).then(function () { return true; });
    }
    var data = new window.FormData();
    data.append("image", dataUrlBlob(photo.data), "photo.jpg");
    var url = BATCH_URL.replace(/batch\/$/, item.visit + "/photos/");
    return request("POST", url, data, {"Idempotency-Key": photo.key}).then(function (reply) {
      if (reply.status === 200 || reply.status === 201) {
        item.photos.shift();
        return (item.photos.length ? store.put(item) : store.remove(item.client_uuid)).then(function () {
          return item.photos.length ? sendPhotosOf(store, item) : true;
        });
      }
      if (refusedLogin(reply)) {
        state.needsLogin = true;
        return false;
      }
      if (reply.status === 0 || reply.status >= 500) {
        state.error = reply.status ? format(WORDS.server, {status: reply.status}) : WORDS.network;
        return false;
      }
      item.status = "rejected";
      item.photoRefused = true;
      item.errors = {};
      item.reason = WORDS.photo_label + ": " + reasonOf(reply.data && reply.data.image ? {image: reply.data.image} : reply.data);
      return store.put(item).then(function () { return true; });
    });
  }

  // Send the user's waiting visits. Automatic sends skip when the browser says it is
  // offline; "send now" always tries (the browser's word is not always right).
  function send(manual) {
    if (state.sending) {
      return state.sending.then(function () { return send(manual); });
    }
    if (!manual && navigator.onLine === false) {
      return render();
    }
    state.error = "";
    state.sending = withStore(function (store) {
      return store.all().then(function (items) {
        var own = mine(items);
        var waiting = own.filter(function (i) { return i.status === "waiting"; }).sort(oldestFirst);
        var later = own.filter(function (i) { return i.status === "answers" || i.status === "photos"; });
        if (!waiting.length && !later.length) {
          return null;
        }
        root.setAttribute("data-state", "sending");
        renderStatus();
        return checkSession().then(function (ok) {
          if (!ok) {
            return null;
          }
          return (waiting.length ? sendBatch(store, waiting) : Promise.resolve()).then(function () {
            return state.needsLogin || state.error ? null : sendAnswers(store);
          }).then(function () {
            return state.needsLogin || state.error ? null : sendPhotos(store);
          });
        });
      });
    })["catch"](function () {
      return null;
    }).then(function () {
      state.sending = null;
      return render();
    });
    return state.sending;
  }

  // ------------------------------------------------------------------ showing the outbox

  function when(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) {
      return "";
    }
    var lang = document.documentElement.lang || undefined;
    try {
      return date.toLocaleString(lang, {month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit"});
    } catch (error) {
      return date.toLocaleString();
    }
  }

  function renderStatus() {
    var status = root.querySelector("[data-outbox-status]");
    status.textContent = "";
    var stateName = "idle";
    if (state.sending) {
      stateName = "sending";
      status.textContent = WORDS.sending;
    } else if (state.otherSession) {
      stateName = "other-session";
      status.textContent = WORDS.other_session;
    } else if (state.needsLogin) {
      stateName = "login";
      status.appendChild(document.createTextNode(WORDS.login + " "));
      var link = el("a", "button primary", WORDS.login_link);
      link.href = LOGIN_URL + "?next=" + encodeURIComponent(window.location.pathname + window.location.search);
      link.setAttribute("data-outbox-login", "");
      status.appendChild(link);
    } else if (navigator.onLine === false) {
      stateName = "offline";
      status.textContent = WORDS.offline;
    } else if (state.error) {
      stateName = "error";
      status.textContent = format(WORDS.failed, {reason: state.error});
    }
    root.setAttribute("data-state", stateName);
  }

  function itemNode(item) {
    var li = el("li", "outbox-item " + item.status);
    li.setAttribute("data-uuid", item.client_uuid);
    var chip = item.status === "rejected" ?
      el("span", "chip refused", "✕ " + WORDS.rejected) : el("span", "chip waiting", "○ " + (item.status === "photos" ?
        format(WORDS.photos_waiting, {n: item.photos.length}) : (item.status === "answers" ?
          format(WORDS.answers_waiting, {n: item.campaign.answers.length}) : WORDS.waiting)));
    var head = el("div", "row");
    var what = el("div", "grow");
    what.appendChild(el("div", "what", item.label));
    what.appendChild(el("div", "when", when(item.body.visited_at)));
    head.appendChild(what);
    head.appendChild(chip);
    li.appendChild(head);
    if (item.status === "rejected") {
      li.appendChild(el("p", "reason", WORDS.reason + " " + (item.reason || "")));
      var actions = el("div", "actions");
      if (!item.photoRefused && !item.answersRefused) {
        var fix = el("a", "button small", WORDS.fix);
        fix.href = FORM_URL + "?outbox=" + encodeURIComponent(item.client_uuid);
        fix.setAttribute("data-outbox-fix", "");
        actions.appendChild(fix);
      }
      var discard = el("button", "button small danger", WORDS.discard);
      discard.type = "button";
      discard.setAttribute("data-outbox-discard", item.client_uuid);
      if (item.photoRefused) {
        discard.setAttribute("data-confirm", WORDS.discard_photos_confirm);
      } else if (item.answersRefused) {
        discard.setAttribute("data-confirm", WORDS.discard_answers_confirm);
      }
      actions.appendChild(discard);
      li.appendChild(actions);
    }
    return li;
  }

  function markPending(waiting) {
    var pending = {};
    waiting.forEach(function (item) {
      if (item.body.household) {
        pending[item.body.household] = true;
      }
    });
    document.querySelectorAll("[data-todo-list] [data-household]").forEach(function (card) {
      var chip = card.querySelector(".chip.waiting");
      var id = card.getAttribute("data-household");
      if (pending[id] && !chip) {
        var chips = card.querySelector(".chips");
        if (chips) {
          chips.insertBefore(el("li", "chip waiting", "○ " + WORDS.pending_here), chips.firstChild);
        }
      } else if (!pending[id] && chip) {
        chip.parentNode.removeChild(chip);
      }
    });
  }

  function render() {
    return storeReady.then(function (store) {
      return store ? store.all() : [];
    }).then(function (items) {
      var own = mine(items).sort(oldestFirst);
      var waiting = own.filter(function (i) { return i.status !== "rejected"; });
      var rejected = own.filter(function (i) { return i.status === "rejected"; });
      var others = items.length - own.length;
      root.setAttribute("data-waiting", String(waiting.length));
      root.setAttribute("data-rejected", String(rejected.length));
      var summary = root.querySelector("[data-outbox-summary]");
      var shape = root.querySelector("[data-outbox-shape]");
      if (waiting.length) {
        summary.textContent = plural("waiting_one", "waiting_many", waiting.length);
        shape.textContent = "○";
      } else if (rejected.length) {
        summary.textContent = plural("rejected_one", "rejected_many", rejected.length);
        shape.textContent = "✕";
      } else if (others) {
        summary.textContent = format(WORDS.other_user, {n: others});
        shape.textContent = "○";
      } else {
        summary.textContent = WORDS.all_sent;
        shape.textContent = "✓";
      }
      root.classList.toggle("all-sent", !own.length);
      var list = root.querySelector("[data-outbox-list]");
      list.textContent = "";
      rejected.concat(waiting).forEach(function (item) {
        if (item.client_uuid !== state.fixing) {
          list.appendChild(itemNode(item));
        }
      });
      var sendButton = root.querySelector("[data-outbox-send]");
      sendButton.hidden = !waiting.length || state.needsLogin || state.otherSession;
      sendButton.disabled = !!state.sending;
      var other = root.querySelector("[data-outbox-other]");
      other.hidden = !others || !own.length;
      other.textContent = others ? format(WORDS.other_user, {n: others}) : "";
      renderStatus();
      // Shown while something waits, was refused or belongs to someone else, and for a
      // while after the last one left (so "all sent" is seen).
      var show = own.length > 0 || others > 0 || state.needsLogin || root.hasAttribute("data-had-items");
      if (own.length) {
        root.setAttribute("data-had-items", "");
      }
      root.hidden = !show;
      markPending(waiting);
    });
  }

  root.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-outbox-send]")) {
      send(true);
      return;
    }
    var discard = target.closest("[data-outbox-discard]");
    if (discard && window.confirm(discard.getAttribute("data-confirm") || WORDS.discard_confirm)) {
      withStore(function (store) {
        return store.remove(discard.getAttribute("data-outbox-discard"));
      }).then(function () {
        flash(WORDS.discarded, "info");
        return render();
      });
    }
  });

  // ------------------------------------------------------------------ messages

  function flash(text, kind) {
    var box = document.querySelector("[data-visit-flash]");
    if (!box) {
      return;
    }
    box.textContent = "";
    var list = el("ul", "messages");
    list.setAttribute("role", "status");
    var item = el("li", "message " + (kind || "success"));
    item.appendChild(el("span", "icon", kind === "info" ? "ℹ" : "✓")).setAttribute("aria-hidden", "true");
    item.appendChild(el("span", "", text));
    list.appendChild(item);
    box.appendChild(list);
  }

  function flashNext(text, kind) {
    try {
      window.sessionStorage.setItem(FLASH_KEY, JSON.stringify({text: text, kind: kind}));
    } catch (error) {
      return;
    }
  }

  function showPendingFlash() {
    var saved;
    try {
      saved = JSON.parse(window.sessionStorage.getItem(FLASH_KEY) || "null");
      window.sessionStorage.removeItem(FLASH_KEY);
    } catch (error) {
      saved = null;
    }
    if (saved && saved.text) {
      flash(saved.text, saved.kind);
    }
  }

  // A page the phone kept says how old it is.
  function showAge() {
    var note = document.querySelector("[data-offline-note]");
    var rendered = Date.parse(root.getAttribute("data-rendered-at") || "");
    if (!note || !rendered || Date.now() - rendered < 2 * 60 * 1000) {
      return;
    }
    var time = new Date(rendered).toLocaleTimeString(document.documentElement.lang || undefined, {hour: "2-digit", minute: "2-digit"});
    note.textContent = format(WORDS.stale, {time: time});
    note.hidden = false;
  }

  // ------------------------------------------------------------------ the to-visit list

  // A kept copy of the list may be shown for another filter than it was made for (offline,
  // the service worker falls back to the unfiltered list): filter its rows here.
  function filterTodo() {
    var form = document.querySelector("[data-todo-filters]");
    var list = document.querySelector("[data-todo-list]");
    if (!form || !list) {
      return;
    }
    var courtyard = query("courtyard");
    var tag = query("tag");
    if (courtyard === form.getAttribute("data-filter-courtyard") && tag === form.getAttribute("data-filter-tag")) {
      return;
    }
    var shown = 0;
    list.querySelectorAll("[data-household]").forEach(function (card) {
      var ok = (!courtyard || card.getAttribute("data-courtyard") === courtyard) &&
        (!tag || (" " + card.getAttribute("data-tags") + " ").indexOf(" " + tag + " ") !== -1);
      card.hidden = !ok;
      shown += ok ? 1 : 0;
    });
    var empty = document.querySelector("[data-todo-empty]");
    if (empty) {
      empty.hidden = shown > 0;
    }
    if (form.elements.courtyard) {
      form.elements.courtyard.value = courtyard;
    }
    if (form.elements.tag) {
      form.elements.tag.value = tag;
    }
  }

  // Choosing a filter applies it at once.
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-todo-filters")) {
      form.submit();
    }
  });

  // ------------------------------------------------------------------ the visit form

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function localInput(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function parseLocal(value) {
    var m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/.exec(value || "");
    return m ? new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]) : null;
  }

  // A photo made smaller on the phone (a weak signal carries 300 kB, not 5 MB), as a data URL
  // so that IndexedDB and localStorage alike can keep it. Unreadable here: kept as it is,
  // and the server says whether it can read it.
  function shrink(file) {
    return new Promise(function (resolve) {
      var asIs = function () {
        var reader = new FileReader();
        reader.onload = function () { resolve(reader.result); };
        reader.onerror = function () { resolve(null); };
        reader.readAsDataURL(file);
      };
      if (!window.URL || !window.URL.createObjectURL) {
        asIs();
        return;
      }
      var url = window.URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () {
        var scale = Math.min(1, PHOTO_SIDE / Math.max(image.naturalWidth, image.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
        window.URL.revokeObjectURL(url);
        try {
          canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
          resolve(canvas.toDataURL("image/jpeg", 0.8));
        } catch (error) {
          asIs();
        }
      };
      image.onerror = function () {
        window.URL.revokeObjectURL(url);
        asIs();
      };
      image.src = url;
    });
  }

  function readPhotos(files, uuid) {
    return Promise.all(Array.prototype.map.call(files || [], shrink)).then(function (urls) {
      return urls.filter(Boolean).map(function (data, i) {
        return {key: "visit-photo:" + uuid + ":" + i, data: data};
      });
    });
  }

  // Sections the apps above add to the visit form (grids.campaigns: the questions of the
  // household's campaigns). Each is {collect(household) -> {problems, campaign} or null, reset(),
  // restore(campaign): a refused visit's answers back in the form to be fixed}.
  var PARTS = window.cunzhiVisitParts = window.cunzhiVisitParts || [];

  // The campaign answers' photos, read (and shrunk) into the outbox like a visit's; `files`
  // (question -> File) becomes `photos` (question -> data URL).
  function readAnswerPhotos(campaign) {
    var answers = campaign ? campaign.answers : [];
    return Promise.all(answers.map(function (answer) {
      var names = Object.keys(answer.files || {});
      answer.photos = {};
      return Promise.all(names.map(function (name) {
        return shrink(answer.files[name]).then(function (data) {
          if (data) {
            answer.photos[name] = data;
          }
        });
      })).then(function () { delete answer.files; });
    }));
  }

  function enhanceForm(form) {
    var places = JSON.parse(document.getElementById("visit-places").textContent);
    var f = form.elements;
    var card = form.querySelector("[data-place-card]");
    var notice = form.querySelector("[data-form-notice]");
    var submit = form.querySelector("button[type=submit]");
    var timeTouched = false;
    var changePlace = form.querySelector("details.change-place");
    var fixingPhotos = [];

    function radios(name) {
      return Array.prototype.slice.call(form.querySelectorAll("input[name='" + name + "']"));
    }
    function checked(name) {
      var hit = radios(name).filter(function (r) { return r.checked; })[0];
      return hit ? hit.value : "";
    }
    function check(name, value) {
      radios(name).forEach(function (r) { r.checked = r.value === value; });
    }
    function only(kind, visible) {
      form.querySelectorAll("[data-only='" + kind + "']").forEach(function (node) { node.hidden = !visible; });
    }

    function setNow() {
      f.visited_at.value = localInput(new Date());
      timeTouched = false;
    }

    function showNotice(text) {
      notice.textContent = text;
      notice.hidden = !text;
    }

    // Show what fits the place: a household has "who you met"; a walk has grid and courtyard.
    function update() {
      var household = f.household.value;
      var method = checked("method");
      var walk = !household;
      // A courtyard helper walks a courtyard, not the grid around it.
      var canWalkGrid = !!(f.grid.options && f.grid.options.length);
      radios("method").forEach(function (r) {
        var li = r.closest("li");
        li.hidden = (walk && (r.value === "home" || r.value === "sit-down")) || (r.value === "grid" && !canWalkGrid);
      });
      if ((walk && method !== "grid" && method !== "courtyard") || (method === "grid" && !canWalkGrid)) {
        check("method", walk && canWalkGrid ? "grid" : (walk ? "courtyard" : "home"));
        method = checked("method");
      }
      only("household", !walk);
      only("walk", walk);
      only("courtyard", walk && method === "courtyard");
      Array.prototype.forEach.call(f.courtyard.options, function (option) {
        var other = option.value && f.grid.value && option.getAttribute("data-grid") !== f.grid.value;
        option.hidden = !!other;
        option.disabled = !!other;
      });
      if (f.courtyard.selectedOptions && f.courtyard.selectedOptions[0] && f.courtyard.selectedOptions[0].disabled) {
        f.courtyard.value = "";
      }
      var kind = card.querySelector("[data-place-kind]");
      var name = card.querySelector("[data-place-name]");
      var detail = card.querySelector("[data-place-detail]");
      if (!walk) {
        var option = f.household.options[f.household.selectedIndex];
        kind.textContent = card.getAttribute("data-word-household");
        // The label is "head · number · place" (the number first when there is no head).
        name.textContent = option.getAttribute("data-name") || option.textContent.split(" · ")[0];
        detail.textContent = option.getAttribute("data-detail") || "";
      } else {
        var courtyard = method === "courtyard" && places.courtyards[f.courtyard.value];
        kind.textContent = card.getAttribute("data-word-walk");
        name.textContent = courtyard ? courtyard.name : (places.grids[f.grid.value] || "");
        detail.textContent = courtyard ? (places.grids[String(courtyard.grid)] || "") : "";
      }
      form.querySelector("[data-matter-title]").hidden = !f.raise_matter.checked;
    }

    function placeLabel() {
      var name = card.querySelector("[data-place-name]").textContent;
      if (f.household.value) {
        var option = f.household.options[f.household.selectedIndex];
        return option ? option.textContent : name;
      }
      return format(WORDS.walk_grid, {place: name});
    }

    // The place named in the address wins over the one the (possibly kept) copy shows.
    function placeFromAddress() {
      var household = query("household");
      var grid = query("grid");
      var courtyard = query("courtyard");
      showNotice("");
      submit.disabled = false;
      if (household) {
        f.household.value = household;
        if (f.household.value !== household) {
          showNotice(WORDS.unknown_place);
          submit.disabled = true;
          return;
        }
        check("method", "home");
        changePlace.open = false;
      } else if (courtyard && places.courtyards[courtyard]) {
        f.household.value = "";
        if (places.grids[String(places.courtyards[courtyard].grid)]) {
          f.grid.value = String(places.courtyards[courtyard].grid);
        }
        check("method", "courtyard");
        f.courtyard.value = courtyard;
        changePlace.open = true;
      } else if (grid && places.grids[grid]) {
        f.household.value = "";
        f.grid.value = grid;
        check("method", "grid");
        changePlace.open = true;
      }
    }

    function fresh() {
      f.client_uuid.value = uuid4();
      setNow();
    }

    function reset() {
      fresh();
      f.notes.value = "";
      f.action_taken.value = "";
      f.raise_matter.checked = false;
      f.matter_title.value = "";
      f.latitude.value = "";
      f.longitude.value = "";
      if (f.photos) {
        f.photos.value = "";
      }
      fixingPhotos = [];
      check("met", "");
      check("result", "nothing");
      PARTS.forEach(function (part) { part.reset(); });
      var status = form.querySelector("[data-location-status]");
      status.textContent = "";
      clearErrors();
      update();
    }

    function clearErrors() {
      var top = document.getElementById("form-errors");
      if (top) {
        top.parentNode.removeChild(top);
      }
      form.querySelectorAll(".errorlist").forEach(function (list) { list.parentNode.removeChild(list); });
      form.querySelectorAll(".has-error").forEach(function (field) { field.classList.remove("has-error"); });
    }

    // The server's reasons next to their fields, the rest on top, as the page would show them.
    function showErrors(errors, quiet) {
      clearErrors();
      var topMessages = [];
      Object.keys(errors || {}).forEach(function (name) {
        var messages = [].concat(errors[name]).map(String);
        var field = document.getElementById("field-" + name);
        if (field && field.offsetParent !== null) {
          var list = el("ul", "errorlist");
          messages.forEach(function (m) { list.appendChild(el("li", "", m)); });
          var anchor = field.querySelector("legend") || field.querySelector("label");
          if (anchor && anchor.parentNode) {
            anchor.parentNode.insertBefore(list, anchor.nextSibling);
          } else {
            field.insertBefore(list, field.firstChild);
          }
          field.classList.add("has-error");
        } else {
          var label = LABELS[name];
          messages.forEach(function (m) {
            topMessages.push(label && name !== "non_field_errors" && name !== "detail" ? label + ": " + m : m);
          });
        }
      });
      if (quiet && !topMessages.length) {
        return;
      }
      var box = el("div", "form-errors");
      box.id = "form-errors";
      box.setAttribute("role", "alert");
      box.setAttribute("tabindex", "-1");
      box.appendChild(el("p", "", WORDS.not_saved));
      if (topMessages.length) {
        var list = el("ul", "errorlist");
        topMessages.forEach(function (m) { list.appendChild(el("li", "", m)); });
        box.appendChild(list);
      }
      form.parentNode.insertBefore(box, form);
      box.focus();
    }

    function body() {
      var household = f.household.value ? Number(f.household.value) : null;
      var method = checked("method");
      var raise = f.raise_matter.checked;
      var when = timeTouched ? parseLocal(f.visited_at.value) : new Date();
      var data = {
        client_uuid: f.client_uuid.value,
        household: household,
        grid: !household && method === "grid" && f.grid.value ? Number(f.grid.value) : null,
        courtyard: !household && method === "courtyard" && f.courtyard.value ? Number(f.courtyard.value) : null,
        visited_at: when ? when.toISOString() : f.visited_at.value,
        method: method,
        met: household ? checked("met") : "",
        notes: f.notes.value.trim(),
        action_taken: f.action_taken.value.trim(),
        result: checked("result") || "nothing",
        raise_matter: raise,
        matter_title: raise ? f.matter_title.value.trim() : ""
      };
      if (f.latitude.value && f.longitude.value) {
        data.latitude = f.latitude.value;
        data.longitude = f.longitude.value;
      }
      return data;
    }

    // What can be told without the server (the server checks everything again).
    function problems(data) {
      var found = {};
      if (!data.method) {
        found.method = [LABELS.method];
      }
      if (data.method === "courtyard" && !data.household && !data.courtyard) {
        found.courtyard = [f.courtyard.options[0].textContent];
      }
      if (data.raise_matter && !data.notes) {
        found.notes = [WORDS.notes_needed];
      }
      if (f.photos && f.photos.files && f.photos.files.length > MAX_PHOTOS) {
        found.photos = [WORDS.too_many_photos];
      }
      return Object.keys(found).length ? found : null;
    }

    var saving = false;

    function busy(on) {
      saving = on;
      submit.disabled = on;
      if (on) {
        submit.setAttribute("aria-busy", "true");
      } else {
        submit.removeAttribute("aria-busy");
      }
    }

    function afterSave(item, outcome) {
      var name = card.querySelector("[data-place-name]").textContent;
      if (outcome === "sent") {
        flashNext(format(WORDS.saved_named, {name: name}), "success");
        window.location.assign(LIST_URL);
        return;
      }
      var controlled = navigator.serviceWorker && navigator.serviceWorker.controller;
      var mustLogIn = state.needsLogin || state.otherSession;
      if (outcome === "waiting" && controlled && !mustLogIn) {
        // The list opens from the phone's copy and shows the visit waiting.
        flashNext(WORDS.saved_offline, "info");
        window.location.assign(LIST_URL);
        return;
      }
      // No copy of the list to go to (no service worker), or a login is needed first:
      // stay, ready for the next visit.
      reset();
      busy(false);
      flash(mustLogIn ? WORDS.saved_login : WORDS.saved_offline, "info");
      window.scrollTo(0, 0);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (saving) {
        return;
      }
      var data = body();
      var found = problems(data) || {};
      var campaign = null;
      PARTS.forEach(function (part) {
        var given = part.collect(data.household);
        if (given) {
          Object.keys(given.problems || {}).forEach(function (name) { found[name] = given.problems[name]; });
          campaign = given.campaign || campaign;
        }
      });
      if (Object.keys(found).length) {
        showErrors(found);
        return;
      }
      clearErrors();
      busy(true);
      var item = {
        client_uuid: data.client_uuid,
        username: USER,
        body: data,
        label: placeLabel(),
        created: Date.now(),
        status: "waiting",
        campaign: campaign
      };
      withStore(function (store) {
        return readAnswerPhotos(campaign).then(function () {
          return readPhotos(f.photos && f.photos.files, data.client_uuid);
        }).then(function (photos) {
          item.photos = photos.length ? photos : fixingPhotos.map(function (photo, i) {
            return {key: "visit-photo:" + data.client_uuid + ":" + i, data: photo.data};
          });
          return store.put(item)["catch"](function (error) {
            if (!item.photos.length) {
              throw error;
            }
            // No room for the photos: the visit is kept without them, and the user is told.
            item.photos = [];
            return store.put(item).then(function () { window.alert(WORDS.no_photo_storage); });
          });
        }).then(function () {
          askToKeep();
          return state.fixing ? store.remove(state.fixing) : null;
        }).then(function () {
          state.fixing = "";
          return send(false);
        }).then(function () {
          return store.get(item.client_uuid);
        }).then(function (left) {
          if (!left || left.photoRefused || left.answersRefused) {
            // Recorded (a refused photo or campaign answer stays in the outbox with its reason).
            afterSave(item, "sent");
          } else if (left.status === "rejected" && !left.photoRefused) {
            // Refused while the user is still here: back into the form, next to the fields.
            return store.remove(left.client_uuid).then(function () {
              f.client_uuid.value = uuid4();
              busy(false);
              showErrors(left.errors && Object.keys(left.errors).length ? left.errors : {detail: [left.reason]});
              return render();
            });
          } else {
            afterSave(item, "waiting");
          }
          return null;
        });
      })["catch"](function () {
        // No storage on this browser: the form posts to its page, as without the script.
        busy(false);
        flash(WORDS.no_storage, "info");
        HTMLFormElement.prototype.submit.call(form);
      });
    });

    form.addEventListener("change", function (event) {
      if (event.target === f.visited_at) {
        timeTouched = true;
      }
      update();
    });
    f.visited_at.addEventListener("input", function () { timeTouched = true; });

    // The location helps, never holds the visit up.
    var locate = form.querySelector("[data-locate]");
    var locationBox = form.querySelector("[data-location]");
    if (navigator.geolocation && locate) {
      locationBox.hidden = false;
      locate.addEventListener("click", function () {
        var status = form.querySelector("[data-location-status]");
        status.textContent = WORDS.locating;
        navigator.geolocation.getCurrentPosition(function (position) {
          f.latitude.value = position.coords.latitude.toFixed(6);
          f.longitude.value = position.coords.longitude.toFixed(6);
          status.textContent = format(WORDS.located, {metres: Math.round(position.coords.accuracy || 0)});
        }, function (error) {
          status.textContent = format(WORDS.no_location, {reason: error.message || error.code});
        }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 120000});
      });
    }

    // Fixing a refused visit: its details back in the form, with the server's reasons.
    function loadFix(uuid) {
      return withStore(function (store) { return store.get(uuid); }).then(function (item) {
        if (!item || item.username !== USER) {
          return;
        }
        var data = item.body;
        state.fixing = uuid;
        fixingPhotos = item.photos || [];
        f.household.value = data.household ? String(data.household) : "";
        if (data.grid) {
          f.grid.value = String(data.grid);
        }
        if (data.courtyard) {
          f.courtyard.value = String(data.courtyard);
          f.grid.value = String((places.courtyards[String(data.courtyard)] || {}).grid || f.grid.value);
        }
        check("method", data.method);
        check("met", data.met || "");
        check("result", data.result || "nothing");
        f.notes.value = data.notes || "";
        f.action_taken.value = data.action_taken || "";
        f.raise_matter.checked = !!data.raise_matter;
        f.matter_title.value = data.matter_title || "";
        f.latitude.value = data.latitude || "";
        f.longitude.value = data.longitude || "";
        var date = new Date(data.visited_at);
        if (!isNaN(date.getTime())) {
          f.visited_at.value = localInput(date);
          timeTouched = true;
        }
        update();
        PARTS.forEach(function (part) {
          if (part.restore) {
            part.restore(item.campaign);
          }
        });
        changePlace.open = !f.household.value;
        showNotice(WORDS.fixing);
        if (item.status === "rejected") {
          showErrors(item.errors && Object.keys(item.errors).length ? item.errors : {detail: [item.reason]}, true);
        }
        render();
      })["catch"](function () {});
    }

    if (!form.hasAttribute("data-bound")) {
      // The page may be the phone's kept copy: a new UUID, the time now, the place asked for.
      fresh();
      placeFromAddress();
    }
    update();
    var fixUuid = query("outbox");
    if (fixUuid) {
      loadFix(fixUuid);
    }
  }

  // ------------------------------------------------------------------ start

  var visitForm = document.querySelector("form[data-visit-form]");
  if (visitForm) {
    enhanceForm(visitForm);
  }
  showPendingFlash();
  showAge();
  filterTodo();

  // Ask the worker to keep the list and the form fresh: once it is ready, again when it
  // takes this page over, and when the connection comes back (a warm-up that failed on a
  // weak signal is tried again; the worker skips copies younger than a few minutes).
  var warmUp = function () {
    if (!("serviceWorker" in navigator) || navigator.onLine === false) {
      return;
    }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) {
        registration.active.postMessage({type: "warm", username: USER});
      }
    })["catch"](function () {});
  };
  // Installing the worker fetches its static files; on a weak signal that can fail, and the
  // worker is then dropped. Try again a little later, and when the connection comes back.
  var registerWorker = function () {
    navigator.serviceWorker.register(workerUrl, {scope: root.getAttribute("data-sw-scope")})
      .then(function (registration) {
        var worker = registration.installing || registration.waiting;
        if (worker) {
          worker.addEventListener("statechange", function () {
            if (worker.state === "redundant" && !registration.active) {
              window.setTimeout(registerWorker, WORKER_RETRY);
            }
          });
        }
        warmUp();
      })["catch"](function () {
        window.setTimeout(registerWorker, WORKER_RETRY);
      });
  };
  // Only the roles that log visits get the worker (the page leaves out its address for the
  // others); one installed before, for another account on this phone, is removed.
  var workerUrl = root.getAttribute("data-sw-url");
  if ("serviceWorker" in navigator && !workerUrl) {
    navigator.serviceWorker.getRegistration(root.getAttribute("data-sw-scope")).then(function (registration) {
      if (registration) {
        registration.unregister();
      }
    })["catch"](function () {});
  }
  if ("serviceWorker" in navigator && workerUrl) {
    registerWorker();
    navigator.serviceWorker.addEventListener("controllerchange", warmUp);
    window.addEventListener("online", function () {
      if (!navigator.serviceWorker.controller) {
        registerWorker();
      }
      warmUp();
    });
  }

  // For the pages of the apps above that put their own items into this outbox (a campaign's
  // answer page): the same store, sending and login checks as the visits.
  window.CunzhiOutbox = {
    user: USER,
    uuid4: uuid4,
    state: state,
    readPhotos: readAnswerPhotos,
    save: function (item) {
      return withStore(function (store) {
        return store.put(item).then(function () { askToKeep(); });
      });
    },
    get: function (key) { return withStore(function (store) { return store.get(key); }); },
    remove: function (key) { return withStore(function (store) { return store.remove(key); }).then(render); },
    send: function () { return send(false); },
    flashNext: flashNext
  };

  storeReady.then(function () {
    render();
    send(false);
  });
  window.addEventListener("online", function () { send(false); });
  window.addEventListener("offline", function () { render(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      send(false);
    }
  });
  window.setInterval(function () {
    if (root.getAttribute("data-waiting") !== "0") {
      send(false);
    }
  }, PERIOD);
  // Back with the back button: the page is as it was left; look again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      if (visitForm) {
        visitForm.elements.client_uuid.value = uuid4();
      }
      render();
      send(false);
    }
  });
})();
