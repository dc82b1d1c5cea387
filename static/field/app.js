// CARE+ field visits without a connection (issue 23): the page app of /terrain/.
//
// What is on the device, and how it is protected, is said in static/field/vault.js and store.js:
// everything personal is sealed (AES-GCM, a non-extractable key unwrapped by the device PIN) in
// IndexedDB; only non-personal bookkeeping (package id and expiry, counts, last sync) is plain.
// Records made offline go to the "outbox" and are sent through the API with If-Match on the
// version taken offline; a stale one (412) opens the conflict screen, where nothing of either side
// is dropped without the user's choice. Scores are computed by the server when a visit syncs.
import * as store from "./store.js";
import * as vault from "./vault.js";

const root = document.getElementById("field-app");
const T = JSON.parse(document.getElementById("field-texts").textContent);
const API = root.dataset.api;
const STATE_URL = root.dataset.stateUrl;
const PACKAGE_URL = root.dataset.packageUrl;

let csrfToken = "";
let syncing = false;

// --- Small DOM helpers: text only, never HTML from data -------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") node.className = value;
    else if (name === "onsubmit") node.addEventListener("submit", guarded(value));
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A form's handler runs once at a time: a second click while it works does nothing (a PIN attempt,
// a record kept, a merge sent twice would each do harm).
function guarded(handler) {
  return async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    if (form.dataset.busy) return;
    form.dataset.busy = "1";
    const buttons = [...form.querySelectorAll("button[type=submit]")];
    for (const button of buttons) button.disabled = true;
    try {
      await handler(event);
    } finally {
      delete form.dataset.busy;
      for (const button of buttons) button.disabled = false;
    }
  };
}

// Sync and merges take one lock across the tabs of this browser, so two never send the same record.
function withLock(work) {
  return navigator.locks ? navigator.locks.request("careplus-field-sync", work) : work();
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
}

