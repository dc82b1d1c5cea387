"""The field app's interface strings, translated on the server and handed to app.js as JSON.

The shell page carries them in a `<script type="application/json" id="field-texts">` data block
(Django's `json_script`: never executed, so the strict CSP holds). Keys are stable identifiers
app.js reads; values are translated in the active language. Placeholders app.js fills in are
written `{name}`.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from careplus.returns.choices import VisitMode


def ui_texts() -> dict[str, object]:
    """Return the field app's strings in the active language."""
    return {
        "loading": _("Loading the field visits…"),
        "offline_banner": _(
            "You are offline. What you record stays on this device, encrypted, and is sent when the connection returns."
        ),
        "online_banner": _("Connected."),
        "sync_now": _("Synchronise now"),
        "syncing": _("Synchronising…"),
        "waiting_count": _("Records waiting to be sent: {count}"),
        "last_sync": _("Last synchronised: {when}"),
        "never_synced": _("Not synchronised yet."),
        "session_ended": _(
            "Your session has ended: the data kept on this device has been erased. Sign in again to continue."
        ),
        "sign_in_again": _("Sign in again"),
        "session_ended_kept": _(
            "Your session has ended: the visits taken offline were erased from this device. "
            "{count} records waiting to sync stay encrypted here: sign in again to send them."
        ),
        "storage_full_record": _(
            "Not enough storage left on this device to keep this record: it is still in the form. "
            "Free some space, then keep it again."
        ),
        "server_busy": _("The server could not answer just now: the records wait on this device; sync again later."),
        "sign_out_warning": _("Sync before signing out: signing out erases this device's offline data."),
        "unsupported": _(
            "This browser cannot keep the visits safely offline. "
            "Use an up-to-date browser to work without a connection."
        ),
        "other_user_wiped": _("Another person signed in: the previous offline data on this device was erased."),
        "need_connection": _("This needs a connection. What you recorded stays on this device."),
        "pin_setup_title": _("Choose a PIN for this device"),
        "pin_setup_help": _(
            "The visits you take offline are encrypted on this device with a key that only this PIN opens. "
            "After 5 wrong PINs, the offline data is erased."
        ),
        "pin_label": _("Device PIN"),
        "pin_hint": _("At least 6 digits. It is not your password: never the same."),
        "pin_again_label": _("The PIN again"),
        "pin_setup_button": _("Protect this device"),
        "pin_mismatch": _("The two PINs differ. Type the same PIN twice."),
        "pin_too_short": _("The PIN needs at least 6 digits."),
        "unlock_title": _("Unlock the offline visits"),
        "unlock_button": _("Unlock"),
        "wrong_pin": _("Wrong PIN. {left} attempts left before the offline data is erased."),
        "wiped_wrong_pins": _("5 wrong PINs: the offline data on this device was erased."),
        "prepare_title": _("Prepare for the field"),
        "days_label": _("Visits due within (days)"),
        "days_hint": _("From 1 to 60 days. Your own files only, 50 at most, the most urgent first."),
        "take_offline": _("Take offline"),
        "package_refused": _("The visits could not be taken offline."),
        "package_taken": _("{visits} visits and {arrivals} arrival assistance taken offline, until {until}."),
        "files_left_out": _("{count} more files have something due: take them next time."),
        "restricted_left_out": _("{count} restricted files are never taken offline: record them online."),
        "package_expired": _("The offline visits were older than 14 days and were erased. Take them offline again."),
        "storage_full": _("Not enough storage left on this device: nothing was replaced. Free some space first."),
        "home_title": _("Visits without a connection"),
        "tampered": _("{count} records on this device failed their integrity check: they were not used or sent."),
        "visits_title": _("Follow-up visits due"),
        "arrivals_title": _("Arrival assistance to deliver"),
        "planned_on": _("Planned on {date}"),
        "overdue": _("Overdue"),
        "last_score": _("Last composite score: {score}"),
        "record_visit": _("Record the visit"),
        "visit_missed": _("Visit missed"),
        "arrival_delivered": _("Delivered"),
        "nothing_offline": _("Nothing is offline on this device."),
        "outbox_title": _("Waiting to sync"),
        "kind_visit": _("visit"),
        "kind_missed": _("missed visit"),
        "kind_arrival": _("arrival assistance"),
        "recorded_at": _("Recorded on {when}"),
        "resolve_conflict": _("Compare and choose"),
        "correct": _("Correct"),
        "kept_offline": _("Kept on this device, encrypted. It will be sent when the connection returns."),
        "kept_syncing": _("Kept on this device; sending it now."),
        "visit_title": _("Visit of {reference} · {person}"),
        "done_on_label": _("Date of the visit"),
        "mode_label": _("Mode"),
        "modes": {code: str(label) for code, label in VisitMode.choices},
        "progress_label": _("Progress on the plan"),
        "notes_label": _("Notes"),
        "answer_alerts": _("This answer raises an alert for the caseworker's office as soon as it is synced."),
        "keep_visit": _("Keep the visit"),
        "cancel": _("Cancel"),
        "progress_needed": _("Describe the progress on the plan."),
        "missed_title": _("Missed visit of {reference} · {person}"),
        "reason_label": _("Reason the visit was missed"),
        "reason_needed": _("Give the reason the visit was missed."),
        "keep_missed": _("Keep the missed visit"),
        "arrival_title": _("{kind} for {reference}"),
        "delivered_on_label": _("Delivered on"),
        "keep_arrival": _("Keep"),
        "sync_refused": _("The server refused this record."),
        "synced": _("{count} sent."),
        "conflicts": _("{count} changed meanwhile on the server: compare and choose."),
        "refusals": _("{count} refused: read the reason and correct."),
        "outcome_label": _("Outcome"),
        "outcomes": {"done": _("Visit done"), "missed": _("Visit missed")},
        "answer_label": _("Answer {code}"),
        "conflict_title": _("Changed meanwhile: {reference} · {person}"),
        "conflict_help": _(
            "Someone saved this record on the server after you took it offline. For each line that differs, "
            "keep yours or the saved one; nothing is dropped until you choose."
        ),
        "conflict_caption": _("Your offline record beside the saved one"),
        "conflict_field": _("Field"),
        "conflict_mine": _("Yours (offline)"),
        "conflict_theirs": _("Saved on the server"),
        "conflict_choose": _("Choose a side for the {count} lines that differ."),
        "keep_all_mine": _("Keep all mine"),
        "keep_all_theirs": _("Keep all the saved values"),
        "save_merge": _("Save my choices"),
        "later": _("Later"),
        "kept_theirs": _("The saved values were kept; your offline copy was let go."),
        "merge_saved": _("Your choices were saved."),
        "changed_again": _("It changed again meanwhile: compare once more."),
        "arrival_conflict_saved_only": _(
            "This assistance was already marked delivered on the server; correct the date there if needed."
        ),
    }
