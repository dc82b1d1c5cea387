"""Issue 23: the field app's encrypted device storage (static/field/crypto.js, store.js, vault.js).

The modules run in Debian's chromium, loaded from the live server's /static/ like the field app
loads them; IndexedDB is then read raw, as a thief with the phone would read it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PIN = "482913"
NAME = "Namasté Pokhara"
DEVANAGARI = "सीता"

# Imports the three modules, then runs BODY (an async function body using vault, store, fieldCrypto).
# A thrown Error comes back as {error: name, left, message} so the test can look at it.
MODULES = """
async (args) => {
  const vault = await import('/static/field/vault.js');
  const store = await import('/static/field/store.js');
  const fieldCrypto = await import('/static/field/crypto.js');
  try {
    %s
  } catch (e) {
    return {error: e.name, left: e.left === undefined ? null : e.left, id: e.id === undefined ? null : e.id,
            message: String(e.message)};
  }
}
"""

# Every store of the database, read raw with IndexedDB: [[key, value], ...] per store.
RAW_DUMP = """
async () => {
  const ask = (request) => new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const db = await ask(indexedDB.open('careplus-field'));
  const dump = {};
  for (const name of Array.from(db.objectStoreNames)) {
    const objectStore = db.transaction(name).objectStore(name);
    const keys = await ask(objectStore.getAllKeys());
    const values = await ask(objectStore.getAll());
    dump[name] = keys.map((key, index) => [key, values[index]]);
  }
  db.close();
  return dump;
}
"""

# Change a stored record raw: flip one bit of sealed.data, or move it to another id.
RAW_CHANGE = """
async ({storeName, id, flip, moveTo, kind}) => {
  const ask = (request) => new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const db = await ask(indexedDB.open('careplus-field'));
  const objectStore = db.transaction(storeName, 'readwrite').objectStore(storeName);
  const record = await ask(objectStore.get(id));
  if (flip) {
    const bytes = Uint8Array.from(atob(record.sealed.data), (c) => c.charCodeAt(0));
    bytes[3] ^= 0x01;
    record.sealed.data = btoa(String.fromCharCode(...bytes));
  }
  if (kind) record.kind = kind;
  if (moveTo) {
    await ask(objectStore.delete(id));
    record.id = moveTo;
  }
  await ask(objectStore.put(record));
  db.close();
}
"""

DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name)"


def run(page: Page, body: str, args: dict[str, Any] | None = None) -> Any:
    return page.evaluate(MODULES % body, args or {})


def field_page(page: Page, live_server: object) -> Page:
    """A page of the live server's origin (a static file is enough to give the modules their origin)."""
    response = page.goto(f"{live_server}/static/css/careplus.css")
    assert response is not None
    assert response.ok
    return page


