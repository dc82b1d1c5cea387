"""Issue 23, the field journey in Debian's Chromium: take visits offline, record them without a
connection (encrypted on the device), reload offline, sync when the connection returns, settle a
conflict field by field, and lose the device's data after 5 wrong PINs.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from django.utils import timezone, translation

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.cases.models import Case
from careplus.field import package
from careplus.returns import services as returns_services
from careplus.returns.choices import VisitMode, VisitStatus
from careplus.returns.models import FollowUpAlert, Visit
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in, wait_until_controlled_by_service_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE: ViewportSize = {"width": 375, "height": 740}
PIN = "482916"
PROGRESS_ONE = "Atelier de couture ouvert à Pokhara, स्वरोजगार"
PROGRESS_TWO = "Loyer payé, l'école a repris"

# Records every CSP violation the page sees (added before any page script runs).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

# Every record of every store of the app's database, as stored (what a thief of the device reads).
RAW_DATABASE = """
async () => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("careplus-field");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const dump = {};
  for (const name of db.objectStoreNames) {
    dump[name] = await new Promise((resolve) => {
      const out = [];
      const cursor = db.transaction(name).objectStore(name).openCursor();
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return resolve(out);
        out.push({ key: at.key, value: at.value });
        at.continue();
      };
    });
  }
  db.close();
  return JSON.stringify(dump);
}
"""


def _french(text: str) -> str:
    with translation.override("fr"):
        return translation.gettext(text)


def _file_due(caseworker: User, office: Any, *, alias: str, days_ago: int) -> Case:
    """A returned file of the caseworker whose first follow-up visit is due within a week."""
    arrival = timezone.localdate() - datetime.timedelta(days=days_ago)
    case = factories.make_returned_case(office=office, arrival_on=arrival)
    case.safe_contact = {"channel": "phone", "alias": alias}
    case.save()
    Case.objects.filter(pk=case.pk).update(caseworker=caseworker)
    return case


def _first_visit(case: Case) -> Visit:
    visit = Visit.objects.filter(case=case).order_by("planned_on").first()
    assert visit is not None
    return visit


def _answer_everything(page: Page, questionnaire: package.Questionnaire, *, alert_on: str = "") -> None:
    for question in questionnaire.questions:
        option = next(o.code for o in question.options if o.code not in question.alerting)
        if question.code == alert_on:
            option = question.alerting[0]
        page.locator(f"input[name='q_{question.code}'][value='{option}']").check()


def _unlock(page: Page) -> None:
    page.locator("input[name=pin]").fill(PIN)
    page.locator("#field-main button[type=submit]").click()


@pytest.fixture
def field_office() -> dict[str, Any]:
    office = factories.make_office("KTM", country="NP")
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    return {
        "caseworker": caseworker,
        "one": _file_due(caseworker, office, alias="Maya", days_ago=27),
        "two": _file_due(caseworker, office, alias="Kamala", days_ago=26),
        "three": _file_due(caseworker, office, alias="Sunita", days_ago=25),
    }


def _take_offline(page: Page, base: str, caseworker: User) -> None:
    sign_in(page, base, caseworker)
    page.goto(base + "/terrain/")
    wait_until_controlled_by_service_worker(page)
    expect(page.locator("input[name=pin_again]")).to_be_visible()
    page.locator("input[name=pin]").fill(PIN)
    page.locator("input[name=pin_again]").fill(PIN)
    page.locator("#field-main button[type=submit]").click()
    page.locator("input[name=days]").fill("14")
    page.get_by_role("button", name=_french("Take offline")).click()
    expect(page.locator(".field-card")).to_have_count(3)


def test_record_offline_reload_sync_merge(
    new_page: Callable[[], Page], live_server: object, field_office: dict[str, Any], artifacts: Path
) -> None:
    base = str(live_server)
    caseworker = field_office["caseworker"]
    one, two, three = (_first_visit(field_office[name]) for name in ("one", "two", "three"))
    questionnaire = package.questionnaire_offline()
    alerting = next(question for question in questionnaire.questions if question.alerting)
    page = new_page()
    page.set_viewport_size(PHONE)
    page.add_init_script(CSP_LISTENER)
    _take_offline(page, base, caseworker)
    assert serious_accessibility_violations(page) == []

    # No connection from here: two visits and a missed one are recorded on the device.
    page.context.set_offline(True)
    expect(page.locator("#field-offline")).to_be_visible()
    page.locator(".field-card", has_text="Maya").get_by_role("button", name=_french("Record the visit")).click()
    page.locator("textarea[name=progress]").fill(PROGRESS_ONE)
    _answer_everything(page, questionnaire, alert_on=alerting.code)
    shown = page.locator(".field-alert:visible")
    expect(shown).to_have_count(1)  # under the alerting answer only
    expect(shown).to_have_text(
        _french("This answer raises an alert for the caseworker's office as soon as it is synced.")
    )
    page.screenshot(path=str(artifacts / "i23-01-visit-offline.png"), full_page=True)
    page.get_by_role("button", name=_french("Keep the visit")).click()
    page.locator(".field-card", has_text="Kamala").get_by_role("button", name=_french("Record the visit")).click()
    page.locator("textarea[name=progress]").fill(PROGRESS_TWO)
    page.locator("select[name=mode]").select_option(VisitMode.PHONE)
    _answer_everything(page, questionnaire)
    page.get_by_role("button", name=_french("Keep the visit")).click()
    page.locator(".field-card", has_text="Sunita").get_by_role("button", name=_french("Visit missed")).click()
    page.locator("textarea[name=reason]").fill("Partie chez sa sœur à Dharan")
    page.get_by_role("button", name=_french("Keep the missed visit")).click()
    expect(page.locator("#field-badge")).to_have_attribute("data-count", "3")

    # Reloaded offline, the page comes from the service worker; the records wait behind the PIN.
    page.reload()
    _unlock(page)
    expect(page.locator("#field-badge")).to_have_attribute("data-count", "3")
    raw = page.evaluate(RAW_DATABASE)
    for plaintext in ("Maya", "Kamala", "Sunita", "Pokhara", "स्वरोजगार", "Dharan", "école", one.case.reference):
        assert plaintext not in raw
    assert json.loads(raw)["outbox"]  # the three records are there, sealed

    # Meanwhile a colleague records the second visit online: that side must not be lost either.
    colleague = factories.make_user(Role.CASEWORKER, office=two.case.office)
    returns_services.visit_record(
        actor=colleague,
        visit=Visit.objects.select_related("case__data_key").get(pk=two.pk),
        done_on=timezone.localdate(),
        mode=VisitMode.IN_PERSON,
        progress="Vue au marché, tout va bien",
        notes="Appel de suivi prévu",
        answers={question.code: question.options[-1].code for question in questionnaire.questions},
    )

    # Back online: the app syncs what it can and stops on the conflict.
    page.context.set_offline(False)
    page.get_by_role("button", name=_french("Synchronise now")).click()
    expect(page.get_by_role("button", name=_french("Compare and choose"))).to_be_visible()
    expect(page.locator("#field-badge")).to_have_attribute("data-count", "1")
    recorded = Visit.objects.get(pk=one.pk)
    assert recorded.status == VisitStatus.DONE
    assert recorded.progress == PROGRESS_ONE
    assert recorded.score_composite is not None
    assert FollowUpAlert.objects.filter(visit=recorded, item=alerting.code).exists()
    assert Visit.objects.get(pk=three.pk).status == VisitStatus.MISSED
    offline_at = AuditEvent.objects.filter(object_id=str(one.case_id), fields__contains="recorded_offline_at")
    assert offline_at.exists()
    # The alert reaches the office's inbox at once.
    inbox = new_page()
    sign_in(inbox, base, factories.make_user(Role.CASEWORKER, office=one.case.office))
    alert_task = _french("%(reference)s: a visit answer calls for psychological support")
    expect(inbox.get_by_text(alert_task % {"reference": one.case.reference})).to_be_visible()

    # The conflict: the caseworker keeps their progress and the colleague's mode and notes.
    page.get_by_role("button", name=_french("Compare and choose")).click()
    expect(page.locator("table.field-conflict")).to_be_visible()
    page.screenshot(path=str(artifacts / "i23-02-conflict.png"), full_page=True)
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name=_french("Keep all the saved values")).click()
    page.locator("input[name='c-progress'][value=mine]").check()
    page.get_by_role("button", name=_french("Save my choices")).click()
    expect(page.locator("#field-badge")).to_have_attribute("data-count", "0")
    merged = Visit.objects.get(pk=two.pk)
    assert merged.progress == PROGRESS_TWO  # mine
    assert merged.mode == VisitMode.IN_PERSON  # theirs
    assert merged.notes == "Appel de suivi prévu"  # theirs
    assert page.evaluate("window.__cspViolations") == []


def test_five_wrong_pins_erase_the_package(
    new_page: Callable[[], Page], live_server: object, field_office: dict[str, Any]
) -> None:
    base = str(live_server)
    page = new_page()
    page.set_viewport_size(PHONE)
    _take_offline(page, base, field_office["caseworker"])

    page.reload()
    wrong = _french("Wrong PIN. {left} attempts left before the offline data is erased.")
    for left in (4, 3, 2, 1):
        page.locator("input[name=pin]").fill("000000")
        page.locator("#field-main button[type=submit]").click()
        expect(page.locator("#field-message")).to_have_text(wrong.replace("{left}", str(left)))
    page.locator("input[name=pin]").fill("000000")
    page.locator("#field-main button[type=submit]").click()
    expect(page.locator("#field-message")).to_contain_text(
        _french("5 wrong PINs: the offline data on this device was erased.")
    )
    expect(page.locator("input[name=pin_again]")).to_be_visible()  # a fresh PIN is asked: nothing left to open
    stored = json.loads(page.evaluate(RAW_DATABASE))
    assert stored["items"] == []
    assert stored["outbox"] == []
    assert "vault" not in {entry["key"] for entry in stored["meta"]}


def test_a_refusal_waits_for_correction_and_an_ended_session_erases_the_package(
    new_page: Callable[[], Page], live_server: object, field_office: dict[str, Any]
) -> None:
    from careplus.accounts import services as account_services

    base = str(live_server)
    caseworker = field_office["caseworker"]
    page = new_page()
    page.set_viewport_size(PHONE)
    _take_offline(page, base, caseworker)
    page.context.set_offline(True)
    page.locator(".field-card", has_text="Sunita").get_by_role("button", name=_french("Visit missed")).click()
    page.locator("textarea[name=reason]").fill("Absente, voisins prévenus")
    page.get_by_role("button", name=_french("Keep the missed visit")).click()

    # The file is closed meanwhile: the record is refused at sync, kept, and offered for correction.
    Case.objects.filter(pk=field_office["three"].pk).update(status="closed")
    page.context.set_offline(False)
    page.get_by_role("button", name=_french("Synchronise now")).click()
    refused = page.locator(".field-card--attention", has_text="Sunita")
    expect(refused).to_contain_text(
        _french("This case is closed and read-only. A coordinator can reopen it with a reason.")
    )
    expect(refused.get_by_role("button", name=_french("Correct"))).to_be_visible()
    expect(page.locator("#field-badge")).to_have_attribute("data-count", "1")
    assert Visit.objects.get(pk=_first_visit(field_office["three"]).pk).status == VisitStatus.PLANNED

    # The session is revoked on the server: at the next contact the package goes; the waiting
    # record stays sealed for the same user to send once signed in again.
    account_services.sessions_end_for(user=caseworker)
    page.reload()
    expect(page.locator("#field-message")).to_contain_text(_french("Sign in again"))
    stored = json.loads(page.evaluate(RAW_DATABASE))
    assert stored["items"] == []
    assert [record["key"] for record in stored["outbox"]] == [f"missed:{_first_visit(field_office['three']).pk}"]


# Move the package's expiry into the past, as 15 days without opening the app would.
AGE_THE_PACKAGE = """
async () => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("careplus-field");
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  await new Promise((resolve, reject) => {
    const store = db.transaction("meta", "readwrite").objectStore("meta");
    const read = store.get("package");
    read.onsuccess = () => {
      const write = store.put({ ...read.result, expires_at: "2020-01-01T00:00:00Z" }, "package");
      write.onsuccess = resolve;
      write.onerror = () => reject(write.error);
    };
  });
  db.close();
}
"""


def test_an_expired_package_is_erased_before_the_pin_is_asked(
    new_page: Callable[[], Page], live_server: object, field_office: dict[str, Any]
) -> None:
    base = str(live_server)
    page = new_page()
    _take_offline(page, base, field_office["caseworker"])
    page.evaluate(AGE_THE_PACKAGE)

    page.reload()

    expect(page.locator("#field-message")).to_contain_text(
        _french("The offline visits were older than 14 days and were erased. Take them offline again.")
    )
    expect(page.locator("input[name=pin]")).to_be_visible()  # the unlock screen comes after the erasure
    assert json.loads(page.evaluate(RAW_DATABASE))["items"] == []
