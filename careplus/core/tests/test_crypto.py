"""Envelope encryption: round trips, authenticated binding, nonces, rotation, shredding, index."""

from __future__ import annotations

import base64
import datetime
import os
import secrets
import uuid
from typing import Any, cast

import pytest

from django.db import connection, transaction
from django.db.models import Count
from django.test import override_settings

from careplus.cases import services as case_services
from careplus.cases.models import Case, CaseAttachment, RestrictedView
from careplus.core import crypto
from careplus.core.fields import ERASED, EncryptedField
from careplus.core.models import DataKey
from careplus.ops.keys import rotate_data_keys
from tests import factories

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: uuid.UUID) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        return bytes(cursor.fetchone()[0])


def _fresh(case: Case) -> Case:
    crypto.forget_keys()
    return Case.objects.select_related("data_key").get(pk=case.pk)


def test_every_field_type_round_trips_and_is_stored_as_ciphertext() -> None:
    case = factories.make_case(family_name=factories.CANARY, given_names="Émilie Ñ")
    attachment = CaseAttachment(case=case, content_type="application/pdf", size=4, uploaded_by=factories.make_user())
    attachment.filename = "rapport.pdf"
    attachment.content = b"%PDF" + factories.CANARY.encode()
    attachment.save()

    loaded = _fresh(case)
    assert loaded.family_name == factories.CANARY
    assert loaded.given_names == "Émilie Ñ"
    assert loaded.date_of_birth == datetime.date(1995, 3, 14)
    assert loaded.safe_contact == {"alias": "Maya", "channel": "phone"}
    stored = CaseAttachment.objects.select_related("case__data_key").get(pk=attachment.pk)
    assert stored.content == b"%PDF" + factories.CANARY.encode()
    assert stored.filename == "rapport.pdf"

    raw = _raw("cases_case", "family_name", case.pk)
    assert factories.CANARY.encode() not in raw
    assert crypto.ciphertext_key_id(raw) == case.data_key_id
    assert factories.CANARY.encode() not in _raw("cases_caseattachment", "content", attachment.pk)


def test_ciphertext_moved_to_another_row_or_column_fails_to_decrypt() -> None:
    first = factories.make_case(family_name="Alpha")
    second = factories.make_case(family_name="Beta")
    other_row = Case.objects.get(pk=second.pk)
    other_row.__dict__["family_name"] = type(other_row).family_name.field.from_db_value(
        _raw("cases_case", "family_name", first.pk), None, connection
    )
    with pytest.raises(crypto.DecryptionError):
        _ = other_row.family_name

    same_key = factories.make_case(family_name="Gamma", given_names="Delta")
    moved = Case.objects.select_related("data_key").get(pk=same_key.pk)
    moved.__dict__["given_names"] = type(moved).given_names.field.from_db_value(
        _raw("cases_case", "family_name", same_key.pk), None, connection
    )
    with pytest.raises(crypto.DecryptionError):
        _ = moved.given_names


def test_a_value_read_as_a_bare_column_opens_as_its_attribute_does() -> None:
    """Lists read names with values(); they open as the model attribute would, or not at all."""
    given_names = cast(EncryptedField, Case._meta.get_field("given_names"))
    family_name = cast(EncryptedField, Case._meta.get_field("family_name"))
    kept = factories.make_case(family_name="Gurung", given_names="Sita")
    erased = case_services.case_erase(actor=None, case=factories.make_case(family_name=factories.CANARY))
    other = factories.make_case()
    rows: dict[Any, tuple[Any, Any, DataKey]] = {
        pk: (gn, fn, DataKey(id=key_id, master_key_id=master, wrapped=wrapped))
        for pk, gn, fn, key_id, master, wrapped in Case.objects.values_list(
            "pk", "given_names", "family_name", "data_key_id", "data_key__master_key_id", "data_key__wrapped"
        )
    }
    gn, fn, key = rows[kept.pk]
    assert family_name.open_column(kept.pk, fn, key) == "Gurung" == _fresh(kept).family_name
    assert given_names.open_column(kept.pk, gn, key) == "Sita"
    assert given_names.open_column(kept.pk, None, key) is None
    destroyed = DataKey(id=key.pk, master_key_id=key.master_key_id, wrapped=None)
    assert family_name.open_column(kept.pk, fn, destroyed) is ERASED
    gn, fn, key = rows[erased.pk]
    assert family_name.open_column(erased.pk, fn, key) is ERASED
    # A value moved to another row, or opened with another file's key, does not open.
    with pytest.raises(crypto.DecryptionError):
        family_name.open_column(other.pk, rows[kept.pk][1], rows[other.pk][2])
    with pytest.raises(crypto.DecryptionError):
        family_name.open_column(kept.pk, rows[kept.pk][1], rows[other.pk][2])
    with pytest.raises(crypto.DecryptionError):
        given_names.open_column(kept.pk, rows[kept.pk][1], rows[kept.pk][2])