def test_set_up_unlock_and_read_back_store_no_plaintext_and_no_key(page: Page, live_server: object) -> None:
    field_page(page, live_server)
    assert run(page, "return [await vault.isSetUp(), vault.isUnlocked()];") == [False, False]
    assert run(page, "await vault.setUp(args.pin); return vault.isUnlocked();", {"pin": PIN}) is True
    visit = {"first_name": NAME, "answers": {"q1": DEVANAGARI, "q2": 3}, "note": f"{NAME} — {DEVANAGARI}"}
    run(
        page,
        """
        await vault.putSealed('items', 'visit-1', 'visit', args.visit, {planned: '2026-12-03'});
        await vault.putSealed('outbox', 'missed-1', 'missed_visit', {reason: args.name}, {made_at: 1764600000});
        """,
        {"visit": visit, "name": NAME},
    )
    # Locked: nothing can be read or written; the right PIN opens it again.
    assert run(page, "vault.lock(); return await vault.getOpened('items', 'visit-1');")["error"] == "Locked"
    assert run(page, "return await vault.putSealed('items', 'visit-2', 'visit', {});")["error"] == "Locked"
    assert run(page, "await vault.unlock(args.pin); return vault.isUnlocked();", {"pin": PIN}) is True
    opened = run(page, "return await vault.getOpened('items', 'visit-1');")
    assert opened == {"id": "visit-1", "kind": "visit", "value": visit, "planned": "2026-12-03"}
    outbox = run(page, "return await vault.allOpened('outbox');")
    assert outbox == {
        "records": [{"id": "missed-1", "kind": "missed_visit", "value": {"reason": NAME}, "made_at": 1764600000}],
        "tampered": [],
    }
    assert run(page, "return await vault.getOpened('items', 'nothing-here');") is None
    assert run(page, "return [await store.count('items'), await store.count('outbox')];") == [1, 1]

    # Raw IndexedDB: the records are there, sealed; no name, no answer, no key in clear.
    dump = page.evaluate(RAW_DUMP)
    assert sorted(dump) == ["items", "meta", "outbox"]
    assert sorted(key for key, _ in dump["meta"]) == ["vault", "wrong_pins"]
    assert dict(dump["meta"])["wrong_pins"] == 0
    vault_meta = dict(dump["meta"])["vault"]
    assert vault_meta["v"] == 1
    assert vault_meta["iterations"] == 600000
    assert sorted(vault_meta) == ["iterations", "salt", "v", "wrapped"]
    item = dict(dump["items"])["visit-1"]
    assert sorted(item) == ["id", "kind", "planned", "sealed"]
    assert sorted(item["sealed"]) == ["data", "iv"]
    raw = json.dumps(dump, ensure_ascii=False)
    for plaintext in (NAME, DEVANAGARI, "Namast", "Pokhara", "first_name", "answers", "reason", PIN):
        assert plaintext not in raw
    assert "\\u" not in json.dumps(dump)  # nothing non-ASCII at all is stored in clear

    # The data key of the vault cannot be read out: it is not extractable.
    key_check = run(
        page,
        """
        const {meta, key} = await fieldCrypto.createVault(args.pin);
        const again = await fieldCrypto.unlockVault(meta, args.pin);
        const refused = [];
        for (const k of [key, again]) {
          try { await crypto.subtle.exportKey('raw', k); refused.push(false); } catch (e) { refused.push(e.name); }
        }
        const sealed = await fieldCrypto.seal(key, {name: args.name}, 'items:a:visit');
        const sealedAgain = await fieldCrypto.seal(key, {name: args.name}, 'items:a:visit');
        return {extractable: [key.extractable, again.extractable], algorithm: key.algorithm, refused,
                sameIv: sealed.iv === sealedAgain.iv, ivBytes: atob(sealed.iv).length,
                opened: await fieldCrypto.open(again, sealed, 'items:a:visit'),
                saltBytes: atob(meta.salt).length, keys: Object.keys(meta).sort(),
                json: JSON.parse(JSON.stringify(meta)).wrapped === meta.wrapped};
        """,
        {"pin": "ठूलो-पिन-123", "name": NAME},
    )
    assert key_check == {
        "extractable": [False, False],
        "algorithm": {"name": "AES-GCM", "length": 256},
        "refused": ["InvalidAccessError", "InvalidAccessError"],
        "sameIv": False,
        "ivBytes": 12,
        "opened": {"name": NAME},
        "saltBytes": 16,
        "keys": ["iterations", "salt", "v", "wrapped"],
        "json": True,
    }


