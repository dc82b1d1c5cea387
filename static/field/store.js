// CARE+ field app: device storage (issue 23). IndexedDB, promise-based, one shared connection.
//
// Database "careplus-field", version 1, three object stores:
// - "meta"   (out-of-line keys: name -> JSON value). NOT encrypted, so it holds only what is not
//            personal and what is needed before the PIN is typed: "vault" (the PIN-wrapped data
//            key, see crypto.js), "wrong_pins" (consecutive wrong PINs, see vault.js), the offline
//            package's id, user id, expiry and counts, the last sync time. Never a name, a case
//            number, an answer or a note.
// - "items"  (keyPath "id"): what the offline package holds (visits due, arrival items, the
//            questionnaire). Each record is {id, kind, sealed, ...extra}: the content is in
//            `sealed` (AES-GCM, see vault.js); `id`, `kind` and `extra` are in clear and must not
//            be personal (an opaque id, a timestamp, a version number).
// - "outbox" (keyPath "id"): what was recorded offline and waits to be synced; same shape.
//
// This module does not encrypt: vault.js seals records before they reach put(). The whole
// database is removed by wipe() (5th wrong PIN, sign-out, revoked session, expired package).
// Every open connection closes itself when another tab deletes or upgrades the database
// (onversionchange), so a wipe in one tab is not held up by another; listeners given to onWiped()
// are told, so a tab can forget its key. A full disk never fails silently: put() and setMeta()
// reject with an Error named "QuotaExceeded".

export const DB_NAME = "careplus-field";
export const DB_VERSION = 1;
export const STORES = Object.freeze(["meta", "items", "outbox"]);
const RECORD_STORES = ["items", "outbox"];
// How long wipe() waits for another tab that does not let go of the database (a tab still
// running an older copy of this file) before rejecting with "WipeBlocked". The deletion stays
// queued by the browser and happens as soon as that tab closes its connection.
const WIPE_BLOCKED_WAIT_MS = 5000;

let connection = null; // Promise<IDBDatabase> shared by every call, or null when closed
const wipedListeners = new Set();

function namedError(name, message, details) {
  const error = new Error(message);
  error.name = name;
  if (details) Object.assign(error, details);
  return error;
}

function storageError(error) {
  if (error && (error.name === "QuotaExceededError" || error.name === "QuotaExceeded")) {
    return namedError("QuotaExceeded", "The device has no storage space left for the field data.", { cause: error });
  }
  return error || namedError("StorageError", "The device storage refused the operation.");
}

function notifyWiped() {
  for (const listener of wipedListeners) {
    try {
      listener();
    } catch (error) {
      console.error(error);
    }
  }
}

// Call listener() whenever the database is deleted, here or in another tab. Returns an unsubscribe function.
export function onWiped(listener) {
  wipedListeners.add(listener);
  return () => wipedListeners.delete(listener);
}

function openDatabase() {
  const opening = new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
      for (const name of RECORD_STORES) {
        if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, { keyPath: "id" });
      }
    };
    // Another tab holds an older version open: its onversionchange closes it, then this open goes on.
    request.onblocked = () => {};
    request.onerror = () => reject(storageError(request.error));
    request.onsuccess = () => {
      const db = request.result;
      const forget = () => {
        if (connection === opening) connection = null;
      };
      db.onversionchange = (event) => {
        db.close();
        forget();
        if (event.newVersion === null) notifyWiped(); // deleted by another tab
      };
      db.onclose = forget; // closed by the browser (storage cleared by the user, disk error)
      resolve(db);
    };
  });
  opening.catch(() => {
    if (connection === opening) connection = null;
  });
  return opening;
}

function database() {
  if (!connection) connection = openDatabase();
  return connection;
}

function checkStore(storeName, allowed = STORES) {
  if (!allowed.includes(storeName)) {
    throw new TypeError(`Unknown store "${storeName}": expected one of ${allowed.join(", ")}.`);
  }
}

// Run one request in its own transaction; resolves with its result once the transaction is
// complete (so a write is on disk), rejects when the request or the transaction fails.
async function run(storeName, mode, makeRequest) {
  for (let attempt = 0; ; attempt += 1) {
    const pending = database();
    const db = await pending;
    let transaction;
    try {
      // Writes are flushed to disk before they count as done: a field record must survive a crash.
      transaction = db.transaction(storeName, mode, { durability: mode === "readwrite" ? "strict" : "default" });
    } catch (error) {
      // The connection was closed under us (another tab wiped the database): open again, once.
      if (error.name === "InvalidStateError" && attempt === 0) {
        if (connection === pending) connection = null;
        continue;
      }
      throw storageError(error);
    }
    return new Promise((resolve, reject) => {
      let request;
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onabort = () => reject(storageError(transaction.error || (request && request.error)));
      try {
        request = makeRequest(transaction.objectStore(storeName));
      } catch (error) {
        // A record that cannot be stored (no id, not cloneable): nothing is written.
        try {
          transaction.abort();
        } catch (ignored) {
          // already finished
        }
        reject(storageError(error));
      }
    });
  }
}

export async function getMeta(name) {
  return run("meta", "readonly", (store) => store.get(name));
}

export async function setMeta(name, value) {
  await run("meta", "readwrite", (store) => store.put(value, name));
}

// Read, change and write one meta value in a single transaction (safe against another tab
// doing the same at the same time). update(current) returns the new value; resolves with it.
export async function updateMeta(name, update) {
  let next;
  await run("meta", "readwrite", (store) => {
    const request = store.get(name);
    request.onsuccess = () => {
      next = update(request.result);
      store.put(next, name);
    };
    return request;
  });
  return next;
}

export async function put(storeName, record) {
  checkStore(storeName, RECORD_STORES);
  await run(storeName, "readwrite", (store) => store.put(record));
}

export async function get(storeName, id) {
  checkStore(storeName);
  return run(storeName, "readonly", (store) => store.get(id));
}

export async function all(storeName) {
  checkStore(storeName);
  return run(storeName, "readonly", (store) => store.getAll());
}

export async function remove(storeName, id) {
  checkStore(storeName);
  await run(storeName, "readwrite", (store) => store.delete(id));
}

export async function clear(storeName) {
  checkStore(storeName);
  await run(storeName, "readwrite", (store) => store.clear());
}

export async function count(storeName) {
  checkStore(storeName);
  return run(storeName, "readonly", (store) => store.count());
}

// Close the connection and delete the whole database. Other tabs close theirs on the
// versionchange event; if one does not within WIPE_BLOCKED_WAIT_MS, rejects with "WipeBlocked"
// (the browser still deletes the database as soon as that tab lets go).
export async function wipe() {
  const current = connection;
  connection = null;
  if (current) {
    const db = await current.catch(() => null);
    if (db) db.close();
  }
  await new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(DB_NAME);
    let timer = null;
    request.onsuccess = () => {
      clearTimeout(timer);
      resolve();
    };
    request.onerror = () => {
      clearTimeout(timer);
      reject(storageError(request.error));
    };
    request.onblocked = () => {
      timer = setTimeout(
        () => reject(namedError("WipeBlocked", "Another tab keeps the field data open; close it to finish erasing.")),
        WIPE_BLOCKED_WAIT_MS,
      );
    };
  });
  notifyWiped();
}

// Bytes the browser still allows this site to store, or null when it does not say.
export async function storageLeft() {
  if (!navigator.storage || typeof navigator.storage.estimate !== "function") return null;
  try {
    const { quota, usage } = await navigator.storage.estimate();
    if (typeof quota !== "number" || typeof usage !== "number") return null;
    return Math.max(0, quota - usage);
  } catch (error) {
    return null;
  }
}
