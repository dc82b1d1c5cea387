"""Issue 22, point 2: one optimistic-locking helper (lock the row, compare the version, bump it)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from careplus.access.roles import Role
from careplus.accounts.models import Office
from careplus.api.errors import exception_handler
from careplus.core import locking
from careplus.core.errors import StaleObject
from careplus.core.locking import StaleEdit, bump, check_version, lock_for_edit, lock_for_upsert, touch
from careplus.core.models import Instrument
from careplus.privacy.models import ErasureRequest
from careplus.returns.models import Departure
from tests import concurrency, factories

pytestmark = pytest.mark.django_db


def _saved_by_someone_else(office: Office, **values: str) -> None:
    """Another person's save, on their own copy of the row."""
    theirs = lock_for_edit(Office, office.pk, office.version)
    for name, value in values.items():
        setattr(theirs, name, value)
    bump(theirs, *values)


def test_i22_p02_a_stale_version_is_refused_with_the_fields_that_differ_and_their_values() -> None:
    office = factories.make_office("DKR")
    seen = office.version
    _saved_by_someone_else(office, city="Thiès", name="Bureau de Thiès")
    mine = {"city": "Saint-Louis", "name": "Bureau de Thiès", "code": office.code}
    with translation.override("en"), pytest.raises(StaleEdit) as stale:
        lock_for_edit(Office, office.pk, seen, compare=mine)
    error = stale.value
    assert isinstance(error, StaleObject)
    assert error.code == "stale_object"
    assert error.fields == ("city",)  # the name is the same on both sides
    assert error.theirs == {"city": "Thiès"}
    assert error.extra == {"fields": ["city"]}
    assert str(error.message) == (
        "Someone else saved this meanwhile; nothing was overwritten. Fields that now differ: city."
    )
    assert "Thiès" not in repr(error)  # their values are for the conflict form, never for logs
    assert "Thiès" not in str(error)
    office.refresh_from_db()
    assert office.city == "Thiès"  # nothing overwritten


def test_i22_p02_every_record_says_the_same_thing() -> None:
    office = factories.make_office("DKR")
    _saved_by_someone_else(office, city="Thiès")
    with translation.override("en"), pytest.raises(StaleEdit) as stale:
        lock_for_edit(Office, office.pk, office.version)
    assert stale.value.message == (
        "Someone else saved this meanwhile; nothing was overwritten. Reload the page to see their changes."
    )
    assert stale.value.fields == ()
    assert stale.value.theirs == {}
    assert stale.value.extra == {}
    with translation.override("en"):
        assert str(stale.value.message).startswith(str(locking.SAVED_MEANWHILE))


def test_i22_p02_the_api_answers_412_with_the_code_and_without_their_values() -> None:
    error = StaleEdit(locking.stale_message(["city"]), fields=["city"], theirs={"city": "Thiès"})
    response = exception_handler(error, {})
    assert response is not None
    assert response.status_code == 412
    assert response.data["code"] == "stale_object"
    assert response.data["extra"] == {"fields": ["city"]}
    assert "Thiès" not in str(response.data)


def test_i22_p02_the_version_the_user_saw_passes_and_bump_increases_it() -> None:
    office = factories.make_office("DKR")
    with transaction.atomic():
        locked = lock_for_edit(Office, office.pk, office.version)
        locked.city = "Thiès"
        locked.name = "Not saved: not named"
        bump(locked, "city")
    office.refresh_from_db()
    assert (office.version, office.city) == (2, "Thiès")
    assert office.name != "Not saved: not named"  # only the named fields are written
    assert office.updated_at == locked.updated_at  # with the time of the change
    with transaction.atomic():
        locked = lock_for_edit(Office, office.pk, 2)
        locked.name = "Bureau de Thiès"
        bump(locked)  # none named: every field
    office.refresh_from_db()
    assert (office.version, office.name) == (3, "Bureau de Thiès")


def test_i22_p02_touch_increases_the_version_in_the_database_and_reads_it_back() -> None:
    office = factories.make_office("DKR")
    stale_copy = Office.objects.get(pk=office.pk)
    touch(office)
    touch(stale_copy)  # computed by the database: two touches, two versions, even from a stale copy
    assert stale_copy.version == 3
    office.refresh_from_db()
    assert office.version == 3


