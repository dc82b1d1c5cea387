"""Issue 20, point 5: duplicates across punctuation and scripts, long names searched."""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Callable

import pytest

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.cases.migrations import _name_keys
from careplus.cases.migrations._name_keys import reindex
from careplus.cases.models import Case
from careplus.cases.services import name_index, person_index
from careplus.core import crypto
from careplus.core.models import DataKey
from careplus.referrals import services
from careplus.referrals.models import Referral
from careplus.search.selectors import search
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("spelling", ["Ndiaye", "N Diaye", "N\u2019Diaye", "n-diaye", "N\u02bcDIAYE", "N. Diaye"])
def test_i20_p05_a_name_with_or_without_apostrophe_hyphen_or_space_is_a_possible_duplicate(spelling: str) -> None:
    factories.make_programme()
    organisation = factories.make_organisation()
    first = factories.make_referral(organisation=organisation, given_names="Aminata", family_name="N'Diaye")
    with pytest.raises(services.PossibleDuplicate) as refused:
        factories.make_referral(
            organisation=organisation, given_names="Aminata", family_name=spelling, confirm_duplicate=False
        )
    assert first.reference in str(refused.value)
    assert Referral.objects.count() == 1


def test_i20_p05_devanagari_names_differing_by_a_vowel_sign_are_two_people() -> None:
    factories.make_programme()
    organisation = factories.make_organisation()
    factories.make_referral(organisation=organisation, given_names="सीता", family_name="शर्मा")
    other = factories.make_referral(
        organisation=organisation, given_names="सिता", family_name="शर्मा", confirm_duplicate=False
    )
    assert not other.possible_duplicate
    assert Referral.objects.count() == 2


def test_i20_p05_normalisation_keeps_the_letters_and_marks_of_other_scripts() -> None:
    assert crypto.normalise_for_index("सीता शर्मा") == "सीता शर्मा"
    assert crypto.normalise_for_index("مؤمن  المُهدي") == "مؤمن المهدي"  # the hamza of ؤ is a letter, the damma optional
    assert crypto.normalise_for_index("Йосиф") == "йосиф"  # й is a letter of its own, not и with an accent
    assert crypto.normalise_for_index("Hélène N’Diaye-Sow") == "helene n diaye sow"
    assert crypto.match_key("Hélène N’Diaye-Sow") == "helenendiayesow"


def test_i20_p05_an_arabic_name_is_found_by_its_exact_spelling_only() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="محمود", given_names="أحمد", country="TN")
    factories.make_case(family_name="محمد", given_names="أحمد", country="TN")
    assert [c.pk for c in search(actor=coordinator, query="أحمد محمود").cases] == [case.pk]


def test_i20_p05_search_ignores_punctuation_and_spaces_in_names() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="N'Diaye", given_names="Jean-Marie")
    for query in ("Jean Marie Ndiaye", "ndiaye jeanmarie", "N\u2019DIAYE Jean‐Marie"):
        assert [c.pk for c in search(actor=coordinator, query=query).cases] == [case.pk], query


def test_i20_p05_a_150_character_name_can_be_searched(signed_in: Callable[[User], Client]) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    family, given = "Q" + "u" * 79, "Z" + "a" * 69
    case = factories.make_case(family_name=family, given_names=given)
    query = f"{given} {family}"
    assert len(query) == 151
    response = signed_in(coordinator).post(reverse("search:search"), {"q": query})
    assert response.status_code == 200
    assert case.reference in response.content.decode()


def test_i20_p05_the_migration_recomputes_existing_indexes_as_the_live_code_does() -> None:
    factories.make_programme()
    case = factories.make_case(family_name="N'Diaye", given_names="Aïssatou")
    referral = factories.make_referral(given_names="सीता", family_name="शर्मा")
    Case.objects.filter(pk=case.pk).update(person_index="old", name_index="old")
    Referral.objects.filter(pk=referral.pk).update(person_index="old", name_index="old")
    reindex(apps, "cases", "Case")
    reindex(apps, "referrals", "Referral")
    case.refresh_from_db()
    referral.refresh_from_db()
    assert case.person_index == person_index(
        given_names="Aissatou", family_name="Ndiaye", date_of_birth=case.date_of_birth
    )
    assert case.name_index == name_index(given_names="Aïssatou", family_name="N Diaye")
    assert referral.person_index == person_index(
        given_names="सीता", family_name="शर्मा", date_of_birth=referral.date_of_birth
    )
    assert referral.name_index == name_index(given_names="सीता", family_name="शर्मा")


