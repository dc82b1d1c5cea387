/*
 * CARE+ field app service worker (issue 23). Vanilla JavaScript, no library.
 *
 * Served by careplus.field.views.service_worker at /terrain/sw.js (scope /terrain/), which puts
 * self.CAREPLUS_FIELD before this text: { version, shell, precache: [URLs] }. The version changes
 * whenever this file, a precached file or a precached URL changes: a new cache is filled on
 * install and the older ones are deleted on activate.
 *
 * PERSONAL DATA NEVER GOES INTO THIS CACHE. Only the shell page (the same for every user, no
 * case, no name) and static files are kept. Requests to /api/ (cases, visits, the offline
 * package) and to /terrain/etat/ (the session's state) are never intercepted nor cached: they
 * go to the network as if there were no service worker. What the device keeps of a case lives
 * in IndexedDB, encrypted by vault.js/store.js, never here.
 */
"use strict";

const CONFIG = self.CAREPLUS_FIELD;
const CACHE_PREFIX = "careplus-field-";
const CACHE_NAME = CACHE_PREFIX + CONFIG.version;
const SCOPE_PATH = new URL(self.registration.scope).pathname; // "/terrain/"
const SHELL_URL = new URL(CONFIG.shell, self.location.origin).href;
const NEVER_CACHED = ["/api/", SCOPE_PATH + "etat/"];
const CACHEABLE_PATHS = ["/static/", SCOPE_PATH + "manifest.webmanifest"];

function neverCached(url) {
  return url.origin !== self.location.origin || NEVER_CACHED.some((prefix) => url.pathname.startsWith(prefix));
}

function isShell(url) {
  return url.origin === self.location.origin && url.pathname === SCOPE_PATH;
}

// A response worth keeping: complete, from our origin, and not the sign-in page a redirect led to.
function keepable(response) {
  return response && response.ok && response.type === "basic" && !response.redirected;
}

async function precache() {
  const cache = await caches.open(CACHE_NAME);
  await Promise.all(
    CONFIG.precache.map(async (path) => {
      const url = new URL(path, self.location.origin);
      if (neverCached(url)) {
        return;
      }
      // The shell needs the session cookie (credentials); static files are public.
      const response = await fetch(new Request(url.href, { credentials: "same-origin", cache: "reload" }));
      if (!keepable(response)) {
        // All or nothing: a half-filled cache would break the app offline. The browser retries later.
        throw new Error(`CARE+ field: cannot precache ${url.pathname} (${response.status})`);
      }
      await cache.put(url.href, response);
    }),
  );
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE_NAME).map((name) => caches.delete(name)),
      );
      await self.clients.claim();
    })(),
  );
});

// Pages under /terrain/: the network first (a fresh shell), the cached shell when there is no
// connection. When the session has ended the server sends the shell's request to the sign-in page:
// the cached shell is answered instead, so the app makes its contact, erases what it must (the
// package at once; everything when nothing waits to sync) and links to the sign-in page itself.
async function networkFirstShell(request) {
  const cache = await caches.open(CACHE_NAME);
  try {
    const response = await fetch(request);
    if (isShell(new URL(request.url)) && keepable(response)) {
      await cache.put(SHELL_URL, response.clone());
    }
    if (response.type === "opaqueredirect" || response.redirected) {
      const cached = await cache.match(SHELL_URL, { ignoreVary: true, ignoreSearch: true });
      if (cached) {
        return cached;
      }
    }
    return response;
  } catch (offline) {
    const cached = await cache.match(SHELL_URL, { ignoreVary: true, ignoreSearch: true });
    if (cached) {
      return cached;
    }
    throw offline;
  }
}

// Static files: the cache first, the network for a file not kept yet (then kept).
async function cacheFirst(request) {
  const cache = await caches.open(CACHE_NAME);
  const cached = await cache.match(request, { ignoreVary: true });
  if (cached) {
    return cached;
  }
  const response = await fetch(request);
  if (keepable(response)) {
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (neverCached(url)) {
    return; // /api/, /terrain/etat/ and other origins: straight to the network, never cached
  }
  if (request.mode === "navigate") {
    if (url.pathname.startsWith(SCOPE_PATH)) {
      event.respondWith(networkFirstShell(request));
    }
    return;
  }
  if (CACHEABLE_PATHS.some((prefix) => url.pathname.startsWith(prefix))) {
    event.respondWith(cacheFirst(request));
  }
});
