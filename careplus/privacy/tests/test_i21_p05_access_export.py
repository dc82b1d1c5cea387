"""Right of access (issue 21, points 5 and 8): the DPO's copy of a person's whole file."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.test import Client
from django.urls import reverse
from django.utils import translation

from careplus.access.roles import Role
from careplus.audit.models import AuditEvent
from careplus.cases import services as case_services
from careplus.cases.models import Case, CaseNote, LegalSituation
from careplus.core.errors import RuleViolation
from careplus.privacy import access_export
from careplus.referrals.models import Referral
from tests import factories

pytestmark = pytest.mark.django_db

RELATIVE = "Her cousin Ion Popescu drove her to Lyon"
TRAFFICKER = "Complaint against Marius Dobre, Lyon court 18/123"


def _file() -> tuple[Case, Referral, Any]:
    """A case with its referral, a note naming a relative, a legal section naming a trafficker, a document."""
    case = factories.make_case(office=factories.shared_office())
    referral = factories.make_referral(organisation=factories.shared_organisation())
    Referral.objects.filter(pk=referral.pk).update(case=case)
    author = factories.system_user()
    note = CaseNote(case=case, author=author)
    note.body = RELATIVE
    note.save()
    legal = LegalSituation(case=case, updated_by=author, residence_permit="none", ofii_level="none")
    legal.proceedings = TRAFFICKER
    legal.ofii_file = ""
    legal.save()
    document = case_services.attachment_add(
        actor=author,
        case=case,
        filename="passport scan.pdf",
        content=b"%PDF-1.4 passport",
        content_type="application/pdf",
    )
    return case, referral, document


def _wrong(user: Any) -> str:
    return "123456" if factories.totp_code(user) != "123456" else "654321"


def _open(client: Client, dpo: Any, reference: str, *, code: str | None = None) -> Any:
    return client.post(
        reverse("privacy:access_request"),
        {"reference": reference, "reason": "Written request of 3 March", "code": code or factories.totp_code(dpo)},
    )


def _decisions(page: Any, choice: str = "release", **overrides: str) -> dict[str, str]:
    names = [name for name in page.context["form"].fields if name.startswith("item_")]
    return {name: overrides.get(name, choice) for name in names}


def test_i21_p05_subject_file_holds_every_section_and_flags_third_party_text() -> None:
    case, _referral, document = _file()
    subject = access_export.subject_file("case", case.pk)
    models = {record.model for record in subject.records}
    assert {"referrals.referral", "cases.case", "cases.casenote", "cases.legalsituation", "cases.consent"} <= models
    flagged = {item.key.split(":")[0] + "." + item.name: item.shown for item in subject.flagged}
    assert flagged["cases.casenote.body"] == RELATIVE
    assert flagged["cases.legalsituation.proceedings"] == TRAFFICKER
    # The person's own names are not someone else's data: not flagged, but in the copy.
    assert "cases.case.family_name" not in flagged
    case_items = {i.name: i.shown for r in subject.records if r.model == "cases.case" for i in r.items}
    assert case_items["family_name"] == "Gurung"
    assert case_items["nationality"] == "Népal"
    assert [doc.filename for doc in subject.documents] == ["passport scan.pdf"]
    assert subject.review_keys[-1] == f"cases.caseattachment:{document.pk}:content"


def test_i21_p05_export_refuses_without_a_decision_for_every_flagged_value() -> None:
    case, _referral, _document = _file()
    dpo = factories.make_user(Role.DPO)
    subject = access_export.subject_file("case", case.pk)
    partial = dict.fromkeys(subject.review_keys[1:], "release")
    before = AuditEvent.objects.filter(action="export").count()
    with translation.override("en"), pytest.raises(RuleViolation, match="Review every flagged value"):
        access_export.access_export(actor=dpo, kind="case", subject_id=case.pk, decisions=partial, reason="Request")
    assert AuditEvent.objects.filter(action="export").count() == before


def test_i21_p05_zip_has_pdf_json_documents_and_redactions_applied() -> None:
    case, referral, _document = _file()
    dpo = factories.make_user(Role.DPO)
    subject = access_export.subject_file("case", case.pk)
    decisions = dict.fromkeys(subject.review_keys, "release")
    note_key = next(i.key for i in subject.flagged if i.name == "body")
    decisions[note_key] = "redact"
    archive = access_export.access_export(
        actor=dpo, kind="case", subject_id=case.pk, decisions=decisions, reason="Written request of 3 March"
    )
    members = zipfile.ZipFile(io.BytesIO(archive))
    names = set(members.namelist())
    assert {f"{case.reference}.pdf", f"{case.reference}.json", "documents/01-passport_scan.pdf"} == names
    assert members.read("documents/01-passport_scan.pdf") == b"%PDF-1.4 passport"
    assert members.read(f"{case.reference}.pdf").startswith(b"%PDF")
    data = json.loads(members.read(f"{case.reference}.json"))
    text = json.dumps(data, ensure_ascii=False)
    assert RELATIVE not in text
    assert "[masqué par le DPD]" in text
    assert TRAFFICKER in text  # released by the DPO
    assert {r["model"] for r in data["records"]} >= {"referrals.referral", "cases.case", "cases.visit"} - {
        "cases.visit"
    }
    assert data["reference"] == case.reference
    assert data["redacted"] == [note_key]
    assert data["documents"][0]["file"] == "documents/01-passport_scan.pdf"
    event = AuditEvent.objects.filter(action="export", object_id=str(case.pk)).get()
    assert "privacy_access" in event.field_names
    assert "redacted:casenote.body" in event.field_names
    assert AuditEvent.objects.filter(action="export", object_id=str(referral.pk)).exists()


def test_i21_p05_a_hidden_document_is_not_in_the_zip() -> None:
    case, _referral, document = _file()
    dpo = factories.make_user(Role.DPO)
    subject = access_export.subject_file("case", case.pk)
    decisions = dict.fromkeys(subject.review_keys, "release")
    decisions[f"cases.caseattachment:{document.pk}:content"] = "redact"
    archive = access_export.access_export(actor=dpo, kind="case", subject_id=case.pk, decisions=decisions, reason="R")
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert not any(name.startswith("documents/") for name in names)


def test_i21_p05_dpo_journey_open_review_download(signed_in: Any) -> None:
    case, _referral, _document = _file()
    coordinator = factories.make_user(Role.COORDINATOR)
    signed_in(coordinator).get(reverse("cases:case_detail", kwargs={"case_id": case.pk}))
    dpo = factories.make_user(Role.DPO)
    client = signed_in(dpo)
    # The DPO still has no routine reading of the case.
    assert client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk})).status_code == 404
    opened = _open(client, dpo, case.reference.lower())
    review_url = reverse("privacy:access_review", kwargs={"subject_kind": "case", "subject_id": case.pk})
    assert opened.status_code == 302
    assert opened["Location"] == review_url
    page = client.get(review_url)
    assert page.status_code == 200
    assert RELATIVE in page.content.decode()
    assert TRAFFICKER in page.content.decode()
    url = reverse("privacy:access_download", kwargs={"subject_kind": "case", "subject_id": case.pk})
    missing = client.post(url, {})
    assert missing.status_code == 400
    assert all(missing.context["form"].errors.get(name) for name in _decisions(page))
    response = client.post(url, _decisions(page))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read(f"{case.reference}.json"))
    viewers = {v["user"] for v in data["viewed_by"]}
    assert coordinator.full_name in viewers
    assert dpo.full_name in viewers
    views = AuditEvent.objects.filter(action="view", object_id=str(case.pk), actor_id=str(dpo.pk))
    assert [sorted(v.field_names) for v in views.order_by("seq")] == [
        ["privacy_access", "reason"],
        ["privacy_review", "reason"],
    ]


def test_i21_p08_wrong_code_opens_nothing_and_is_audited(signed_in: Any) -> None:
    case, _referral, _document = _file()
    dpo = factories.make_user(Role.DPO)
    client = signed_in(dpo)
    refused = _open(client, dpo, case.reference, code=_wrong(dpo))
    assert refused.status_code == 400
    assert "code" in refused.context["form"].errors
    assert AuditEvent.objects.filter(
        action="denied", object_id=str(case.pk), outcome="denied", fields__contains="step_up"
    ).exists()
    assert AuditEvent.objects.filter(action="second_factor_failed", actor_id=str(dpo.pk)).exists()
    assert not AuditEvent.objects.filter(action="view", object_id=str(case.pk)).exists()
    review = client.get(reverse("privacy:access_review", kwargs={"subject_kind": "case", "subject_id": case.pk}))
    assert review.status_code == 302  # nothing opened: back to the request form
    download = client.post(
        reverse("privacy:access_download", kwargs={"subject_kind": "case", "subject_id": case.pk}), {}
    )
    assert download.status_code == 302
    assert not AuditEvent.objects.filter(action="export").exists()


def test_i21_p08_missing_code_and_unknown_number_give_a_clear_message(signed_in: Any) -> None:
    case, _referral, _document = _file()
    dpo = factories.make_user(Role.DPO)
    client = signed_in(dpo)
    no_code = client.post(reverse("privacy:access_request"), {"reference": case.reference, "reason": "Request 3/3"})
    assert no_code.status_code == 400
    assert no_code.context["form"].errors["code"]
    unknown = _open(client, dpo, "CARE-1999-999")
    assert unknown.status_code == 400
    assert unknown.context["form"].errors["reference"]
    assert not AuditEvent.objects.filter(action="view", object_id=str(case.pk)).exists()


def test_i21_p08_an_old_second_factor_is_asked_again_before_the_download(signed_in: Any) -> None:
    case, _referral, _document = _file()
    dpo = factories.make_user(Role.DPO)
    client = signed_in(dpo)
    _open(client, dpo, case.reference)
    session = client.session
    grants = session[access_export.SESSION_KEY]
    for entry in grants.values():
        entry["at"] -= access_export.STEP_UP_SECONDS + 1
    session[access_export.SESSION_KEY] = grants
    session.save()
    page = client.get(reverse("privacy:access_review", kwargs={"subject_kind": "case", "subject_id": case.pk}))
    assert "code" in page.context["form"].fields
    url = reverse("privacy:access_download", kwargs={"subject_kind": "case", "subject_id": case.pk})
    refused = client.post(url, {**_decisions(page), "code": _wrong(dpo)})
    assert refused.status_code == 400
    assert not AuditEvent.objects.filter(action="export").exists()
    TOTPDevice.objects.filter(user=dpo).update(throttling_failure_timestamp=None, throttling_failure_count=0)
    ok = client.post(url, {**_decisions(page), "code": factories.totp_code(dpo, offset_steps=1)})
    assert ok.status_code == 200
    assert ok["Content-Type"] == "application/zip"


def test_i21_p05_erased_file_is_refused_with_the_reason(signed_in: Any) -> None:
    case, _referral, _document = _file()
    case_services.case_erase(actor=None, case=case)
    dpo = factories.make_user(Role.DPO)
    refused = _open(signed_in(dpo), dpo, case.reference)
    assert refused.status_code == 400
    assert "effacé" in " ".join(refused.context["form"].errors["reference"])  # the page speaks French


def test_i21_p05_referral_without_case_is_exported() -> None:
    referral = factories.make_referral(organisation=factories.shared_organisation())
    dpo = factories.make_user(Role.DPO)
    subject = access_export.subject_file("referral", referral.pk)
    assert subject.case is None
    assert subject.records[0].model == "referrals.referral"
    decisions = dict.fromkeys(subject.review_keys, "release")
    archive = access_export.access_export(
        actor=dpo, kind="referral", subject_id=referral.pk, decisions=decisions, reason="R"
    )
    assert f"{referral.reference}.json" in zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert AuditEvent.objects.filter(action="export", object_id=str(referral.pk)).exists()
