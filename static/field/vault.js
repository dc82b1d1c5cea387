// CARE+ field app: the device vault policy (issue 23), on top of crypto.js and store.js.
//
// What is stored where, and why:
// - meta "vault": the PIN-wrapped data key {v, salt, iterations, wrapped} (crypto.js). No secret
//   in clear: it only opens with the PIN.
// - meta "wrong_pins": how many PIN attempts in a row have not (yet) proved right. An attempt is
//   counted BEFORE the PIN is checked and the count goes back to 0 only when the PIN proves right,
//   so closing the tab during the check does not give a free guess. When it reaches
//   MAX_WRONG_PINS (5) the whole database is deleted (store.wipe()) and unlock() throws "Wiped".
// - "items" and "outbox" records: {id, kind, sealed, ...extra}. `sealed` = AES-GCM of the value
//   under the data key with additional data "<store>:<id>:<kind>", so a record whose bytes are
//   changed, or which is copied under another id, kind or store, fails authentication: it is
//   reported (allOpened().tampered, or "Tampered" from getOpened) and never returned or synced.
//   `id`, `kind` and `extra` are stored in CLEAR: they must not be personal (opaque ids, a kind
//   such as "visit", timestamps, versions).
// - The data key lives only in this module's memory, as a non-extractable CryptoKey, from
//   setUp()/unlock() until lock(), wipeAll(), a wipe from another tab, or the page closing.
//   Nothing else keeps the PIN or the key.

import { checkPin, createVault, open, seal, unlockVault } from "./crypto.js";
import * as store from "./store.js";

export const MAX_WRONG_PINS = 5;

const SEALED_STORES = ["items", "outbox"];
const KIND_PATTERN = /^[A-Za-z0-9_.-]+$/; // no ":", so "<store>:<id>:<kind>" reads one way only
const RESERVED_FIELDS = ["id", "kind", "sealed", "value"];

let dataKey = null;

// A wipe made by another tab removes the data: forget the key here too.
store.onWiped(() => {
  dataKey = null;
});

function namedError(name, message, details) {
  const error = new Error(message);
  error.name = name;
  if (details) Object.assign(error, details);
  return error;
}

function requireKey() {
  if (!dataKey) throw namedError("Locked", "The field data is locked: type the device PIN first.");
  return dataKey;
}

function checkRecordAddress(storeName, id, kind) {
  if (!SEALED_STORES.includes(storeName)) {
    throw new TypeError(`Sealed records go to ${SEALED_STORES.join(" or ")}, not "${storeName}".`);
  }
  if (typeof id !== "string" || id === "") throw new TypeError("A record id must be a non-empty string.");
  if (typeof kind !== "string" || !KIND_PATTERN.test(kind)) {
    throw new TypeError("A record kind must be letters, digits, '_', '.' or '-' (no ':').");
  }
}

function additionalData(storeName, id, kind) {
  return `${storeName}:${id}:${kind}`;
}

function numberOrZero(value) {
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

export async function isSetUp() {
  return (await store.getMeta("vault")) != null;
}

// How many PIN attempts are left before the wipe.
export async function attemptsLeft() {
  return Math.max(0, MAX_WRONG_PINS - numberOrZero(await store.getMeta("wrong_pins")));
}

// Make the vault for a new PIN and keep it unlocked. Refuses ("AlreadySetUp") when a vault
// exists: its data would become unreadable; wipeAll() first. Throws "PinTooShort".
export async function setUp(pin) {
  checkPin(pin);
  if (await isSetUp()) {
    throw namedError("AlreadySetUp", "This device already has field data under a PIN: erase it first.");
  }
  const { meta, key } = await createVault(pin);
  await store.setMeta("vault", meta);
  await store.setMeta("wrong_pins", 0);
  dataKey = key;
}

// Unlock with the PIN. Throws "NotSetUp"; "PinTooShort" (not counted: it cannot be the PIN);
// "WrongPin" with `left` (attempts left); "Wiped" at the MAX_WRONG_PINS-th wrong PIN in a row,
// once the database is deleted.
export async function unlock(pin) {
  checkPin(pin);
  const meta = await store.getMeta("vault");
  if (meta == null) throw namedError("NotSetUp", "There is no field data on this device.");
  const before = numberOrZero(await store.getMeta("wrong_pins"));
  if (before >= MAX_WRONG_PINS) {
    // A previous wipe did not finish (tab closed, another tab holding the database): finish it.
    await wipeAll();
    throw namedError("Wiped", "Too many wrong PINs: the field data was erased from this device.");
  }
  const attempts = await store.updateMeta("wrong_pins", (current) => numberOrZero(current) + 1);
  let key;
  try {
    key = await unlockVault(meta, pin);
  } catch (error) {
    if (error.name !== "WrongPin") throw error;
    if (attempts >= MAX_WRONG_PINS) {
      await wipeAll();
      throw namedError("Wiped", "Too many wrong PINs: the field data was erased from this device.", {
        cause: error,
      });
    }
    error.left = MAX_WRONG_PINS - attempts;
    throw error;
  }
  await store.setMeta("wrong_pins", 0);
  dataKey = key;
}

export function lock() {
  dataKey = null;
}

export function isUnlocked() {
  return dataKey !== null;
}

// Seal value and store {id, kind, sealed, ...extra} in "items" or "outbox". extra is kept in
// CLEAR: only non-personal fields (a timestamp, a version). Throws "Locked", "QuotaExceeded".
export async function putSealed(storeName, id, kind, value, extra = {}) {
  checkRecordAddress(storeName, id, kind);
  if (extra === null || typeof extra !== "object" || Array.isArray(extra)) {
    throw new TypeError("extra must be an object of non-personal fields.");
  }
  const clash = RESERVED_FIELDS.filter((field) => Object.prototype.hasOwnProperty.call(extra, field));
  if (clash.length) throw new TypeError(`extra cannot set ${clash.join(", ")}.`);
  const key = requireKey();
  const sealed = await seal(key, value, additionalData(storeName, id, kind));
  await store.put(storeName, { ...extra, id, kind, sealed });
}

async function openRecord(storeName, record) {
  const { sealed, ...fields } = record;
  const value = await open(requireKey(), sealed || {}, additionalData(storeName, record.id, record.kind));
  return { ...fields, value };
}

// The opened record {id, kind, value, ...extra}, or null when there is none.
// Throws "Tampered" (with `id`) when it fails authentication, "Locked".
export async function getOpened(storeName, id) {
  checkRecordAddress(storeName, id, "x");
  requireKey();
  const record = await store.get(storeName, id);
  if (record === undefined) return null;
  try {
    return await openRecord(storeName, record);
  } catch (error) {
    if (error.name === "Tampered") error.id = id;
    throw error;
  }
}

// Every record of the store: {records: [{id, kind, value, ...extra}], tampered: [ids]}.
// A record failing authentication is never in `records`, only its id in `tampered`.
export async function allOpened(storeName) {
  checkRecordAddress(storeName, "x", "x");
  requireKey();
  const records = [];
  const tampered = [];
  for (const record of await store.all(storeName)) {
    try {
      records.push(await openRecord(storeName, record));
    } catch (error) {
      if (error.name !== "Tampered") throw error;
      tampered.push(record.id);
    }
  }
  return { records, tampered };
}

// Forget the key and delete every field record and setting from the device.
export async function wipeAll() {
  lock();
  await store.wipe();
}
