"""Issue 20, points 1 and 17: one check of person and organisation text on every door.

The same hostile values go through every form, public form, sheet import and API that takes person or
organisation text. Each door answers a field-level error (nothing written) or stores the value as typed;
every export then neutralises formula-looking values. The list of doors is explicit, and checked
against the forms found by introspection so that a new form with a name field is not missed.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from typing import Any

import pytest

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

import careplus
from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.core.exports import csv_rows, safe_cell
from careplus.core.text import clean_person_text, validate_narrative_text, validate_person_text
from careplus.referrals.forms import ReferralForm
from careplus.referrals.models import Referral
from careplus.trainings import sheets
from careplus.trainings.models import Participation, Professional, TrainingSession
from tests import factories
from tests.api.helpers import api_client, referral_body

SignedIn = Callable[[User], Client]

# Stored as typed, neutralised on every export (a telephone starts with "+", a lone "-" means none).
STORED = {
    "formula": '=HYPERLINK("http://evil.example","x")',
    "plus": "+1",
    "at": "@SUM(A1)",
    "dash": "-",
}
# Refused with a field-level message.
REFUSED = {
    "escape": ("Ana\x1b[31m", "U+001B"),
    "bidi": ("\u202eabc", "U+202E"),
    "long": ("x" * 10_000, "au plus"),
    "empty": ("", "obligatoire"),
    "blank": ("   ", "obligatoire"),
}
# The two refused by the text check itself, whatever the field's length or requirement.
UNSAFE = {"escape": "Ana\x1b[31m", "bidi": "\u202eabc", "nul": "a\x00b", "c1": "a\x85b", "lrm": "a\u200eb"}

# Every form that takes person or organisation text, and the door(s) it is reached by.
DOORS: dict[str, str] = {
    "careplus.accounts.forms.UserCreateForm": "user creation page",
    "careplus.accounts.forms.ApiTokenForm": "API token page",
    "careplus.referrals.forms.ReferralForm": "referral page (partners, coordinators) and referral API",
    "careplus.referrals.forms.DecisionForm": "referral decision page",
    "careplus.trainings.forms.SessionForm": "training session page and API",
    "careplus.trainings.forms.RegistrationForm": "public registration form",
    "careplus.programmes.forms.ProgrammeForm": "programme page",
    "careplus.cases.forms.DeparturePlanForm": "departure plan page",
    "careplus.cases.forms.CoordinationPlanForm": "coordination plan page",
    "careplus.cases.forms.IdentityForm": "identity correction page (GDPR art. 16)",
    "careplus.returns.forms.DepartureForm": "departure page",
    "careplus.returns.forms.PlanItemForm": "reintegration plan page and API",
}
# Doors that are not form classes: the attendance sheet (CSV/XLSX) and the participants API both go
# through sheets.check_rows, tested below.
PERSON_FIELD = re.compile(
    r"(^|_)(names?|organisation|position|funders?|provider|trainers|escort|alias)$|^redirected_to$"
)


def _form_classes() -> list[type[forms.Form]]:
    found: list[type[forms.Form]] = []
    for module_info in pkgutil.iter_modules(careplus.__path__):
        try:
            module = importlib.import_module(f"careplus.{module_info.name}.forms")
        except ModuleNotFoundError:
            continue
        found.extend(
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, forms.Form) and value.__module__ == module.__name__
        )
    return found


def _person_fields(form_class: type[forms.Form]) -> dict[str, forms.CharField]:
    return {
        name: field
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.CharField)
        and not isinstance(field.widget, forms.HiddenInput | forms.PasswordInput)
        and PERSON_FIELD.search(name)
    }


def _doors() -> list[tuple[str, str, forms.CharField]]:
    doors = []
    for form_class in _form_classes():
        for name, field in _person_fields(form_class).items():
            doors.append((f"{form_class.__module__}.{form_class.__name__}", name, field))
    return doors


def test_i20_p01_the_list_of_doors_covers_every_form_with_person_or_organisation_text() -> None:
    found = {path for path, _name, _field in _doors()}
    assert found, "introspection found no form"
    assert found == set(DOORS), f"forms with person text not in DOORS: {found - set(DOORS)}; gone: {set(DOORS) - found}"
    for path, name, field in _doors():
        checks = [v for v in field.validators if v in (validate_person_text, validate_narrative_text)]
        assert checks, f"{path}.{name} is not checked by careplus.core.text"


@pytest.mark.parametrize(("path", "name", "field"), _doors(), ids=lambda v: v if isinstance(v, str) else "")
def test_i20_p01_every_form_field_refuses_control_and_bidi_and_keeps_formula_text(
    path: str, name: str, field: forms.CharField
) -> None:
    for value in UNSAFE.values():
        with pytest.raises(ValidationError):
            field.clean(value)
    for value in STORED.values():
        assert field.clean(value) == value
        assert field.clean(f"  {value} ") == value
    with pytest.raises(ValidationError):
        field.clean("x" * 10_000)
    if field.required:
        for value in ("", "   "):
            with pytest.raises(ValidationError):
                field.clean(value)


def test_i20_p01_the_validator_names_the_character() -> None:
    with pytest.raises(ValidationError) as bidi:
        clean_person_text("\u202eexe.pdf")
    assert "U+202E" in bidi.value.messages[0]
    with pytest.raises(ValidationError) as escape:
        clean_person_text("Ana\x1b[31m")
    assert "U+001B" in escape.value.messages[0]
    with pytest.raises(ValidationError):
        clean_person_text("two\nlines")
    assert clean_person_text("two\r\nlines\tok", multiline=True) == "two\r\nlines\tok"
    with pytest.raises(ValidationError):
        clean_person_text("a\u2067b", multiline=True)
    assert clean_person_text("  Ngozi Ọkọnkwọ  ") == "Ngozi Ọkọnkwọ"
    assert clean_person_text("राम शर्मा") == "राम शर्मा"
    assert clean_person_text("محمد") == "محمد"


def test_i20_p01_every_export_neutralises_stored_formula_text_but_not_a_lone_dash() -> None:
    for key, value in STORED.items():
        cell = safe_cell(value)
        if key == "dash":
            assert cell == "-"
        else:
            assert cell == "'" + value
    text = "".join(csv_rows(["name"], [[value] for value in STORED.values()]))
    lines = text.lstrip("\ufeff").splitlines()[1:]
    assert [line.strip('"').replace('""', '"') for line in lines] == [
        '\'=HYPERLINK("http://evil.example","x")',
        "'+1",
        "'@SUM(A1)",
        "-",
    ]


# --- request-level doors -------------------------------------------------------------------------


@pytest.mark.django_db
def test_i20_p01_public_registration_form(client: Client) -> None:
    session = factories.make_training(capacity=100)
    url = reverse("trainings:registration", kwargs={"token": session.registration_token})
    base = {"email": "", "organisation": "Commissariat", "organisation_type": "police", "full_name": "Inès Roy"}
    for field in ("full_name", "organisation"):
        for key, (value, message) in REFUSED.items():
            cache.clear()  # the public form's burst limit is not what is tested here
            before = (Participation.objects.count(), Professional.objects.count())
            response = client.post(url, {**base, field: value, "email": f"{field}-{key}@example.test"})
            assert response.status_code == 400, (field, key)
            assert message in response.content.decode(), (field, key)
            assert (Participation.objects.count(), Professional.objects.count()) == before
        for key, value in STORED.items():
            cache.clear()
            email = f"{field}-{key}@example.test"
            response = client.post(url, {**base, field: value, "email": email})
            assert response.status_code == 200, (field, key)
            assert getattr(Professional.objects.get(email=email), field) == value


@pytest.mark.django_db
def test_i20_p01_referral_page_and_api(signed_in: SignedIn) -> None:
    from careplus.referrals.tests.test_views import form_data

    factories.make_programme()
    partner = factories.make_user(Role.PARTNER, organisation=factories.make_organisation("Association A"))
    page = signed_in(partner)
    api = api_client(partner, language="fr")
    url = reverse("referrals:referral_create")
    for field in ("family_name", "given_names", "referrer_name", "city"):
        for key, (value, message) in REFUSED.items():
            before = Referral.objects.count()
            response = page.post(url, form_data(**{field: value}))
            assert response.status_code == 400, (field, key)
            assert message in response.content.decode(), (field, key)
            answer = api.post("/api/v1/referrals/", referral_body(**{field: value}), format="json")
            assert answer.status_code == 400, (field, key)
            assert field in answer.json()["extra"]["fields"], (field, key)
            assert Referral.objects.count() == before
    for key, value in STORED.items():
        response = page.post(url, form_data(family_name=value, confirm_duplicate="on"))
        assert response.status_code == 302, key
        answer = api.post("/api/v1/referrals/", referral_body(family_name=value, confirm_duplicate=True), format="json")
        assert answer.status_code == 201, key
    assert sorted(r.family_name for r in Referral.objects.all()) == sorted([*STORED.values()] * 2)


def _import_post(values: dict[str, str]) -> dict[str, str]:
    post = {"commit": "1", "rows": "1", "r0-number": "2", "r0-position": ""}
    post.update({f"r0-{k}": v for k, v in values.items()})
    return post


@pytest.mark.django_db
def test_i20_p01_sheet_import_page_and_participants_api(signed_in: SignedIn) -> None:
    trainer = factories.make_user(Role.TRAINER)
    session: TrainingSession = factories.make_training(capacity=200)
    page = signed_in(trainer)
    api = api_client(trainer, language="fr")
    url = reverse("trainings:import_sheet", kwargs={"session_id": session.pk})
    api_url = f"/api/v1/trainings/{session.pk}/participants/"
    base = {"full_name": "Camille", "organisation": "Gendarmerie", "organisation_type": "gendarmerie"}
    refused_messages = {
        "escape": "U+001B",
        "bidi": "U+202E",
        "long": "",  # the field's own limit (sheets.max_lengths), below
        "empty": "manquant",
        "blank": "manquant",
    }
    for field in ("full_name", "organisation"):
        for key, (value, _message) in REFUSED.items():
            before = Participation.objects.count()
            row = {**base, field: value, "email": f"{field}-{key}@example.test"}
            response = page.post(url, _import_post(row))
            assert response.status_code == 400, (field, key)
            page_text = response.content.decode()
            if key == "long":  # the field's own limit; French once the translations are compiled
                limit = sheets.max_lengths()[field]
                assert f"plus de {limit} caractères" in page_text or f"more than {limit} characters" in page_text
            else:
                assert refused_messages[key] in page_text, (field, key)
            answer = api.post(api_url, {"participants": [row]}, format="json")
            assert answer.status_code == 400, (field, key)
            assert Participation.objects.count() == before
        for key, value in STORED.items():
            row = {**base, field: value, "email": f"{field}-{key}@example.test"}
            assert page.post(url, _import_post(row)).status_code == 302, (field, key)
            api_row = {**row, "email": f"api-{field}-{key}@example.test"}
            assert api.post(api_url, {"participants": [api_row]}, format="json").status_code == 201, (field, key)
            for email in (row["email"], api_row["email"]):
                assert getattr(Professional.objects.get(email=email), field) == value


def test_i20_p01_a_csv_sheet_with_formula_text_and_a_dash_is_read_as_typed() -> None:
    header = "nom;courriel;organisation;type;fonction\n"
    text = header + (
        '"=HYPERLINK(""x"")";a@example.test;+33 Assoc;Police;-\n'
        "Ana\x1b[31m;b@example.test;PAF;PAF;\n"
        "Zoé;c@example.test;\u202eOFII;OFII; \n"
    )
    rows = sheets.check_rows(sheets.read_sheet("s.csv", text.encode()), already_registered=set())
    assert rows[0].errors == []
    assert rows[0].values["full_name"] == '=HYPERLINK("x")'
    assert rows[0].values["position"] == "-"
    assert len(rows[1].errors) == 1
    assert rows[1].errors[0].startswith("Nom complet")
    assert "U+001B" in rows[1].errors[0]
    assert len(rows[2].errors) == 1
    assert rows[2].errors[0].startswith("Organisation")
    assert "U+202E" in rows[2].errors[0]


@pytest.mark.django_db
def test_i20_p01_session_api(signed_in: SignedIn) -> None:
    factories.make_programme()
    trainer = api_client(factories.make_user(Role.TRAINER), language="fr")
    body = {"title": "Identifier", "city": "Lyon", "venue": "Salle", "held_on": "2018-06-05", "capacity": 10}
    body["modules"] = ["I"]
    for field in ("city", "venue", "trainers"):
        for key, value in UNSAFE.items():
            before = TrainingSession.objects.count()
            answer = trainer.post("/api/v1/trainings/", {**body, field: value}, format="json")
            assert answer.status_code == 400, (field, key)
            assert field in answer.json()["extra"]["fields"], (field, key)
            assert TrainingSession.objects.count() == before


# --- point 17: codes are trimmed before they are checked ----------------------------------------------


@pytest.mark.django_db
def test_i20_p17_a_departement_typed_with_spaces_is_accepted(signed_in: SignedIn) -> None:
    from careplus.referrals.tests.test_views import form_data

    factories.make_programme()
    partner = factories.make_user(Role.PARTNER, organisation=factories.make_organisation("Association A"))
    response = signed_in(partner).post(reverse("referrals:referral_create"), form_data(departement="973 "))
    assert response.status_code == 302
    assert Referral.objects.get().departement == "973"
    answer = api_client(partner).post("/api/v1/referrals/", referral_body(departement=" 2a "), format="json")
    assert answer.status_code == 201, answer.json()
    assert Referral.objects.get(pk=answer.json()["id"]).departement == "2A"


def test_i20_p17_form_codes_are_trimmed() -> None:
    organisations = factories_organisations()
    form = ReferralForm({"departement": " 69\t"}, organisations=organisations, coordinator=True)
    form.is_valid()
    assert "departement" not in form.errors
    from careplus.returns.forms import PlanItemForm

    assert PlanItemForm.base_fields["local_currency"].clean(" NPR ") == "NPR"


def factories_organisations() -> Any:
    from careplus.accounts.models import Organisation

    return Organisation.objects.none()


def test_a_row_given_again_is_written_again_and_still_made_safe() -> None:
    """The anonymised dataset yields each group's row once per case, as one object: every line is written."""
    repeated = ("=cmd", "x;y", 1)
    other = ["-", "plain", 2]
    text = "".join(csv_rows(["a", "b", "c"], [repeated, repeated, other, repeated], batch=2))
    lines = text.lstrip("\ufeff").splitlines()
    assert lines == ["a,b,c", "'=cmd,x;y,1", "'=cmd,x;y,1", "-,plain,2", "'=cmd,x;y,1"]