def test_i22_p02_other_version_fields_are_named() -> None:
    draft = Instrument.objects.create(
        kind="rss", version="test-draft", label="Draft", data={}, status=Instrument.Status.DRAFT
    )
    with pytest.raises(StaleEdit):
        check_version(draft, draft.row_version + 1, version_field="row_version")
    bump(draft, "data", version_field="row_version")
    draft.refresh_from_db()
    assert draft.row_version == 2


def test_i22_p02_no_expected_version_means_nothing_to_compare_unless_required() -> None:
    office = factories.make_office("DKR")
    _saved_by_someone_else(office, city="Thiès")
    assert lock_for_edit(Office, office.pk, None).version == 2  # a change made by the system
    with pytest.raises(StaleEdit):
        lock_for_edit(Office, office.pk, None, required=True)  # a form that must carry its version


def test_i22_p02_a_record_removed_meanwhile_has_its_own_message() -> None:
    with translation.override("en"):
        with pytest.raises(StaleEdit) as gone:
            lock_for_edit(Office, uuid.uuid4(), 1)
        assert str(gone.value.message) == "This record was removed meanwhile. Reload the page."
    assert gone.value.message == locking.REMOVED


def test_i22_p02_upsert_none_means_the_user_saw_no_record() -> None:
    case = factories.make_case()
    assert lock_for_upsert(Departure, None, case=case) is None  # nothing yet, nothing seen: create it
    with pytest.raises(StaleEdit) as removed:
        lock_for_upsert(Departure, 1, case=case)  # seen, but no longer there
    assert removed.value.message == locking.REMOVED
    Departure.objects.create(case=case, airport="ORY", updated_by=factories.make_user(Role.COORDINATOR))
    with pytest.raises(StaleEdit) as created:
        lock_for_upsert(Departure, None, compare={"airport": "CDG"}, case=case)  # saved meanwhile
    assert created.value.fields == ("airport",)
    assert created.value.theirs == {"airport": "ORY"}
    found = lock_for_upsert(Departure, 1, case=case)
    assert found is not None
    assert found.airport == "ORY"


def test_i22_p02_the_row_is_locked_for_update() -> None:
    office = factories.make_office("DKR")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        lock_for_edit(Office, office.pk, office.version)
    (select,) = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT")]
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in select
    else:  # SQLite locks the whole database on the write instead
        assert connection.vendor == "sqlite"


def test_i22_p02_only_the_row_is_locked_when_nullable_relations_are_joined() -> None:
    """PostgreSQL refuses FOR UPDATE on the nullable side of an outer join: `of=("self",)`."""
    case = factories.make_case()
    request = ErasureRequest.objects.create(case=case, requested_by=factories.make_user(Role.DPO), reason="Demande")
    rows = ErasureRequest.objects.select_related("case", "referral")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked = lock_for_edit(rows, request.pk, request.version, of=("self",))
    assert locked.case == case
    if connection.features.has_select_for_update_of:
        assert any("FOR UPDATE OF" in query["sql"] for query in queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_i22_p02_a_second_editor_waits_for_the_first_then_is_refused(tmp_path: Path) -> None:
    # PostgreSQL locks the row; SQLite, on a file, makes the second IMMEDIATE transaction queue.
    if concurrency.needs_a_file_database():
        concurrency.run_on_a_sqlite_file(
            __file__, "test_i22_p02_a_second_editor_waits_for_the_first_then_is_refused", tmp_path
        )
        return
    office = factories.make_office("DKR")
    first_holds_the_row = threading.Event()
    outcome: list[str] = []

    def second_editor() -> None:
        first_holds_the_row.wait(5)
        try:
            with transaction.atomic():
                lock_for_edit(Office, office.pk, 1)  # waits until the first commits, then reads version 2
            outcome.append("saved")
        except StaleEdit:
            outcome.append("refused")
        finally:
            connection.close()

    thread = threading.Thread(target=second_editor)
    thread.start()
    with transaction.atomic():
        locked = lock_for_edit(Office, office.pk, 1)
        first_holds_the_row.set()
        time.sleep(0.5)  # the second editor reads meanwhile: without the lock it would see version 1
        locked.city = "Thiès"
        bump(locked, "city")
    thread.join(10)
    assert outcome == ["refused"]
    office.refresh_from_db()
    assert (office.version, office.city) == (2, "Thiès")