def test_wrong_pins_are_counted_and_the_fifth_in_a_row_wipes_the_device(page: Page, live_server: object) -> None:
    field_page(page, live_server)
    run(
        page,
        """
        await vault.setUp(args.pin);
        await vault.putSealed('items', 'visit-1', 'visit', {name: 'x'});
        await store.setMeta('package', {id: 'pkg-1', expires_at: '2026-12-15'});
        vault.lock();
        """,
        {"pin": PIN},
    )
    # Two wrong PINs, then the right one: the count goes back to 0.
    assert run(page, "return await vault.unlock('000000');") == {
        "error": "WrongPin",
        "left": 4,
        "id": None,
        "message": "The PIN is not right.",
    }
    assert run(page, "return await vault.unlock('4829130');")["left"] == 3
    assert run(page, "return [await store.getMeta('wrong_pins'), await vault.attemptsLeft()];") == [2, 3]
    # A PIN too short to be the PIN is refused without costing an attempt.
    assert run(page, "return await vault.unlock('48291');")["error"] == "PinTooShort"
    assert run(page, "return await store.getMeta('wrong_pins');") == 2
    assert run(page, "await vault.unlock(args.pin); return vault.isUnlocked();", {"pin": PIN}) is True
    assert run(page, "return await store.getMeta('wrong_pins');") == 0
    vault_meta = run(page, "return await store.getMeta('vault');")

    # Five wrong PINs in a row: left 4, 3, 2, 1, then the database is deleted.
    run(page, "vault.lock();")
    lefts = [run(page, "return await vault.unlock('111111');") for _ in range(4)]
    assert [(r["error"], r["left"]) for r in lefts] == [
        ("WrongPin", 4),
        ("WrongPin", 3),
        ("WrongPin", 2),
        ("WrongPin", 1),
    ]
    assert page.evaluate(DATABASES) == ["careplus-field"]
    assert run(page, "return await vault.unlock('111111');")["error"] == "Wiped"
    assert page.evaluate(DATABASES) == []
    assert run(page, "return [vault.isUnlocked(), await vault.isSetUp()];") == [False, False]
    # Nothing came back: even the right PIN with the old vault description opens nothing on the device.
    assert run(page, "return await vault.unlock(args.pin);", {"pin": PIN})["error"] == "NotSetUp"
    dump = page.evaluate(RAW_DUMP)
    assert all(rows == [] for rows in dump.values())
    assert vault_meta["wrapped"] not in json.dumps(dump)


def test_a_changed_or_moved_record_fails_authentication_and_is_reported_not_returned(
    page: Page, live_server: object
) -> None:
    field_page(page, live_server)
    run(
        page,
        """
        await vault.setUp(args.pin);
        for (const id of ['visit-1', 'visit-2', 'visit-3', 'visit-4']) {
          await vault.putSealed('outbox', id, 'visit', {note: args.name + ' ' + id}, {made_at: 1});
        }
        """,
        {"pin": PIN, "name": NAME},
    )
    page.evaluate(RAW_CHANGE, {"storeName": "outbox", "id": "visit-2", "flip": True})
    page.evaluate(RAW_CHANGE, {"storeName": "outbox", "id": "visit-3", "moveTo": "visit-9"})
    page.evaluate(RAW_CHANGE, {"storeName": "outbox", "id": "visit-4", "kind": "arrival"})
    result = run(page, "return await vault.allOpened('outbox');")
    assert result == {
        "records": [{"id": "visit-1", "kind": "visit", "value": {"note": f"{NAME} visit-1"}, "made_at": 1}],
        "tampered": ["visit-2", "visit-4", "visit-9"],
    }
    for record_id in ("visit-2", "visit-4", "visit-9"):
        refused = run(page, "return await vault.getOpened('outbox', args.id);", {"id": record_id})
        assert (refused["error"], refused["id"]) == ("Tampered", record_id)
    # The same record copied to the other store fails too (the store name is bound as well).
    moved = run(
        page,
        """
        const record = await store.get('outbox', 'visit-1');
        await store.put('items', record);
        return await vault.allOpened('items');
        """,
    )
    assert moved == {"records": [], "tampered": ["visit-1"]}
    # The untouched record still opens, and nothing was deleted behind the user's back.
    assert run(page, "return (await vault.getOpened('outbox', 'visit-1')).value;") == {"note": f"{NAME} visit-1"}
    assert run(page, "return await store.count('outbox');") == 4
    # Another key cannot open it either.
    other_key = run(
        page,
        """
        const record = await store.get('outbox', 'visit-1');
        const key = await crypto.subtle.generateKey({name: 'AES-GCM', length: 256}, false, ['encrypt', 'decrypt']);
        return await fieldCrypto.open(key, record.sealed, 'outbox:visit-1:visit');
        """,
    )
    assert other_key["error"] == "Tampered"


