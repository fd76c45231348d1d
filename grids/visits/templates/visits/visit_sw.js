/* 村治: the service worker of the visit pages (version __VERSION__).
   Rendered by grids.visits.views.service_worker; registered by static/js/visits.js.

   - Static files of the visit pages: kept at install, served from the copy, refreshed behind.
   - The visit pages and the to-visit list of the API: network first. A page the server marks
     for offline use (the {{ offline_header }} header) is kept; when the network fails, or
     hangs longer than NETWORK_WAIT, the kept copy is served. The form is one page for every
     household (the script picks the household from the address), so it is kept once.
   - Visits are never sent from here: the page's outbox sends them (no Background Sync).
   - POSTs and everything else pass through untouched. */
"use strict";

var VERSION = "__VERSION__";
var STATIC_CACHE = "cunzhi-visits-static-" + VERSION;
var PAGE_CACHE = "cunzhi-visits-pages";
var ASSETS = {{ assets|safe }};
var PAGES = {{ pages|safe }};
var TODO_PAGE = PAGES[0];
var FORM_PAGE = PAGES[1];
var TODO_API = "{{ todo_api }}";
var STATIC_URL = "{{ static_url }}";
var OFFLINE_HEADER = "{{ offline_header }}";
var OFFLINE_HTML = {{ offline_html|safe }};
var USER_KEY = TODO_PAGE + "sw-user";
var NETWORK_WAIT = 6000;
var WARM_AGE = 5 * 60 * 1000;
// Bumped when the user logs out: a fetch started before then keeps nothing.
var generation = 0;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE).then(function (cache) {
      return cache.addAll(ASSETS);
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("cunzhi-visits-static-") === 0 && key !== STATIC_CACHE;
      }).map(function (key) {
        return caches.delete(key);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function pageKey(url) {
  if (url.pathname === FORM_PAGE) {
    return FORM_PAGE;
  }
  return url.pathname + url.search;
}

function keep(key, response) {
  var copy = response.clone();
  return caches.open(PAGE_CACHE).then(function (cache) {
    return cache.put(key, copy);
  });
}

// Fetch, and keep a copy of a page marked for offline use (or of the API's list).
function fetchAndKeep(request, key, isApi) {
  var started = generation;
  return fetch(request).then(function (response) {
    var keepIt = response.ok && !response.redirected && started === generation &&
      (isApi || response.headers.get(OFFLINE_HEADER) === "cache");
    if (keepIt) {
      return keep(key, response).then(function () { return response; }, function () { return response; });
    }
    return response;
  });
}

function saved(keys) {
  return caches.open(PAGE_CACHE).then(function (cache) {
    var tryKey = function (i) {
      if (i >= keys.length) {
        return undefined;
      }
      return cache.match(keys[i], {ignoreVary: true}).then(function (hit) {
        return hit || tryKey(i + 1);
      });
    };
    return tryKey(0);
  });
}

// The network's answer, unless it fails or takes longer than NETWORK_WAIT while a copy exists.
function networkFirst(request, keys, isApi) {
  return new Promise(function (resolve, reject) {
    var done = false;
    var finish = function (response) {
      if (!done) {
        done = true;
        resolve(response);
      }
    };
    var useCopy = function (error) {
      return saved(keys).then(function (hit) {
        if (hit) {
          finish(hit);
        } else if (error && !done) {
          done = true;
          reject(error);
        }
      });
    };
    var timer = setTimeout(function () { useCopy(null); }, NETWORK_WAIT);
    fetchAndKeep(request, keys[0], isApi).then(function (response) {
      clearTimeout(timer);
      finish(response);
    }, function (error) {
      clearTimeout(timer);
      useCopy(error || new Error("offline"));
    });
  });
}

function offlinePage() {
  return new Response(OFFLINE_HTML, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate" && url.pathname.indexOf(TODO_PAGE) === 0) {
    if (PAGES.indexOf(url.pathname) !== -1) {
      var keys = [pageKey(url), url.pathname];
      event.respondWith(networkFirst(request, keys, false).catch(offlinePage));
    } else {
      event.respondWith(fetch(request).catch(offlinePage));
    }
    return;
  }
  if (url.pathname === TODO_API) {
    event.respondWith(networkFirst(request, [url.pathname + url.search, url.pathname], true));
    return;
  }
  if (url.pathname.indexOf(STATIC_URL) === 0) {
    event.respondWith(caches.match(request, {ignoreVary: true}).then(function (hit) {
      var network = fetch(request).then(function (response) {
        if (response.ok && ASSETS.indexOf(url.pathname) !== -1) {
          var copy = response.clone();
          caches.open(STATIC_CACHE).then(function (cache) { return cache.put(request, copy); });
        }
        return response;
      });
      if (hit) {
        network.catch(function () {});
        return hit;
      }
      return network;
    }));
  }
});

// The page asks, when online, for the list, the form and the API's list to be kept fresh
// (the form may never have been opened online on this phone). Another user's pages go first.
function warm(username) {
  return caches.open(PAGE_CACHE).then(function (cache) {
    return cache.match(USER_KEY).then(function (hit) {
      return hit ? hit.text() : "";
    }).then(function (previous) {
      if (previous && previous !== username) {
        return caches.delete(PAGE_CACHE).then(function () { return caches.open(PAGE_CACHE); });
      }
      return cache;
    });
  }).then(function (cache) {
    return cache.put(USER_KEY, new Response(username)).then(function () {
      return Promise.all([TODO_PAGE, FORM_PAGE, TODO_API].map(function (path) {
        return cache.match(path, {ignoreVary: true}).then(function (hit) {
          var date = hit && Date.parse(hit.headers.get("Date") || "");
          if (hit && date && Date.now() - date < WARM_AGE) {
            return null;
          }
          var request = new Request(path, {credentials: "same-origin", headers: {Accept: path === TODO_API ? "application/json" : "text/html"}});
          return fetchAndKeep(request, path, path === TODO_API).catch(function () {});
        });
      }));
    });
  });
}

// The page asks more than once as it opens (when the worker is ready, when it takes the page
// over): a warm-up still running for the same user answers them all, so each page and the
// list are fetched once (on a phone's first load that is tens of KB less).
var warming = null;

function warmOnce(username) {
  if (warming && warming.username === username) {
    return warming.done;
  }
  var done = warm(username).then(function () {
    if (warming && warming.done === done) {
      warming = null;
    }
  }, function () {
    if (warming && warming.done === done) {
      warming = null;
    }
  });
  warming = {username: username, done: done};
  return done;
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "warm" && data.username) {
    event.waitUntil(warmOnce(data.username));
  } else if (data.type === "forget") {
    generation += 1;
    warming = null;
    event.waitUntil(caches.delete(PAGE_CACHE));
  }
});
