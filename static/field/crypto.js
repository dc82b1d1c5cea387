// CARE+ field app: the cryptography of the device vault (issue 23). WebCrypto only, no dependency.
//
// What this module does, and why:
// - Everything personal that the field app keeps on the device is encrypted with ONE data key:
//   a random AES-GCM 256-bit key made in the browser by createVault().
// - The data key is never stored in clear. It is stored WRAPPED (AES-KW, RFC 3394) under a
//   key-encryption key derived from the device PIN with PBKDF2-HMAC-SHA-256, 600 000 iterations
//   (the OWASP 2023 figure), and a random 16-byte salt. The vault "meta" written to storage is
//   {v: 1, salt, iterations, wrapped}: base64 strings and a number, none of which is a secret
//   on its own. Without the PIN the wrapped key cannot be opened.
// - Unwrapping checks the AES-KW integrity value, so a wrong PIN is detected (error "WrongPin")
//   without any stored PIN hash. Guessing is slow (PBKDF2) and counted by vault.js, which wipes
//   the device data at the 5th wrong PIN in a row.
// - The data key held in memory is a NON-extractable CryptoKey: page code (or an injected script)
//   can use it while the vault is unlocked but can never read its bytes (exportKey rejects). The
//   extractable copy needed once to wrap a new key only lives inside createVault().
// - seal() encrypts any JSON value with AES-GCM, a fresh random 12-byte IV each time (never
//   reused with the same key), and binds a caller-given string (aad: e.g. "items:<id>:<kind>")
//   as additional authenticated data, so a record copied under another id or kind fails to open.
//   open() reports every failure (changed bytes, wrong aad, wrong key, bad format) as "Tampered".
// - The PIN is normalised to Unicode NFC before use, so the same digits or letters typed on
//   another keyboard give the same key.

export const PBKDF2_ITERATIONS = 600000;
export const MIN_PIN_LENGTH = 6;

const VAULT_VERSION = 1;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function namedError(name, message, details) {
  const error = new Error(message);
  error.name = name;
  if (details) Object.assign(error, details);
  return error;
}

// Base64 of bytes (chunked so a long text does not overflow the argument list).
export function toBase64(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (let start = 0; start < view.length; start += 0x8000) {
    binary += String.fromCharCode.apply(null, view.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

export function fromBase64(text) {
  if (typeof text !== "string") throw new TypeError("Expected a base64 string.");
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

function pinBytes(pin) {
  if (typeof pin !== "string") throw new TypeError("The PIN must be a string.");
  const normalised = pin.normalize("NFC");
  // Count characters (code points), not UTF-16 units.
  if (Array.from(normalised).length < MIN_PIN_LENGTH) {
    throw namedError("PinTooShort", `The PIN must have at least ${MIN_PIN_LENGTH} characters.`, {
      minLength: MIN_PIN_LENGTH,
    });
  }
  return encoder.encode(normalised);
}

// Throws "PinTooShort" (with minLength) when the PIN cannot be a vault PIN; does nothing otherwise.
export function checkPin(pin) {
  pinBytes(pin);
}

async function pinKey(pin, salt, iterations) {
  const material = await subtle.importKey("raw", pinBytes(pin), "PBKDF2", false, ["deriveKey"]);
  return subtle.deriveKey(
    { name: "PBKDF2", salt, iterations, hash: "SHA-256" },
    material,
    { name: "AES-KW", length: 256 },
    false,
    ["wrapKey", "unwrapKey"],
  );
}

function unwrapDataKey(wrapped, wrappingKey) {
  return subtle.unwrapKey(
    "raw",
    wrapped,
    wrappingKey,
    "AES-KW",
    { name: "AES-GCM", length: 256 },
    false, // never extractable once unwrapped
    ["encrypt", "decrypt"],
  );
}

function readMeta(meta) {
  const valid =
    meta !== null &&
    typeof meta === "object" &&
    meta.v === VAULT_VERSION &&
    typeof meta.salt === "string" &&
    typeof meta.wrapped === "string" &&
    Number.isInteger(meta.iterations) &&
    meta.iterations >= 1;
  if (!valid) throw namedError("VaultInvalid", "The stored vault description is not readable.");
  try {
    return { salt: fromBase64(meta.salt), wrapped: fromBase64(meta.wrapped), iterations: meta.iterations };
  } catch (error) {
    throw namedError("VaultInvalid", "The stored vault description is not readable.", { cause: error });
  }
}

// Make a new vault for this PIN. Returns {meta, key}: meta is to be stored (JSON-safe, no
// secret in it), key is the non-extractable AES-GCM data key. Throws "PinTooShort".
export async function createVault(pin) {
  checkPin(pin); // refuse a short PIN before any work
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const wrappingKey = await pinKey(pin, salt, PBKDF2_ITERATIONS);
  // The only extractable copy of the data key: AES-KW needs to read it once to wrap it.
  // It stays in this scope and is dropped when the function returns.
  const fresh = await subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]);
  const wrapped = new Uint8Array(await subtle.wrapKey("raw", fresh, wrappingKey, "AES-KW"));
  const key = await unwrapDataKey(wrapped, wrappingKey);
  const meta = { v: VAULT_VERSION, salt: toBase64(salt), iterations: PBKDF2_ITERATIONS, wrapped: toBase64(wrapped) };
  return { meta, key };
}

// Open a vault: returns the non-extractable data key. Throws "WrongPin" when the PIN does not
// unwrap the key, "PinTooShort" for a PIN that cannot be the right one (not worth an attempt),
// "VaultInvalid" when meta is not a vault description.
export async function unlockVault(meta, pin) {
  const { salt, wrapped, iterations } = readMeta(meta);
  const wrappingKey = await pinKey(pin, salt, iterations);
  try {
    return await unwrapDataKey(wrapped, wrappingKey);
  } catch (error) {
    throw namedError("WrongPin", "The PIN is not right.", { cause: error });
  }
}

function aadBytes(aad) {
  if (typeof aad !== "string") throw new TypeError("The additional data (aad) must be a string.");
  return encoder.encode(aad);
}

// Encrypt a JSON value: returns {iv, data} (base64). The aad string is authenticated, not stored.
export async function seal(key, value, aad) {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError("Only a JSON value can be sealed.");
  const additionalData = aadBytes(aad);
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const data = await subtle.encrypt({ name: "AES-GCM", iv, additionalData, tagLength: 128 }, key, encoder.encode(json));
  return { iv: toBase64(iv), data: toBase64(data) };
}

// Decrypt what seal() made with the same key and aad. Any failure throws "Tampered".
export async function open(key, sealed, aad) {
  const additionalData = aadBytes(aad);
  try {
    const iv = fromBase64(sealed.iv);
    if (iv.length !== IV_BYTES) throw new Error("Wrong IV length.");
    const plain = await subtle.decrypt(
      { name: "AES-GCM", iv, additionalData, tagLength: 128 },
      key,
      fromBase64(sealed.data),
    );
    return JSON.parse(decoder.decode(plain));
  } catch (error) {
    throw namedError("Tampered", "This record fails authentication: it was changed or does not belong here.", {
      cause: error,
    });
  }
}
