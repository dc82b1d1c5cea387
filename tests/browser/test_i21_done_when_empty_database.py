"""Issue 21, "Done when": from an empty database to an erased file, through the real pages.

`manage.py setup` creates the DPO and a coordinator. The DPO follows the invitation link,
chooses a password, enrols an authenticator (reading the key on the page, as a phone would),
opens an office in Dakar and a partner organisation, invites a second coordinator, a Dakar
caseworker and a partner user. The coordinator creates the programme and approves new
eligibility parameters drafted by the second coordinator; the partner refers a person; the
coordinator screens and accepts; the DPO produces the access export, asks for the erasure,
the coordinator approves it with a fresh code and the file's personal data is destroyed.

The people invited besides the DPO accept their invitation through the services the pages
call (password, then authenticator enrolment), to keep the journey short. Every main screen
is screenshotted to test-artifacts/i21-done-NN-*.png and checked with axe-core.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import os
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from careplus.access.policy import roles_of
from careplus.access.roles import Role
from careplus.accounts import services
from careplus.accounts.models import Office, Organisation, RoleGrant, User
from careplus.audit.services import verify_chain
from careplus.cases.models import Case
from careplus.core import crypto, instruments
from careplus.core.fields import ERASED
from careplus.core.models import Instrument
from careplus.privacy.models import ErasureRequest, ErasureStatus
from careplus.programmes.models import Programme
from careplus.referrals.choices import ReferralStatus
from careplus.referrals.models import Referral
from tests import factories
from tests.browser.helpers import serious_accessibility_violations

pytestmark = pytest.mark.django_db(transaction=True)

NAME = re.compile(r"^Nom\W*$")  # not "Nom complet", "Nom de famille"
CODE = re.compile(r"^Code\W*$")  # not "Code d'authentification"
DPO_EMAIL = "delphine.morel@example.test"
COORDINATOR_EMAIL = "claire.petit@example.test"
SECOND_COORDINATOR_EMAIL = "moussa.diop@example.test"
CASEWORKER_EMAIL = "awa.ndiaye@example.test"
PARTNER_EMAIL = "paul.girard@example.test"
DPO_PASSWORD = "Delphine-Choisit-Un-Mot-42"
# Words of the English interface that must not show on a French screen.
ENGLISH = (
    "Sign out",
    "Save",
    "Cancel",
    "Search",
    "Invite",
    "Approve",
    "Request",
    "Referral",
    "Erasure",
    "Case file",
    "saved",
    "Country",
    "Senegal",
    "This field",
    "Offices",
    "Users",
    "Draft",
    "Status",
    "Enter",
)


class Journey:
    """Screenshots numbered in order; an accessibility and English-leftover check at each screen."""

    def __init__(self, artifacts: Path) -> None:
        self.artifacts = artifacts
        self.number = 0
        self.english: list[str] = []

    def screen(self, page: Page, name: str) -> None:
        self.number += 1
        assert serious_accessibility_violations(page) == [], name
        page.screenshot(path=str(self.artifacts / f"i21-done-{self.number:02d}-{name}.png"), full_page=True)
        assert page.locator("html").get_attribute("lang") == "fr", name
        text = page.locator("body").inner_text()
        self.english += [f"{name}: {word!r}" for word in ENGLISH if re.search(rf"\b{re.escape(word)}\b", text)]


def invitation_path(email: str) -> str:
    """The path of the link to choose a password, from the last invitation sent to the address."""
    message = [m for m in mail.outbox if m.to == [email]][-1]
    link = next(line for line in message.body.split() if "/mot-de-passe/nouveau/" in line)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def code_from_key(key: bytes, *, step: int = 30, digits: int = 6) -> str:
    return f"{TOTP(key, step, 0, digits, 0).token():0{digits}d}"


def next_code(user: User) -> str:
    """A fresh authenticator code: one step after the last accepted one (the device follows the drift)."""
    return factories.totp_code(user, offset_steps=1)


def accept_invitation_by_services(email: str) -> User:
    """What the invitation link and the first sign-in do: a password, then a confirmed authenticator."""
    user = User.objects.get(email=email)
    assert not user.has_usable_password()
    user.set_password(factories.PASSWORD)
    user.save(update_fields=["password"])
    device = services.totp_device_for_enrolment(user=user)
    assert services.totp_confirm(user=user, device=device, token=code_from_key(device.bin_key))
    return user


def sign_in(page: Page, base: str, user: User) -> None:
    page.goto(base + "/")
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Code").fill(next_code(user))
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bonjour")


def test_i21_done_when_from_an_empty_database_to_an_erased_file(
    new_page: Callable[[], Page], live_server: object, artifacts: Path
) -> None:
    base = str(live_server)
    journey = Journey(artifacts)
    today = timezone.localdate()
    # Only what the migrations load: no account, office, organisation, programme or file.
    assert not User.objects.exists()
    assert not Office.objects.exists()
    assert not Organisation.objects.exists()
    assert not Programme.objects.exists()
    assert not Case.objects.exists()
    in_force = instruments.current("eligibility")
    assert in_force is not None

    # 1. manage.py setup, with no prompt.
    with open(os.devnull, "w") as devnull:
        call_command(
            "setup",
            "--no-input",
            "--dpo-email",
            DPO_EMAIL,
            "--dpo-name",
            "Delphine Morel",
            "--coordinator-email",
            COORDINATOR_EMAIL,
            "--coordinator-name",
            "Claire Petit",
            stdout=devnull,
        )
    assert roles_of(User.objects.get(email=DPO_EMAIL)) == {Role.DPO}
    assert roles_of(User.objects.get(email=COORDINATOR_EMAIL)) == {Role.COORDINATOR}

    # 2. The DPO follows the invitation link, chooses a password, signs in and enrols TOTP.
    d = new_page()
    d.goto(base + invitation_path(DPO_EMAIL))
    expect(d.get_by_role("heading", level=1)).to_have_text("Choisir un mot de passe")
    d.locator("#id_new_password1").fill(DPO_PASSWORD)
    d.locator("#id_new_password2").fill(DPO_PASSWORD)
    journey.screen(d, "choose-password")
    d.locator("main form button[type=submit]").click()
    expect(d).to_have_url(re.compile(r"/mot-de-passe/nouveau/fait/$"))
    d.goto(base + "/")
    d.get_by_label("Adresse électronique").fill(DPO_EMAIL)
    d.get_by_label("Mot de passe").fill(DPO_PASSWORD)
    d.get_by_role("button", name="Continuer").click()
    expect(d).to_have_url(re.compile(r"/connexion/authentificateur/"))
    secret = d.locator("code.secret").inner_text()
    journey.screen(d, "enrol-authenticator")
    key = base64.b32decode("".join(secret.split()) + "=" * (-len("".join(secret.split())) % 8))
    d.locator("main form input[name=token]").fill(code_from_key(key))
    d.locator("main form button[type=submit]").click()
    expect(d.locator("ul.codes li")).to_have_count(10)
    journey.screen(d, "recovery-codes")
    d.locator("main a.button").click()
    expect(d.get_by_role("heading", level=1)).to_have_text("Bonjour, Delphine")
    journey.screen(d, "dpo-home")
    dpo = User.objects.get(email=DPO_EMAIL)
    assert TOTPDevice.objects.get(user=dpo).confirmed
    menu = d.get_by_role("navigation", name="Menu principal")

    # 3. An office in Dakar.
    menu.get_by_role("link", name="Bureaux").click()
    d.get_by_role("link", name="Nouveau bureau").click()
    d.get_by_label(NAME).fill("Bureau de Dakar")
    d.get_by_label(CODE).fill("DKR")
    d.get_by_label("Pays").select_option(label="Sénégal")
    d.get_by_label("Ville").fill("Dakar")
    d.get_by_label("Fuseau horaire").select_option("Africa/Dakar")
    journey.screen(d, "office-form")
    d.get_by_role("button", name="Créer le bureau").click()
    expect(d.get_by_text("Bureau Bureau de Dakar (DKR) créé.")).to_be_visible()
    menu.get_by_role("link", name="Bureaux").click()
    expect(d.get_by_role("row", name="Bureau de Dakar")).to_contain_text("Sénégal")
    journey.screen(d, "offices")
    dakar = Office.objects.get(code="DKR")
    assert (dakar.country, dakar.city, dakar.time_zone) == ("SN", "Dakar", "Africa/Dakar")

    # 4. A partner organisation, and its user invited from its page (the grant asks for a fresh code).
    menu.get_by_role("link", name="Organisations partenaires").click()
    d.get_by_role("link", name="Nouvelle organisation").click()
    d.get_by_label(NAME).fill("Commissariat de Lyon 7e")
    d.get_by_label(re.compile(r"^Type")).select_option("police")
    d.get_by_label("Département").fill("69")
    journey.screen(d, "organisation-form")
    d.get_by_role("button", name="Créer l’organisation").click()
    expect(d.get_by_role("heading", level=1)).to_have_text("Commissariat de Lyon 7e")
    d.get_by_label("Adresse électronique").fill(PARTNER_EMAIL)
    d.get_by_label("Nom complet").fill("Paul Girard")
    d.get_by_label("Code d'authentification").fill(next_code(dpo))
    d.get_by_role("button", name="Inviter", exact=True).click()
    expect(d.get_by_text("Compte de Paul Girard créé avec le rôle de partenaire")).to_be_visible()
    journey.screen(d, "organisation")
    organisation = Organisation.objects.get(name="Commissariat de Lyon 7e")
    assert RoleGrant.objects.get(user__email=PARTNER_EMAIL).organisation == organisation

    # 5. A second coordinator and a Dakar caseworker, from the user screens.
    for email, full_name, role, office in (
        (SECOND_COORDINATOR_EMAIL, "Moussa Diop", Role.COORDINATOR, None),
        (CASEWORKER_EMAIL, "Awa Ndiaye", Role.CASEWORKER, dakar),
    ):
        menu.get_by_role("link", name="Utilisateurs").click()
        d.get_by_role("link", name="Nouvel utilisateur").click()
        d.get_by_label("Adresse électronique").fill(email)
        d.get_by_label("Nom complet").fill(full_name)
        d.get_by_role("button", name="Créer le compte").click()
        expect(d.get_by_role("heading", level=1)).to_have_text(full_name)
        d.get_by_label("Rôle").select_option(role.value)
        if office is not None:
            d.get_by_label("Bureau").select_option(str(office.pk))
        d.get_by_label("Code d'authentification").fill(next_code(dpo))
        d.get_by_role("button", name="Attribuer", exact=True).click()
        expect(d.get_by_text("Rôle attribué.")).to_be_visible()
    journey.screen(d, "caseworker-granted")
    assert RoleGrant.objects.get(user__email=CASEWORKER_EMAIL).office == dakar
    assert roles_of(User.objects.get(email=SECOND_COORDINATOR_EMAIL)) == {Role.COORDINATOR}
    menu.get_by_role("link", name="Utilisateurs").click()
    for email in (COORDINATOR_EMAIL, SECOND_COORDINATOR_EMAIL, CASEWORKER_EMAIL, PARTNER_EMAIL):
        expect(d.locator("#user-table")).to_contain_text(email)
    journey.screen(d, "users")
    # Each invited person received the link to choose a password.
    for email in (COORDINATOR_EMAIL, SECOND_COORDINATOR_EMAIL, CASEWORKER_EMAIL, PARTNER_EMAIL):
        assert invitation_path(email).startswith("/mot-de-passe/nouveau/")
    coordinator = accept_invitation_by_services(COORDINATOR_EMAIL)
    second_coordinator = accept_invitation_by_services(SECOND_COORDINATOR_EMAIL)
    partner = accept_invitation_by_services(PARTNER_EMAIL)

    # 6. The coordinator creates the programme.
    c = new_page()
    sign_in(c, base, coordinator)
    c.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Programmes").click()
    c.locator("a[href$='/programmes/nouveau/']").first.click()
    c.locator("#id_name").fill("CARE+ Dakar")
    c.locator("#id_funder").fill("Fonds fictif pour le retour")
    c.locator("#id_starts_on").fill(datetime.date(today.year, 1, 1).isoformat())
    c.locator("#id_ends_on").fill(datetime.date(today.year + 3, 12, 31).isoformat())
    c.locator("#id_target_beneficiaries").fill("40")
    c.locator("#id_target_trainings").fill("6")
    c.locator("#id_target_professionals").fill("120")
    c.locator("#id_budget").fill("50 000")
    c.locator("#id_ceiling_per_beneficiary").fill("2 500")
    c.locator("#id_currencies").fill("XOF")
    journey.screen(c, "programme-form")
    c.get_by_role("button", name="Enregistrer").click()
    expect(c.locator(".message--success")).to_contain_text("Programme enregistré")
    journey.screen(c, "programmes")
    programme = Programme.objects.get()
    assert (programme.name, programme.currencies) == ("CARE+ Dakar", ["XOF"])

    # 7. The second coordinator drafts new eligibility parameters; the coordinator approves them.
    s = new_page()
    sign_in(s, base, second_coordinator)
    s.get_by_role("link", name="Instruments").first.click()
    s.locator("form[action$='/instruments/eligibility/brouillon/'] button").click()
    s.locator("a[href$='/modifier/parametres/']").click()
    s.get_by_label("Norvège").check()
    journey.screen(s, "eligibility-edit")
    s.locator("main form button[type=submit]").click()
    expect(s.locator("ul.changes")).to_contain_text("Norvège")
    expect(s.locator("form[action$='/approuver/']")).to_have_count(0)  # not by its author
    draft = Instrument.objects.get(kind="eligibility", status=Instrument.Status.DRAFT)
    c.goto(f"{base}/instruments/versions/{draft.pk}/")
    expect(c.locator("ul.changes")).to_contain_text("Norvège")
    approval = c.locator("form[action$='/approuver/']")
    approval.locator("#id_effective_from").fill(today.isoformat())
    approval.locator("#id_token").fill(next_code(coordinator))
    journey.screen(c, "eligibility-approval")
    approval.locator("button[type=submit]").click()
    expect(c.locator(".message--success")).to_be_visible()
    draft.refresh_from_db()
    assert (draft.status, draft.decided_by) == (Instrument.Status.APPROVED, coordinator)
    assert instruments.current("eligibility") == draft

    # 8. The partner refers a person from the portal.
    p = new_page()
    sign_in(p, base, partner)
    p.get_by_role("link", name="Orientations").first.click()
    p.get_by_role("link", name="Nouvelle orientation").click()
    p.get_by_label("Référent (nom et fonction)").fill("Lieutenant Martin, police judiciaire")
    p.get_by_label("Courriel ou téléphone du référent").fill("martin@example.test")
    p.get_by_label("Prénoms").fill("Aminata")
    p.get_by_label("Nom de famille").fill("Sow")
    p.get_by_label("Date de naissance").fill("1994-03-12")
    p.get_by_label("Sexe").select_option("f")
    p.get_by_label("Nationalité").select_option("SN")
    p.get_by_label("Lieu de résidence en France (commune)").fill("Lyon")
    p.get_by_label("Département").fill("69")
    p.get_by_label("Identification", exact=False).first.select_option("identified")
    p.get_by_label("Identifiée ou repérée par").select_option("police")
    p.get_by_label("Servitude domestique").check()
    p.get_by_role("radio", name="Oui").check()
    p.get_by_label("Pays de retour envisagé").select_option("SN")
    p.get_by_label("La personne consent à être orientée vers le programme.").check()
    p.get_by_label("La personne consent au traitement de ses données.").check()
    p.get_by_label("Date du consentement").fill(today.isoformat())
    journey.screen(p, "referral-form")
    p.get_by_role("button", name="Envoyer l'orientation").click()
    expect(p.locator(".message--success")).to_contain_text("enregistrée")
    referral = Referral.objects.get()
    assert (referral.programme, referral.organisation) == (programme, organisation)
    journey.screen(p, "referral-sent")

    # 9. The coordinator screens and accepts: a case file opens.
    c.goto(f"{base}/orientations/{referral.pk}/")
    expect(c.locator(".rules").first).to_contain_text("Sénégal")
    expect(c.locator(".rules").first.locator(".rule--fail")).to_have_count(0)
    c.get_by_role("link", name="Enregistrer un repérage des indicateurs").first.click()
    c.get_by_label("Violences sur la victime").first.check()
    c.get_by_label("Servitude pour dettes").first.check()
    journey.screen(c, "screening")
    c.get_by_role("button", name="Enregistrer le repérage").click()
    c.get_by_label("Accepter : ouvrir un dossier").check()
    c.get_by_role("button", name="Enregistrer la décision").click()
    expect(c.get_by_text("Décision enregistrée")).to_be_visible()
    journey.screen(c, "referral-accepted")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    case = Case.objects.get()

    # 10. The DPO produces the person's access export.
    d.goto(f"{base}/protection-des-donnees/acces/")
    d.locator("#id_reference").fill(case.reference)
    d.locator("#id_reason").fill("Demande écrite de la personne reçue le 3 mars")
    d.locator("#id_code").fill(next_code(dpo))
    journey.screen(d, "access-request")
    d.locator("form.form button[type=submit]").click()
    expect(d.get_by_role("heading", level=1)).to_contain_text(case.reference)
    journey.screen(d, "access-review")
    releases = d.locator("input[type=radio][value=release]")
    for index in range(releases.count()):
        releases.nth(index).check()
    with d.expect_download() as info:
        d.locator("form.form button[type=submit]").click()
    download = info.value
    assert download.suggested_filename == f"acces-{case.reference}.zip"
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    assert {f"{case.reference}.pdf", f"{case.reference}.json"} <= set(archive.namelist())
    exported = json.loads(archive.read(f"{case.reference}.json").decode())
    assert "Sow" in json.dumps(exported, ensure_ascii=False)
    assert exported["reason"] == "Demande écrite de la personne reçue le 3 mars"

    # 11. The DPO asks for the erasure; the coordinator approves it with a fresh code.
    d.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Demandes d’effacement").click()
    d.get_by_label("Numéro de dossier ou d’orientation").fill(case.reference)
    d.get_by_label("Motif de l’effacement").fill("Demande écrite de la personne reçue le 3 mars.")
    journey.screen(d, "erasure-request")
    d.get_by_role("button", name="Demander l’effacement").click()
    expect(d.get_by_text("Effacement demandé")).to_be_visible()
    expect(d.locator("form[action$='/approuver/']")).to_have_count(0)  # never by the one who asked
    journey.screen(d, "erasure-requested")
    erasure = ErasureRequest.objects.get()
    c.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Demandes d’effacement").click()
    c.get_by_role("link", name=case.reference).click()
    c.locator("form[action$='/approuver/']").get_by_label("Code d'authentification").fill(next_code(coordinator))
    journey.screen(c, "erasure-approval")
    c.locator("form[action$='/approuver/'] button[type=submit]").click()
    expect(c.locator(".message--success")).to_be_visible()
    journey.screen(c, "erasure-done")

    # 12. The file is erased: its personal data can no longer be read, even with fresh keys.
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.ERASED
    crypto.forget_keys()
    erased = Case.objects.get(pk=case.pk)
    assert erased.erased_at is not None
    assert erased.family_name is ERASED
    assert verify_chain().ok  # every step above was written to an intact audit log
    assert journey.english == [], journey.english