def test_a_value_is_never_sealed_before_its_row_has_an_id_and_restricted_view_reasons_read_back() -> None:
    case = factories.make_case()
    unsaved = RestrictedView(case=case, user=factories.make_user())
    unsaved.reason = "Préparer l'audience"
    with pytest.raises(ValueError, match="before its row has an id"), transaction.atomic():
        unsaved.save()
    assert not RestrictedView.objects.exists()
    case_services.case_view_record(actor=unsaved.user, case=case, reason="Préparer l'audience")
    case.restricted = True
    case_services.case_view_record(actor=unsaved.user, case=case, reason="Préparer l'audience")
    stored = RestrictedView.objects.get()
    assert stored.reason == "Préparer l'audience"
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM cases_restrictedview WHERE id = %s", [stored.pk])
        raw = bytes(cursor.fetchone()[0])
    assert b"audience" not in raw
    assert crypto.ciphertext_key_id(raw) == case.data_key_id


def test_a_hundred_thousand_encryptions_never_repeat_a_nonce() -> None:
    key, key_id = crypto.new_data_key(), DataKey.generate().pk
    nonces = {crypto.encrypt(b"x", key=key, key_id=key_id, aad=b"t:c:1")[17:29] for _index in range(100_000)}
    assert len(nonces) == 100_000


def test_rotation_rewraps_every_key_and_the_old_master_key_can_go(settings: object) -> None:
    old = "old1:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
    new = "new2:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
    with override_settings(CAREPLUS_MASTER_KEYS=old):
        cases = [factories.make_case(family_name=f"Name{i}") for i in range(5)]
    assert set(DataKey.objects.values_list("master_key_id", flat=True)) == {"old1"}
    with override_settings(CAREPLUS_MASTER_KEYS=f"{new},{old}"):
        crypto.forget_keys()
        rotated, total = rotate_data_keys(batch=2)
    assert (rotated, total) == (5, 5)
    assert set(DataKey.objects.values_list("master_key_id", flat=True)) == {"new2"}
    with override_settings(CAREPLUS_MASTER_KEYS=new):
        for index, case in enumerate(cases):
            assert _fresh(case).family_name == f"Name{index}"
    with override_settings(CAREPLUS_MASTER_KEYS=old), pytest.raises(crypto.DecryptionError):
        _ = _fresh(cases[0]).family_name


def test_erasure_destroys_the_key_and_leaves_aggregates_unchanged() -> None:
    factories.make_case(family_name="Keep", sex="m", country="CM")
    target = factories.make_case(family_name=factories.CANARY, sex="f", country="NP")
    before = list(Case.objects.values("sex", "status", "country_of_return").annotate(n=Count("id")).order_by("sex"))

    erased = case_services.case_erase(actor=None, case=target)
    assert erased.family_name is ERASED
    assert erased.date_of_birth is ERASED
    assert erased.safe_contact is ERASED
    assert str(ERASED) == "[effacé]"
    assert erased.person_index == ""
    data_key = DataKey.objects.get(pk=target.data_key_id)
    assert data_key.wrapped is None
    assert data_key.destroyed_at is not None
    assert _fresh(target).family_name is ERASED
    after = list(Case.objects.values("sex", "status", "country_of_return").annotate(n=Count("id")).order_by("sex"))
    assert after == before


def test_erased_case_can_be_saved_and_no_ciphertext_survives() -> None:
    target = factories.make_case(family_name=factories.CANARY)
    case = case_services.case_erase(actor=None, case=target)
    case.status = "closed"
    case.save()
    assert _fresh(case).family_name is ERASED
    assert _raw("cases_case", "family_name", case.pk) == b"\x00"
    assert _raw("cases_case", "given_names", case.pk) == b"\x00"


def test_blind_index_matches_normalised_values_only_under_its_key() -> None:
    assert crypto.blind_index("Émilie  DUPONT-Ba", purpose="p") == crypto.blind_index("emilie dupont ba", purpose="p")
    assert crypto.blind_index("Emilie Dupont", purpose="p") != crypto.blind_index("Emilie Dupond", purpose="p")
    assert crypto.blind_index("x", purpose="a") != crypto.blind_index("x", purpose="b")
    reference = crypto.blind_index("Emilie Dupont", purpose="p")
    with override_settings(CAREPLUS_INDEX_KEY=secrets.token_urlsafe(32)):
        assert crypto.blind_index("Emilie Dupont", purpose="p") != reference


def test_same_person_gets_the_same_person_index() -> None:
    first = factories.make_case(family_name="Dupont", given_names="Émilie")
    second = factories.make_case(family_name="DUPONT", given_names="emilie")
    assert first.person_index == second.person_index
    assert len(first.person_index) == 64


def test_encrypted_fields_cannot_be_searched() -> None:
    with pytest.raises(TypeError):
        Case.objects.filter(family_name="Gurung").count()
    assert Case.objects.filter(family_name__isnull=True).count() == 0


def test_master_keys_are_validated() -> None:
    with pytest.raises(Exception, match="32 bytes"):
        crypto.parse_keyring("k1:" + base64.urlsafe_b64encode(b"short").decode())
    ring = crypto.parse_keyring(
        "a:"
        + base64.urlsafe_b64encode(bytes(32)).decode()
        + ",b:"
        + base64.urlsafe_b64encode(bytes(range(32))).decode()
    )
    assert ring.current_id == "a"
    with pytest.raises(crypto.DecryptionError):
        ring.key("zzz")


def test_rotate_keys_command_reports_its_work(capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    factories.make_case()
    call_command("rotate_keys")
    assert "0 of 1 data keys re-wrapped" in capsys.readouterr().out
