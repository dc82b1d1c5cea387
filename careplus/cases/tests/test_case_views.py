"""Case pages: office isolation, documents, bad input, stale edits."""

from __future__ import annotations

import html
import io
from collections.abc import Callable

import pytest
from PIL import Image

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.cases import services
from careplus.cases.models import CaseAttachment, CaseNote, Opportunity, RestrictedView, RiskAssessment
from careplus.core import locking
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (32, 24), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "FictiveCam"  # make
    gps = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 8.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_nepal_caseworker_gets_404_on_every_page_of_a_cameroon_case(signed_in: SignedIn) -> None:
    cameroon = factories.make_case(office=factories.make_office("CMR", country="CM"))
    author = factories.system_user()
    note = services.note_add(actor=author, case=cameroon, body="Confidentiel")
    attachment = services.attachment_add(
        actor=author, case=cameroon, filename="a.pdf", content=b"%PDF-1.4", content_type="application/pdf"
    )
    nepal_worker = factories.make_user(Role.CASEWORKER, office=factories.make_office("NPL"))
    client = signed_in(nepal_worker)
    kwargs = {"case_id": cameroon.pk}
    assert client.get(reverse("cases:case_detail", kwargs=kwargs)).status_code == 404
    assert (
        client.get(reverse("cases:attachment_download", kwargs={**kwargs, "attachment_id": attachment.pk})).status_code
        == 404
    )
    assert client.post(reverse("cases:note_add", kwargs=kwargs), {"body": "intrusion"}).status_code == 404
    assert client.get(reverse("cases:case_section", kwargs={**kwargs, "section": "risque"})).status_code == 404
    assert CaseNote.objects.filter(case=cameroon).count() == 1
    assert note.pk