def test_bad_input_is_refused_and_changes_nothing(page: Page, live_server: object) -> None:
    field_page(page, live_server)
    assert run(page, "return await vault.setUp('12345');")["error"] == "PinTooShort"
    assert run(page, "return await fieldCrypto.createVault('abcde');")["error"] == "PinTooShort"
    # Characters are counted, not UTF-16 units: five astral digits (ten units) are five characters.
    assert run(page, "return await vault.setUp('𝟙𝟚𝟛𝟜𝟝');")["error"] == "PinTooShort"
    assert run(page, "return await vault.setUp('सीता');")["error"] == "PinTooShort"
    assert run(page, "return await vault.isSetUp();") is False
    assert run(page, "return await vault.unlock(args.pin);", {"pin": PIN})["error"] == "NotSetUp"
    run(page, "await vault.setUp(args.pin);", {"pin": PIN})
    # A second set-up would make the data unreadable: refused, the vault is unchanged.
    before = run(page, "return await store.getMeta('vault');")
    assert run(page, "return await vault.setUp('999999');")["error"] == "AlreadySetUp"
    assert run(page, "return await store.getMeta('vault');") == before
    refusals = run(
        page,
        """
        const out = [];
        const attempts = [
          () => vault.putSealed('meta', 'x', 'visit', 1),
          () => vault.putSealed('items', '', 'visit', 1),
          () => vault.putSealed('items', 7, 'visit', 1),
          () => vault.putSealed('items', 'a', 'vis:it', 1),
          () => vault.putSealed('items', 'a', 'visit', undefined),
          () => vault.putSealed('items', 'a', 'visit', 1, {sealed: 'x'}),
          () => vault.putSealed('items', 'a', 'visit', 1, {id: 'b'}),
          () => store.put('items', {no_id: true}),
          () => store.put('elsewhere', {id: 'a'}),
        ];
        for (const attempt of attempts) {
          try { await attempt(); out.push('stored'); } catch (e) { out.push(e.name); }
        }
        out.push(await store.count('items'));
        return out;
        """,
    )
    assert refusals == [
        "TypeError",
        "TypeError",
        "TypeError",
        "TypeError",
        "TypeError",
        "TypeError",
        "TypeError",
        "DataError",
        "TypeError",
        0,
    ]


def test_a_full_disk_is_reported_as_quota_exceeded(page: Page, live_server: object) -> None:
    field_page(page, live_server)
    left = run(page, "return await store.storageLeft();")
    assert isinstance(left, int)
    assert left > 0
    # A device with 200 kB for this site (set before the database opens, as Chromium reads it then;
    # its estimate() keeps showing the incognito figure).
    cdp = page.context.new_cdp_session(page)
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": str(live_server), "quotaSize": 200_000})
    run(page, "await vault.setUp(args.pin); await vault.putSealed('items', 'small', 'visit', {a: 1});", {"pin": PIN})
    result = run(
        page,
        "return await vault.putSealed('outbox', 'big', 'visit', {note: 'x'.repeat(2000000)});",
    )
    assert result["error"] == "QuotaExceeded"
    # The refused record is not half-stored; what was there is still there.
    assert run(page, "return [await store.count('outbox'), await store.count('items')];") == [0, 1]
    assert run(page, "return (await vault.getOpened('items', 'small')).value;") == {"a": 1}


def test_a_wipe_in_one_tab_is_not_blocked_by_another_tab_which_forgets_its_key(page: Page, live_server: object) -> None:
    field_page(page, live_server)
    other = field_page(page.context.new_page(), live_server)
    run(page, "await vault.setUp(args.pin); await vault.putSealed('items', 'v', 'visit', {a: 1});", {"pin": PIN})
    assert run(
        other, "await vault.unlock(args.pin); return (await vault.getOpened('items', 'v')).value;", {"pin": PIN}
    ) == {"a": 1}
    # The other tab holds its connection open; the wipe still completes at once.
    run(page, "await vault.wipeAll();")
    assert page.evaluate(DATABASES) == []
    assert run(other, "return [vault.isUnlocked(), await vault.isSetUp(), await store.count('items')];") == [
        False,
        False,
        0,
    ]
    other.close()