@pytest.mark.parametrize(
    "spellings",
    [
        ["محمد", "مُحَمَّد", "مـحمد"],  # Arabic harakat (damma, fatha, shadda) and tatweel are optional
        ["أحمد", "احمد"],  # the hamza on alef, commonly left off by typists
        ["إبراهيم", "ابراهيم", "إِبْرَاهِيم"],
        ["דוד", "דָּוִד"],  # Hebrew with and without niqqud
        ["משה", "מֹשֶׁה"],
        ["Μαρία", "ΜΑΡΙΑ", "Μαρια", "μαρία"],  # Greek tonos
        ["Ζωή", "ΖΩΗ", "Ζωη"],
    ],
    ids=[
        "arabic-harakat",
        "arabic-hamza-on-alef",
        "arabic-both",
        "hebrew-david",
        "hebrew-moshe",
        "greek-maria",
        "greek-zoi",
    ],
)
def test_i20_p05_a_name_with_or_without_optional_vowel_points_or_accents_gives_one_key(spellings: list[str]) -> None:
    assert len({crypto.match_key(spelling) for spelling in spellings}) == 1, spellings


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("सीता", "सिता"),  # Devanagari vowel signs are letters of the name
        ("राम", "रम"),
        ("ज़ारा", "जारा"),  # nukta
        ("محمد", "محمود"),  # a letter more
        ("مسؤول", "مسوول"),  # the hamza of ؤ makes another letter
        ("Йосиф", "Иосиф"),  # й is not и
        ("שרה", "שדה"),
    ],
)
def test_i20_p05_letters_and_the_marks_that_make_letters_still_tell_names_apart(one: str, other: str) -> None:
    assert crypto.match_key(one) != crypto.match_key(other)


def test_i20_p05_an_arabic_name_with_harakat_is_a_possible_duplicate_of_the_same_name_without() -> None:
    factories.make_programme()
    organisation = factories.make_organisation()
    first = factories.make_referral(organisation=organisation, given_names="أحمد", family_name="محمد")
    with pytest.raises(services.PossibleDuplicate) as refused:
        factories.make_referral(
            organisation=organisation, given_names="احمد", family_name="مُحَمَّد", confirm_duplicate=False
        )
    assert first.reference in str(refused.value)
    assert Referral.objects.count() == 1


NAMES = ["N’Diaye-Sow Hélène", "مُحَمَّد أحمد", "מֹשֶׁה", "Μαρία", "सीता शर्मा", "ज़ारा", "Йосиф", "ٱلمهدي", "Dvořák"]


def test_i20_p05_the_migration_normalises_names_exactly_as_the_live_code() -> None:
    for name in NAMES:
        assert _name_keys._normalise(name) == crypto.normalise_for_index(name), name


def _hash(purpose: str, normalised: str) -> str:
    """An index as the code before issue 20 computed it, from the normalised text written out."""
    message = f"{purpose}\x1f{normalised}".encode()
    return hmac.new(settings.CAREPLUS_INDEX_KEY.encode(), message, hashlib.sha256).hexdigest()