function show(...children) {
  const main = document.getElementById("field-main");
  main.replaceChildren(...children.flat());
  const heading = main.querySelector("h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

function say(text, kind) {
  const box = document.getElementById("field-message");
  box.className = "message field-message" + (kind ? " message--" + kind : "");
  box.textContent = text || "";
  box.hidden = !text;
}

function localDate(iso) {
  if (!iso) return "";
  const [y, m, d] = iso.slice(0, 10).split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(document.documentElement.lang || "fr", {
    day: "numeric", month: "long", year: "numeric",
  });
}

function localTime(iso) {
  return iso ? new Date(iso).toLocaleString(document.documentElement.lang || "fr", { dateStyle: "long", timeStyle: "short" }) : "";
}

function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function field(label, input, hint) {
  const id = input.id || "f-" + Math.random().toString(36).slice(2);
  input.id = id;
  return el("div", { class: "field" }, el("label", { for: id }, label), hint ? el("p", { class: "field__hint" }, hint) : null, input);
}

// --- The frame: banner, badge, last sync -----------------------------------------------------------

function frame() {
  root.replaceChildren(
    el("p", { id: "field-offline", class: "field-banner", role: "status", hidden: navigator.onLine }, T.offline_banner),
    el("div", { class: "field-status" },
      el("span", { id: "field-badge", class: "field-badge", "aria-live": "polite" }),
      el("span", { id: "field-sign-out-warning", class: "field-status__warning", hidden: true }, T.sign_out_warning),
      el("span", { id: "field-last-sync", class: "field-status__sync" }),
      el("button", { type: "button", id: "field-sync", class: "button button--secondary", onclick: () => syncNow() }, T.sync_now),
    ),
    el("p", { id: "field-message", class: "field-message", role: "alert", hidden: true }),
    el("div", { id: "field-main" }),
  );
  window.addEventListener("online", () => { document.getElementById("field-offline").hidden = true; syncNow(); });
  window.addEventListener("offline", () => { document.getElementById("field-offline").hidden = false; });
}

async function refreshStatus() {
  const badge = document.getElementById("field-badge");
  const waiting = vault.isUnlocked() ? await store.count("outbox") : 0;
  badge.textContent = fill(T.waiting_count, { count: waiting });
  badge.dataset.count = String(waiting);
  document.getElementById("field-sign-out-warning").hidden = waiting === 0;
  const last = await store.getMeta("last_sync");
  document.getElementById("field-last-sync").textContent = last ? fill(T.last_sync, { when: localTime(last) }) : T.never_synced;
  document.getElementById("field-sync").hidden = !vault.isUnlocked();
}

// --- Contact with the server: a revoked session or another user wipes the device -------------------

async function contact() {
  if (!navigator.onLine) return "offline";
  let response;
  try {
    response = await fetch(STATE_URL, { credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    return "offline";
  }
  const answer = await response.text();  // read to the end, whatever the status
  if (response.status === 401 || response.status === 403 || response.status === 404) {
    // The session ended (expired, revoked, signed out elsewhere) or the right to record visits was
    // withdrawn: the package (names, visits due) is erased at once. Records still waiting to sync
    // are the user's words: they stay sealed behind the PIN until the same user signs in again and
    // sends them (another user signing in erases them, see below).
    const waiting = await store.count("outbox");
    if (waiting) {
      vault.lock();
      await store.clear("items");
      await store.setMeta("package", null);
      say(fill(T.session_ended_kept, { count: waiting }), "error");
    } else {
      await vault.wipeAll();
      say(T.session_ended, "error");
    }
    const link = el("a", { href: root.dataset.signInUrl }, T.sign_in_again);
    document.getElementById("field-message").append(" ", link);
    return "ended";
  }
  if (!response.ok) return "offline";
  const state = JSON.parse(answer);
  csrfToken = state.csrf_token;
  const owner = await store.getMeta("user_id");
  if (owner && owner !== state.user_id) {
    await vault.wipeAll();
    say(T.other_user_wiped, "error");
    return "wiped";
  }
  await store.setMeta("user_id", state.user_id);
  return "online";
}

// One API call, its answer read to the end (a request left unread stays open): {ok, status, data}.
async function api(method, url, body, version) {
  const headers = { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Accept: "application/json" };
  if (version !== undefined) headers["If-Match"] = `"${version}"`;
  const response = await fetch(url, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (error) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

// --- PIN -------------------------------------------------------------------------------------------

function pinInput(name) {
  return el("input", { type: "password", name, inputmode: "numeric", autocomplete: "off", minlength: 6, required: true });
}

function setUpScreen() {
  const pin = pinInput("pin");
  const again = pinInput("pin_again");
  show(
    el("h2", {}, T.pin_setup_title),
    el("p", {}, T.pin_setup_help),
    el("form", { class: "form", onsubmit: async (event) => {
      event.preventDefault();
      if (pin.value !== again.value) { say(T.pin_mismatch, "error"); return; }
      try {
        await vault.setUp(pin.value);
      } catch (error) {
        say(error.name === "PinTooShort" ? T.pin_too_short : String(error.message), "error");
        return;
      }
      say("");
      home();
    } },
      field(T.pin_label, pin, T.pin_hint),
      field(T.pin_again_label, again),
      el("button", { type: "submit", class: "button" }, T.pin_setup_button),
    ),
  );
}

function unlockScreen() {
  const pin = pinInput("pin");
  show(
    el("h2", {}, T.unlock_title),
    el("form", { class: "form", onsubmit: async (event) => {
      try {
        await vault.unlock(pin.value);  // one attempt at a time (guarded): each one counts
      } catch (error) {
        pin.value = "";
        if (error.name === "Wiped") { say(T.wiped_wrong_pins, "error"); start(); return; }
        if (error.name === "WrongPin") { say(fill(T.wrong_pin, { left: error.left }), "error"); return; }
        if (error.name === "PinTooShort") { say(T.pin_too_short, "error"); return; }
        throw error;
      }
      say("");
      home();
    } },
      field(T.pin_label, pin),
      el("button", { type: "submit", class: "button" }, T.unlock_button),
    ),
  );
}

// --- The package -----------------------------------------------------------------------------------

async function expired() {
  const pkg = await store.getMeta("package");
  return pkg && Date.parse(pkg.expires_at) < Date.now();
}

async function takeOffline(days) {
  if ((await contact()) !== "online") { say(T.need_connection, "error"); return; }
  const left = await store.storageLeft();
  if (left !== null && left < 5 * 1024 * 1024) { say(T.storage_full, "error"); return; }
  const response = await api("POST", PACKAGE_URL, { days: Number(days) });
  const body = response.data || {};
  if (!response.ok) { say(body.message || T.package_refused, "error"); return; }
  await store.clear("items");
  try {
    await vault.putSealed("items", "questionnaire", "questionnaire", body.questionnaire);
    for (const visit of body.visits) await vault.putSealed("items", "visit:" + visit.id, "visit", visit);
    for (const item of body.arrivals) await vault.putSealed("items", "arrival:" + item.id, "arrival", item);
  } catch (error) {
    if (error.name === "QuotaExceeded") { await store.clear("items"); say(T.storage_full, "error"); return; }
    throw error;
  }
  await store.setMeta("package", {
    id: body.id, user_id: body.user_id, generated_at: body.generated_at, expires_at: body.expires_at,
    visits: body.visits.length, arrivals: body.arrivals.length,
  });
  const notes = [fill(T.package_taken, { visits: body.visits.length, arrivals: body.arrivals.length, until: localTime(body.expires_at) })];
  if (body.files_left_out) notes.push(fill(T.files_left_out, { count: body.files_left_out }));
  if (body.restricted_left_out) notes.push(fill(T.restricted_left_out, { count: body.restricted_left_out }));
  say(notes.join(" "), "success");
  home();
}

function prepareForm() {
  const days = el("input", { type: "number", name: "days", min: 1, max: 60, value: 14, required: true });
  return el("form", { class: "form field-prepare", onsubmit: (event) => { event.preventDefault(); takeOffline(days.value); } },
    el("h3", {}, T.prepare_title),
    field(T.days_label, days, T.days_hint),
    el("button", { type: "submit", class: "button" }, T.take_offline),
  );
}

// --- Home: what is due, what waits ---------------------------------------------------------------

async function home() {
  if (await expired()) {
    await store.clear("items");
    await store.setMeta("package", null);
    say(T.package_expired, "error");
  }
  const { records: items, tampered } = await vault.allOpened("items");
  const { records: outbox, tampered: tamperedOut } = await vault.allOpened("outbox");
  const questionnaire = items.find((r) => r.kind === "questionnaire");
  const done = new Set(outbox.map((r) => r.value.target));
  const visits = items.filter((r) => r.kind === "visit" && !done.has(r.id)).map((r) => r.value);
  const arrivals = items.filter((r) => r.kind === "arrival" && !done.has(r.id)).map((r) => r.value);
  const sections = [el("h2", {}, T.home_title)];
  if (tampered.length || tamperedOut.length) {
    sections.push(el("p", { class: "message message--error", role: "alert" }, fill(T.tampered, { count: tampered.length + tamperedOut.length })));
  }
  if (outbox.length) sections.push(outboxList(outbox));
  if (visits.length) {
    sections.push(el("h3", {}, T.visits_title), el("ul", { class: "field-list" }, visits.map((visit) =>
      el("li", { class: "field-card" },
        el("p", { class: "field-card__title" }, `${visit.case_reference} · ${visit.person}`),
        el("p", {}, fill(T.planned_on, { date: localDate(visit.planned_on) }), visit.overdue ? el("span", { class: "badge badge--warning" }, " ", T.overdue) : null),
        visit.last_scores ? el("p", { class: "field-card__meta" }, fill(T.last_score, { score: Number(visit.last_scores.composite).toLocaleString(document.documentElement.lang || "fr", { maximumFractionDigits: 2 }) })) : null,
        el("div", { class: "field-card__actions" },
          el("button", { type: "button", class: "button", onclick: () => visitForm(visit, questionnaire && questionnaire.value) }, T.record_visit),
          el("button", { type: "button", class: "button button--secondary", onclick: () => missedForm(visit) }, T.visit_missed),
        ),
      ))));
  }
  if (arrivals.length) {
    sections.push(el("h3", {}, T.arrivals_title), el("ul", { class: "field-list" }, arrivals.map((item) =>
      el("li", { class: "field-card" },
        el("p", { class: "field-card__title" }, `${item.case_reference} · ${item.person}`),
        el("p", {}, `${item.kind_label} · ${fill(T.planned_on, { date: localDate(item.planned_on) })}`),
        el("button", { type: "button", class: "button", onclick: () => arrivalForm(item) }, T.arrival_delivered),
      ))));
  }
  if (!visits.length && !arrivals.length && !outbox.length) sections.push(el("p", {}, T.nothing_offline));
  if (navigator.onLine) sections.push(prepareForm());
  show(sections);
  await refreshStatus();
}

function outboxList(outbox) {
  return el("section", { class: "field-outbox" },
    el("h3", {}, T.outbox_title),
    el("ul", { class: "field-list" }, outbox.map((record) =>
      el("li", { class: "field-card" + (record.state === "conflict" || record.state === "refused" ? " field-card--attention" : "") },
        el("p", { class: "field-card__title" }, `${record.value.case_reference} · ${record.value.person} · ${T["kind_" + record.kind]}`),
        el("p", { class: "field-card__meta" }, fill(T.recorded_at, { when: localTime(record.recorded_at) })),
        record.state === "refused" ? el("p", { class: "message message--error" }, record.value.refusal || "") : null,
        record.state === "conflict" ? el("button", { type: "button", class: "button", onclick: () => conflictScreen(record) }, T.resolve_conflict) : null,
        record.state === "refused" ? el("button", { type: "button", class: "button button--secondary", onclick: () => correct(record) }, T.correct) : null,
      ))));
}

// --- Recording offline -----------------------------------------------------------------------------

async function keep(kind, target, value) {
  const id = kind + ":" + target.split(":")[1];
  // A correction keeps the time the record was first made offline (what the audit log will say).
  // That time travels sealed with the record; the clear copy only orders the list.
  const earlier = await vault.getOpened("outbox", id).catch(() => null);
  const recordedAt = (earlier && earlier.value.recorded_at) || new Date().toISOString();
  try {
    await vault.putSealed("outbox", id, kind, { ...value, target, recorded_at: recordedAt }, { recorded_at: recordedAt, state: "waiting" });
  } catch (error) {
    if (error.name === "QuotaExceeded") { say(T.storage_full_record, "error"); return; }  // the form stays as typed
    throw error;
  }
  say(navigator.onLine ? T.kept_syncing : T.kept_offline, "success");
  await home();
  if (navigator.onLine) syncNow();
}

function visitForm(visit, questionnaire, previous) {
  const values = previous || {};
  const doneOn = el("input", { type: "date", name: "done_on", value: values.done_on || today(), max: today(), required: true });
  const mode = el("select", { name: "mode", required: true }, Object.entries(T.modes).map(([code, label]) =>
    el("option", { value: code, selected: values.mode === code }, label)));
  const progress = el("textarea", { name: "progress", rows: 4, maxlength: 3000, required: true });
  progress.value = values.progress || "";
  const notes = el("textarea", { name: "notes", rows: 3, maxlength: 3000 });
  notes.value = values.notes || "";
  const questions = (questionnaire && questionnaire.questions) || [];
  const chosen = { ...(values.answers || {}) };
  const fieldsets = questions.map((question) => {
    const alert = el("p", { class: "field-alert", hidden: !question.alerting.includes(chosen[question.code]) }, T.answer_alerts);
    return el("fieldset", { class: "field-question" },
      el("legend", {}, el("span", { class: "field-question__dimension" }, question.dimension, " · "), question.label),
      question.options.map((option) => {
        const id = `q-${question.code}-${option.code}`;
        return el("div", { class: "choice" },
          el("input", { type: "radio", id, name: "q_" + question.code, value: option.code, checked: chosen[question.code] === option.code,
            onchange: () => { chosen[question.code] = option.code; alert.hidden = !question.alerting.includes(option.code); } }),
          el("label", { for: id }, option.label));
      }),
      alert);
  });
  show(
    el("h2", {}, fill(T.visit_title, { reference: visit.case_reference, person: visit.person })),
    el("form", { class: "form", onsubmit: async (event) => {
      event.preventDefault();
      if (!progress.value.trim()) { say(T.progress_needed, "error"); progress.focus(); return; }
      await keep("visit", "visit:" + visit.id, {
        outcome: "done", visit_id: visit.id, case_id: visit.case_id, case_reference: visit.case_reference, person: visit.person,
        version: visit.version, instrument_id: questionnaire ? questionnaire.instrument_id : null,
        done_on: doneOn.value, mode: mode.value, progress: progress.value, notes: notes.value, answers: chosen,
      });
    } },
      field(T.done_on_label, doneOn), field(T.mode_label, mode), field(T.progress_label, progress), field(T.notes_label, notes),
      fieldsets,
      el("div", { class: "form__actions" },
        el("button", { type: "submit", class: "button" }, T.keep_visit),
        el("button", { type: "button", class: "button button--secondary", onclick: () => home() }, T.cancel)),
    ),
  );
}

function missedForm(visit, previous) {
  const reason = el("textarea", { name: "reason", rows: 3, maxlength: 300, required: true });
  reason.value = (previous && previous.reason) || "";
  show(
    el("h2", {}, fill(T.missed_title, { reference: visit.case_reference, person: visit.person })),
    el("form", { class: "form", onsubmit: async (event) => {
      event.preventDefault();
      if (!reason.value.trim()) { say(T.reason_needed, "error"); return; }
      await keep("missed", "visit:" + visit.id, {
        outcome: "missed", visit_id: visit.id, case_id: visit.case_id, case_reference: visit.case_reference, person: visit.person,
        version: visit.version, reason: reason.value,
      });
    } },
      field(T.reason_label, reason),
      el("div", { class: "form__actions" },
        el("button", { type: "submit", class: "button" }, T.keep_missed),
        el("button", { type: "button", class: "button button--secondary", onclick: () => home() }, T.cancel)),
    ),
  );
}

function arrivalForm(item, previous) {
  const deliveredOn = el("input", { type: "date", name: "delivered_on", value: (previous && previous.delivered_on) || today(), max: today(), required: true });
  show(
    el("h2", {}, fill(T.arrival_title, { reference: item.case_reference, kind: item.kind_label })),
    el("form", { class: "form", onsubmit: async (event) => {
      event.preventDefault();
      await keep("arrival", "arrival:" + item.id, {
        item_id: item.id, case_id: item.case_id, case_reference: item.case_reference, person: item.person,
        kind_label: item.kind_label, version: item.version, delivered_on: deliveredOn.value,
      });
    } },
      field(T.delivered_on_label, deliveredOn),
      el("div", { class: "form__actions" },
        el("button", { type: "submit", class: "button" }, T.keep_arrival),
        el("button", { type: "button", class: "button button--secondary", onclick: () => home() }, T.cancel)),
    ),
  );
}

async function correct(record) {
  const { records } = await vault.allOpened("items");
  const questionnaire = records.find((r) => r.kind === "questionnaire");
  const value = record.value;
  const target = { id: value.visit_id || value.item_id, case_id: value.case_id, case_reference: value.case_reference, person: value.person, version: value.version, kind_label: value.kind_label };
  if (record.kind === "visit") visitForm(target, questionnaire && questionnaire.value, value);
  else if (record.kind === "missed") missedForm(target, value);
  else arrivalForm(target, value);
}

// --- Sync --------------------------------------------------------------------------------------------

function request(record) {
  const v = record.value;
  const base = `${API}cases/${v.case_id}/`;
  const offline = { recorded_offline_at: v.recorded_at || record.recorded_at };
  if (record.kind === "visit") {
    return ["POST", `${base}visits/${v.visit_id}/record/`, { ...offline, done_on: v.done_on, mode: v.mode, progress: v.progress, notes: v.notes, answers: v.answers, instrument_id: v.instrument_id }];
  }
  if (record.kind === "missed") return ["POST", `${base}visits/${v.visit_id}/missed/`, { ...offline, reason: v.reason }];
  return ["POST", `${base}arrival-items/${v.item_id}/deliver/`, { ...offline, delivered_on: v.delivered_on }];
}

async function update(record, changes, valueChanges) {
  await vault.putSealed("outbox", record.id, record.kind, { ...record.value, ...(valueChanges || {}) },
    { recorded_at: record.recorded_at, state: record.state, ...changes });
}

async function theirs(record) {
  const v = record.value;
  if (record.kind === "arrival") {
    const response = await api("GET", `${API}cases/${v.case_id}/arrival-items/`);
    if (!response.ok) return null;
    const items = response.data || [];
    return items.find((item) => item.id === v.item_id) || null;
  }
  const response = await api("GET", `${API}cases/${v.case_id}/visits/${v.visit_id}/`);
  return response.ok ? response.data : null;
}

async function syncOne(record) {
  const [method, url, body] = request(record);
  const response = await api(method, url, body, record.value.version);
  if (response.ok) {
    await store.remove("outbox", record.id);
    await store.remove("items", record.value.target);
    return "synced";
  }
  if (response.status === 401) return "ended";
  if (response.status === 403 || response.status === 404) {
    // The session may have ended; or this one file was restricted or moved since: then only this
    // record is refused (with the server's reason) and the others still go.
    if ((await contact()) !== "online") return "ended";
  }
  if (response.status >= 500 || response.status === 408 || response.status === 429) return "later";
  if (response.status === 412) {
    const current = await theirs(record);
    if (current && record.kind !== "arrival" && current.status === "planned") {
      // Only the version moved (the visit was rescheduled): nothing of theirs to weigh; send again.
      await update(record, {}, { version: current.version });
      return syncOne({ ...record, value: { ...record.value, version: current.version } });
    }
    await update(record, { state: "conflict" }, { theirs: current, theirs_version: current ? current.version : null });
    return "conflict";
  }
  const problem = response.data || {};
  const message = problem.message || Object.values(problem.errors || problem || {}).flat().join(" ") || T.sync_refused;
  await update(record, { state: "refused" }, { refusal: message });
  return "refused";
}

function syncNow() {
  return withLock(syncLocked);
}

async function syncLocked() {
  if (syncing || !vault.isUnlocked()) return;
  syncing = true;
  try {
    const state = await contact();
    if (state !== "online") { if (state === "offline") say(T.need_connection, "error"); if (state !== "offline") start(); return; }
    const { records } = await vault.allOpened("outbox");
    const counts = { synced: 0, conflict: 0, refused: 0 };
    for (const record of records.filter((r) => r.state === "waiting")) {
      let outcome;
      try {
        outcome = await syncOne(record);
      } catch (error) {
        say(T.need_connection, "error");
        break;
      }
      if (outcome === "ended") { await contact(); start(); return; }
      if (outcome === "later") { say(T.server_busy, "error"); break; }  // kept as waiting, tried again next time
      counts[outcome] += 1;
    }
    await store.setMeta("last_sync", new Date().toISOString());
    const parts = [fill(T.synced, { count: counts.synced })];
    if (counts.conflict) parts.push(fill(T.conflicts, { count: counts.conflict }));
    if (counts.refused) parts.push(fill(T.refusals, { count: counts.refused }));
    say(parts.join(" "), counts.conflict || counts.refused ? "error" : "success");
    await home();
  } finally {
    syncing = false;
  }
}

// --- Conflict: both sides, field by field; nothing dropped without a choice -------------------------

function rowsOf(record, questionnaire) {
  const mine = record.value;
  const saved = mine.theirs || {};
  const label = (code, options) => (options && options[code]) || code || "—";
  const rows = [];
  if (record.kind === "arrival") {
    rows.push({ key: "delivered_on", label: T.delivered_on_label, mine: mine.delivered_on, theirs: saved.delivered_on, show: localDate });
    return rows;
  }
  rows.push({ key: "outcome", label: T.outcome_label, mine: mine.outcome, theirs: saved.status === "missed" ? "missed" : "done", show: (v) => T.outcomes[v] || v });
  rows.push({ key: "done_on", label: T.done_on_label, mine: mine.done_on || "", theirs: saved.done_on || "", show: localDate });
  rows.push({ key: "mode", label: T.mode_label, mine: mine.mode || "", theirs: saved.mode || "", show: (v) => label(v, T.modes) });
  rows.push({ key: "progress", label: T.progress_label, mine: mine.progress || "", theirs: saved.progress || "" });
  rows.push({ key: "notes", label: T.notes_label, mine: mine.notes || "", theirs: saved.notes || "" });
  rows.push({ key: "reason", label: T.reason_label, mine: mine.reason || "", theirs: saved.missed_reason || "" });
  // Answers by their question and option labels, in the questionnaire's order (never raw codes).
  const questions = (questionnaire && questionnaire.questions) || [];
  const known = new Map(questions.map((q) => [q.code, q]));
  const codes = new Set([...Object.keys(mine.answers || {}), ...Object.keys(saved.answers || {})]);
  const ordered = [...questions.map((q) => q.code).filter((c) => codes.has(c)), ...[...codes].filter((c) => !known.has(c)).sort()];
  for (const code of ordered) {
    const question = known.get(code);
    const options = question ? Object.fromEntries(question.options.map((o) => [o.code, o.label])) : {};
    rows.push({
      key: "answer:" + code, label: question ? question.label : fill(T.answer_label, { code }),
      mine: (mine.answers || {})[code] || "", theirs: (saved.answers || {})[code] || "", show: (v) => label(v, options),
    });
  }
  return rows;
}

async function conflictScreen(record) {
  const { records: items } = await vault.allOpened("items");
  const questionnaire = items.find((r) => r.kind === "questionnaire");
  const rows = rowsOf(record, questionnaire && questionnaire.value);
  const differing = rows.filter((row) => row.mine !== row.theirs);
  const choice = {};
  const radios = [];
  const table = el("table", { class: "table field-conflict" },
    el("caption", {}, T.conflict_caption),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, T.conflict_field), el("th", { scope: "col" }, T.conflict_mine), el("th", { scope: "col" }, T.conflict_theirs))),
    el("tbody", {}, rows.map((row) => {
      const show = row.show || ((v) => v || "—");
      const same = row.mine === row.theirs;
      const sideName = { mine: T.conflict_mine, theirs: T.conflict_theirs };
      const cell = (side) => {
        const value = show(row[side]) || "—";
        // The side is named in the cell too: on a phone the columns stack and the header is hidden.
        const named = el("span", {}, el("span", { class: "field-conflict__side" }, sideName[side], " : "), value);
        if (same) return el("td", {}, named);
        const id = `c-${row.key}-${side}`.replace(/[^\w-]/g, "_");
        const input = el("input", { type: "radio", id, name: "c-" + row.key, value: side, required: true,
          onchange: () => { choice[row.key] = side; } });
        radios.push(input);
        return el("td", {}, el("div", { class: "choice" }, input, el("label", { for: id }, named)));
      };
      return el("tr", { class: same ? "" : "field-conflict__differs" }, el("th", { scope: "row" }, row.label), cell("mine"), cell("theirs"));
    })),
  );
  const pickAll = (side) => {
    for (const input of radios) if (input.value === side) { input.checked = true; choice[input.name.slice(2)] = side; }
  };
  show(
    el("h2", {}, fill(T.conflict_title, { reference: record.value.case_reference, person: record.value.person })),
    el("p", {}, T.conflict_help),
    el("form", { class: "form", onsubmit: async (event) => {
      event.preventDefault();
      const missing = differing.filter((row) => !choice[row.key]);
      if (missing.length) { say(fill(T.conflict_choose, { count: missing.length }), "error"); return; }
      await withLock(() => resolve(record, rows, choice));
    } },
      el("div", { class: "form__actions" },
        el("button", { type: "button", class: "button button--secondary", onclick: () => pickAll("mine") }, T.keep_all_mine),
        el("button", { type: "button", class: "button button--secondary", onclick: () => pickAll("theirs") }, T.keep_all_theirs)),
      el("div", { class: "table-scroll" }, table),
      el("div", { class: "form__actions" },
        el("button", { type: "submit", class: "button" }, T.save_merge),
        el("button", { type: "button", class: "button button--secondary", onclick: () => home() }, T.later)),
    ),
  );
}

async function resolve(record, rows, choice) {
  if (!(await store.get("outbox", record.id))) {
    say(T.merge_saved, "success");  // settled meanwhile (another tab, a second click)
    return home();
  }
  const pick = (row) => (row.mine === row.theirs ? row.mine : row[choice[row.key]]);
  const anyMine = rows.some((row) => row.mine !== row.theirs && choice[row.key] === "mine");
  if (!anyMine) {
    // The saved side kept in full: it is on the server already; the offline copy is let go by choice.
    await store.remove("outbox", record.id);
    await store.remove("items", record.value.target);
    say(T.kept_theirs, "success");
    return home();
  }
  if ((await contact()) !== "online") { say(T.need_connection, "error"); return; }
  if (record.kind === "arrival") {
    say(T.arrival_conflict_saved_only, "error");
    return;
  }
  const value = Object.fromEntries(rows.filter((row) => !row.key.startsWith("answer:")).map((row) => [row.key, pick(row)]));
  const answers = {};
  for (const row of rows.filter((r) => r.key.startsWith("answer:"))) {
    const chosen = pick(row);
    if (chosen) answers[row.key.slice(7)] = chosen;
  }
  const v = record.value;
  const common = { outcome: value.outcome, progress: value.progress, notes: value.notes, recorded_offline_at: v.recorded_at || record.recorded_at };
  // A visit done has a date, a mode and answers; a missed one has a reason and none of those.
  const body = value.outcome === "missed"
    ? { ...common, reason: value.reason }
    : { ...common, done_on: value.done_on, mode: value.mode, answers, instrument_id: v.instrument_id || null };
  const response = await api("PUT", `${API}cases/${v.case_id}/visits/${v.visit_id}/`, body, v.theirs_version);
  if (response.ok) {
    await store.remove("outbox", record.id);
    await store.remove("items", v.target);
    say(T.merge_saved, "success");
    return home();
  }
  if (response.status === 412) {
    const current = await theirs(record);
    await update(record, { state: "conflict" }, { theirs: current, theirs_version: current ? current.version : null });
    say(T.changed_again, "error");
    return conflictScreen({ ...record, value: { ...v, theirs: current, theirs_version: current && current.version } });
  }
  const problem = response.data || {};
  say(problem.message || T.sync_refused, "error");
}

// --- Start -----------------------------------------------------------------------------------------

async function start() {
  if (await expired()) {
    // Erased without the PIN: the expiry is in clear, a lost device loses the package on time.
    await store.clear("items");
    await store.setMeta("package", null);
    say(T.package_expired, "error");
  }
  await refreshStatus();
  if (!(await vault.isSetUp())) return setUpScreen();
  if (!vault.isUnlocked()) return unlockScreen();
  return home();
}

async function boot() {
  frame();
  if (!window.crypto || !window.crypto.subtle || !window.indexedDB) {
    say(T.unsupported, "error");
    return;
  }
  await contact();
  await start();
}

boot();