def test_renamed_executable_is_refused(coordinator: User, signed_in: SignedIn) -> None:
    case = factories.make_case()
    client = signed_in(coordinator)
    fake = SimpleUploadedFile("rapport.pdf", b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")
    response = client.post(reverse("cases:attachment_add", kwargs={"case_id": case.pk}), {"document": fake})
    assert response.status_code == 400
    assert "Seuls les documents PDF, JPEG et PNG sont acceptés." in response.content.decode()
    mismatch = SimpleUploadedFile("photo.pdf", _jpeg_with_gps(), content_type="application/pdf")
    response = client.post(reverse("cases:attachment_add", kwargs={"case_id": case.pk}), {"document": mismatch})
    assert "ne correspond pas à son extension" in response.content.decode()
    assert not CaseAttachment.objects.filter(case=case).exists()


def test_jpeg_gps_tags_are_gone_after_upload_and_download_is_safe(coordinator: User, signed_in: SignedIn) -> None:
    case = factories.make_case()
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)
    client = signed_in(coordinator)
    upload = SimpleUploadedFile("../../etc/photo.jpg", original, content_type="image/jpeg")
    client.post(reverse("cases:attachment_add", kwargs={"case_id": case.pk}), {"document": upload})
    attachment = CaseAttachment.objects.get(case=case)
    response = client.get(
        reverse("cases:attachment_download", kwargs={"case_id": case.pk, "attachment_id": attachment.pk})
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="photo.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    stored = Image.open(io.BytesIO(response.content))
    assert dict(stored.getexif()) == {}
    assert b"FictiveCam" not in response.content


@pytest.mark.parametrize(
    ("url_name", "data", "message"),
    [
        (
            "opportunity_add",
            {"kind": "iga", "description": "", "verified_on": "2018-05-01"},
            "Ce champ est obligatoire.",
        ),
        (
            "opportunity_add",
            {"kind": "iga", "description": "x", "verified_on": "2999-01-01"},
            "ne peut pas être dans le futur",
        ),
        (
            "opportunity_add",
            {"kind": "nope", "description": "x", "verified_on": "2018-05-01"},
            "Sélectionnez un choix valide",
        ),
        ("consent_add", {"scope": "share_return_office", "given_on": "pas une date"}, "Saisissez une date valide."),
        ("note_add", {"body": "x" * 2001}, "au plus 2000 caractères"),
        ("note_add", {"body": ""}, "Ce champ est obligatoire."),
    ],
)
def test_bad_input_gets_a_field_message_and_changes_nothing(
    coordinator: User, signed_in: SignedIn, url_name: str, data: dict[str, str], message: str
) -> None:
    case = factories.make_case(shared=False)
    response = signed_in(coordinator).post(reverse(f"cases:{url_name}", kwargs={"case_id": case.pk}), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    part = {"opportunity_add": "Opportunités", "consent_add": "Consentements et bureau", "note_add": "Notes"}[url_name]
    assert f'aria-current="page">{part}</a>' in response.content.decode()  # the form is shown again on its part
    assert not Opportunity.objects.filter(case=case).exists()
    assert not CaseNote.objects.filter(case=case).exists()
    assert not case.consents.exists()


def test_section_form_bad_input_and_stale_save(coordinator: User, signed_in: SignedIn) -> None:
    case = factories.make_case()
    client = signed_in(coordinator)
    url = reverse("cases:case_section", kwargs={"case_id": case.pk, "section": "risque"})
    page = client.get(url).content.decode()
    assert "Nouvelle traite" in page
    bad = client.post(url, {"overall": "extreme", "mitigation": ""})
    assert bad.status_code == 400
    assert "Sélectionnez un choix valide" in bad.content.decode()
    assert not RiskAssessment.objects.filter(case=case).exists()
    factors = {
        f"factor_{name}": "low"
        for name in [
            "re_trafficking",
            "network_threats",
            "family_involvement",
            "debts",
            "stigma",
            "health",
            "area_security",
        ]
    }
    client.post(url, {**factors, "overall": "low", "mitigation": "Première version"})
    stored = RiskAssessment.objects.get(case=case)
    client.post(url, {**factors, "overall": "low", "mitigation": "Par A", "version": stored.version})
    stale = client.post(url, {**factors, "overall": "low", "mitigation": "Par B", "version": stored.version})
    assert stale.status_code == 409  # issue 20 point 4: a conflict, shown with both values
    with translation.override("fr"):
        said = html.escape(str(locking.SAVED_MEANWHILE))  # the one wording of a stale edit (issue 22)
    assert said in stale.content.decode()
    stored = RiskAssessment.objects.get(case=case)
    stored.case = case
    assert stored.mitigation == "Par A"


def test_p02_restricted_case_asks_the_reason_once_per_session_and_keeps_it_with_every_read(
    coordinator: User, signed_in: SignedIn
) -> None:
    case = factories.make_case()
    services.restriction_set(actor=coordinator, case=case, restricted=True, users=[], expected_version=case.version)
    services.note_add(actor=coordinator, case=case, body="Audience le 12 mars")
    client = signed_in(coordinator)
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    reason_url = reverse("cases:case_reason", kwargs={"case_id": case.pk})
    first = client.get(url, {"onglet": "notes"}).content.decode()
    assert "Pourquoi ouvrez-vous ce dossier restreint" in first
    assert "Gurung" not in first
    assert "Audience le 12 mars" not in first
    too_short = client.post(reason_url, {"reason": "x", "next": f"{url}?onglet=notes"})
    assert too_short.status_code == 400
    assert RestrictedView.objects.count() == 0
    # Given once, the reason sends the user back to the page asked (never elsewhere) ...
    given = client.post(reason_url, {"reason": "Préparation de l'audience", "next": f"{url}?onglet=notes"})
    assert given.status_code == 302
    assert given["Location"] == f"{url}?onglet=notes"
    assert "Audience le 12 mars" in client.get(url, {"onglet": "notes"}).content.decode()
    # ... and is not asked again for the other pages of this file in this session.
    assert "Gurung" in client.get(url).content.decode()
    plan = client.get(reverse("cases:case_plan", kwargs={"case_id": case.pk})).content.decode()
    assert "Maya" in plan
    reasons = [view.reason for view in RestrictedView.objects.filter(case=case).order_by("at")]
    assert reasons == ["Préparation de l'audience"] * 3
    parts = [e.field_names for e in AuditEvent.objects.filter(action="view", object_id=str(case.pk)).order_by("seq")]
    assert parts == [["notes", "reason"], ["reason", "summary"], ["departure_plan", "reason"]]
    # A next outside this file is not followed.
    away = client.post(reason_url, {"reason": "Relecture du dossier", "next": "https://evil.example/x"})
    assert away["Location"] == url
    # Sign-out forgets the reason.
    client.post(reverse("accounts:logout"))
    factories.sign_in(client, coordinator)
    assert "Pourquoi ouvrez-vous" in client.get(url).content.decode()


def test_caseworker_acknowledges_the_handover(signed_in: SignedIn) -> None:
    office = factories.make_office("NPL")
    case = factories.make_case(office=office)
    coordinator = factories.make_user(Role.COORDINATOR)
    handover = services.handover_send(actor=coordinator, case=case, office=office, expected_version=case.version)
    worker = factories.make_user(Role.CASEWORKER, office=office)
    client = signed_in(worker)
    home = client.get("/").content.decode()
    assert case.reference in home
    client.post(reverse("cases:handover_acknowledge", kwargs={"case_id": case.pk, "handover_id": handover.pk}))
    handover.refresh_from_db()
    assert handover.acknowledged_by == worker
    assert case.reference not in client.get("/").content.decode()
    assert timezone.localdate() <= handover.due_on


def test_p18_a_document_of_another_file_answers_404_and_the_denial_is_audited(
    coordinator: User, signed_in: SignedIn
) -> None:
    mine, theirs = factories.make_case(), factories.make_case(family_name="Autre")
    document = services.attachment_add(
        actor=coordinator, case=theirs, filename="passeport.pdf", content=b"%PDF-1.4", content_type="application/pdf"
    )
    client = signed_in(coordinator)
    url = reverse("cases:attachment_download", kwargs={"case_id": mine.pk, "attachment_id": document.pk})
    assert client.get(url).status_code == 404
    denied = AuditEvent.objects.filter(action="denied").get()
    assert (denied.object_type, denied.object_id, denied.outcome) == (
        "cases.caseattachment",
        str(document.pk),
        "denied",
    )
    assert denied.actor_id == str(coordinator.pk)
    own = reverse("cases:attachment_download", kwargs={"case_id": theirs.pk, "attachment_id": document.pk})
    assert client.get(own).status_code == 200