def test_i20_p05_one_undecryptable_row_is_skipped_and_counted_without_blocking_the_others(
    capsys: pytest.CaptureFixture[str],
) -> None:
    factories.make_programme()
    organisation = factories.make_organisation()
    damaged = factories.make_referral(organisation=organisation, given_names="Aminata", family_name="N'Diaye")
    key_damaged = factories.make_referral(organisation=organisation, given_names="Awa", family_name="Sow")
    sound = factories.make_referral(organisation=organisation, given_names="Fatou", family_name="N'Dour")
    Referral.objects.update(person_index="old", name_index="old")
    blob = bytearray(bytes(Referral.objects.values_list("family_name", flat=True).get(pk=damaged.pk) or b""))
    blob[-1] ^= 1  # one bit of the ciphertext's tag
    Referral.objects.filter(pk=damaged.pk).update(family_name=bytes(blob))
    wrapped = bytearray(bytes(DataKey.objects.values_list("wrapped", flat=True).get(pk=key_damaged.data_key_id) or b""))
    wrapped[-1] ^= 1
    DataKey.objects.filter(pk=key_damaged.data_key_id).update(wrapped=bytes(wrapped))

    assert reindex(apps, "referrals", "Referral") == 2

    indexes = dict(Referral.objects.values_list("pk", "person_index"))
    assert indexes[damaged.pk] == indexes[key_damaged.pk] == "old"  # left as they were
    assert indexes[sound.pk] == person_index(
        given_names="Fatou", family_name="Ndour", date_of_birth=sound.date_of_birth
    )
    warning = capsys.readouterr().err
    assert warning.count("\n") == 1
    assert "2 referrals.Referral row(s) could not be decrypted" in warning
    for personal in ("Diaye", "Aminata", "Sow", damaged.reference, str(damaged.pk), str(key_damaged.data_key_id)):
        assert personal not in warning


def test_i20_p05_a_missing_master_key_stops_the_migration_with_a_clear_error() -> None:
    factories.make_programme()
    referral = factories.make_referral(given_names="Aminata", family_name="N'Diaye")
    Referral.objects.filter(pk=referral.pk).update(person_index="old", name_index="old")
    DataKey.objects.filter(pk=referral.data_key_id).update(master_key_id="retired-2019")
    with pytest.raises(ImproperlyConfigured, match="'retired-2019' is not configured") as refused:
        reindex(apps, "referrals", "Referral")
    assert "Run this migration with every master key configured" in str(refused.value)
    assert Referral.objects.get(pk=referral.pk).person_index == "old"


BEFORE = [("cases", "0010_list_order_indexes_cover_count"), ("referrals", "0007_encrypt_free_text")]


def _triggers() -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
        return [str(name) for (name,) in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_i20_p05_migrating_back_restores_the_previous_indexes_and_forward_finds_the_duplicate_again() -> None:
    factories.make_programme()
    organisation = factories.make_organisation()
    first = factories.make_referral(
        organisation=organisation, given_names="Aminata", family_name="N'Diaye", date_of_birth=datetime.date(1990, 1, 2)
    )
    case = factories.make_case(family_name="N'Diaye", given_names="Aïssatou", date_of_birth=None)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    triggers_before = _triggers()
    try:
        MigrationExecutor(connection).migrate(BEFORE)
        # Backwards: the indexes are those the previous code computes (words kept apart)...
        # (only the index columns are read: later columns do not exist at that point of the history)
        first.refresh_from_db(fields=["person_index", "name_index"])
        assert first.person_index == _hash("person", "n diaye aminata 1990 01 02")
        assert first.name_index == _hash("name", "n diaye aminata")
        case.refresh_from_db(fields=["person_index", "name_index"])
        assert case.person_index == _hash("person", "n diaye aissatou")
        assert case.name_index == _hash("name", "n diaye aissatou")
        # ...so a name typed without the apostrophe does not find them.
        typed = person_index(given_names="Aminata", family_name="Ndiaye", date_of_birth=datetime.date(1990, 1, 2))
        assert not Referral.objects.filter(person_index=typed).exists()
    finally:
        MigrationExecutor(connection).migrate(latest)
    # The table rebuilds on the way back (SQLite) kept every trigger: rollups and sharing rules.
    assert _triggers() == triggers_before
    # Forwards again: the same person typed without the apostrophe is a possible duplicate.
    with pytest.raises(services.PossibleDuplicate) as refused:
        factories.make_referral(
            organisation=organisation,
            given_names="Aminata",
            family_name="Ndiaye",
            date_of_birth=datetime.date(1990, 1, 2),
            confirm_duplicate=False,
        )
    assert first.reference in str(refused.value)
    coordinator = factories.make_user(Role.COORDINATOR)
    assert [c.pk for c in search(actor=coordinator, query="Aissatou Ndiaye").cases] == [case.pk]
