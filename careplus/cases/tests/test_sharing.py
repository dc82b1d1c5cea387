"""`Case.shared_with_office` follows the sharing consent whatever writes it (cases/sharing.py).

The caseworker's scope reads the flag, so a flag left standing after a withdrawal would show a
file to an office the person no longer agreed to: every path that changes a consent, and every
write that tries to set the flag, is checked against the consents themselves.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from django.db import connection
from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.access.scopes import cases_visible_to
from careplus.accounts.models import User
from careplus.cases import services, sharing
from careplus.cases.choices import ConsentScope
from careplus.cases.models import Case, Consent
from tests import factories
from tests.api.helpers import api_client

pytestmark = pytest.mark.django_db

SHARE = ConsentScope.SHARE_RETURN_OFFICE
DAY = datetime.date(2026, 11, 2)


def _flag(case: Case) -> bool:
    return Case.objects.values_list("shared_with_office", flat=True).get(pk=case.pk)


def _in_step() -> None:
    assert sharing.differences(connection) == 0


def test_recording_and_withdrawing_the_consent_opens_and_closes_the_office_scope(coordinator: User) -> None:
    office = factories.make_office("KTM")
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    case = factories.make_case(office=office, shared=False)
    assert _flag(case) is False
    assert not cases_visible_to(caseworker).filter(pk=case.pk).exists()

    consent = services.consent_record(actor=coordinator, case=case, scope=SHARE, given_on=DAY)
    assert _flag(case) is True
    assert cases_visible_to(caseworker).filter(pk=case.pk).exists()

    services.consent_withdraw(actor=coordinator, consent=consent, withdrawn_on=DAY)
    assert _flag(case) is False
    assert not cases_visible_to(caseworker).filter(pk=case.pk).exists()
    _in_step()


def test_other_consents_do_not_open_the_scope(coordinator: User) -> None:
    case = factories.make_case(shared=False)
    for scope in ConsentScope.values:
        if scope != SHARE:
            services.consent_record(actor=coordinator, case=case, scope=scope, given_on=DAY)
    assert _flag(case) is False
    _in_step()


def test_a_stale_case_saved_from_memory_does_not_bring_back_a_withdrawn_consent(coordinator: User) -> None:
    case = factories.make_case()
    stale = Case.objects.get(pk=case.pk)
    assert stale.shared_with_office is True
    consent = Consent.objects.get(case=case, scope=SHARE)
    services.consent_withdraw(actor=coordinator, consent=consent, withdrawn_on=DAY)
    stale.save()  # every column written, the old flag with them
    assert _flag(case) is False
    _in_step()


def test_a_stale_case_saved_from_memory_does_not_hide_a_new_consent(coordinator: User) -> None:
    case = factories.make_case(shared=False)
    stale = Case.objects.get(pk=case.pk)
    services.consent_record(actor=coordinator, case=case, scope=SHARE, given_on=DAY)
    stale.save()
    assert _flag(case) is True


def test_the_flag_cannot_be_set_by_hand() -> None:
    case, shared = factories.make_case(shared=False), factories.make_case()
    Case.objects.filter(pk=case.pk).update(shared_with_office=True)
    Case.objects.filter(pk=shared.pk).update(shared_with_office=False)
    assert (_flag(case), _flag(shared)) == (False, True)
    created = factories.make_case(shared=False)
    Case.objects.filter(pk=created.pk).update(shared_with_office=True, status="pre_departure")
    assert _flag(created) is False
    _in_step()


def test_bulk_writes_deletions_and_moves_of_consents_keep_the_flag() -> None:
    first, second = factories.make_case(shared=False), factories.make_case(shared=False)
    Consent.objects.bulk_create([Consent(case=first, scope=SHARE, given_on=DAY, recorded_by=factories.system_user())])
    assert (_flag(first), _flag(second)) == (True, False)

    Consent.objects.filter(case=first).update(case=second)  # recorded on the wrong file, corrected
    assert (_flag(first), _flag(second)) == (False, True)

    Consent.objects.filter(case=second).delete()
    assert _flag(second) is False
    _in_step()


def test_a_file_with_a_consent_given_again_after_a_withdrawal_is_shared(coordinator: User) -> None:
    case = factories.make_case()
    consent = Consent.objects.get(case=case, scope=SHARE)
    services.consent_withdraw(actor=coordinator, consent=consent, withdrawn_on=DAY)
    services.consent_record(actor=coordinator, case=case, scope=SHARE, given_on=DAY)
    assert _flag(case) is True
    assert Consent.objects.filter(case=case, scope=SHARE).count() == 2
    _in_step()


def test_differences_finds_a_wrong_flag_and_rebuild_repairs_it() -> None:
    case = factories.make_case()
    vendor = connection.vendor
    with connection.cursor() as cursor:  # the test's transaction rolls the DDL back on both engines
        for statement in sharing.uninstall_sql(vendor):
            cursor.execute(statement)
    Case.objects.filter(pk=case.pk).update(shared_with_office=False)  # no guard now
    assert sharing.differences(connection) == 1
    sharing.rebuild(connection)
    assert _flag(case) is True
    _in_step()
    with connection.cursor() as cursor:
        for statement in sharing.install_sql(vendor):
            cursor.execute(statement)


def test_a_withdrawal_through_the_page_takes_the_file_out_of_the_office_list_page_and_api(
    coordinator: User, signed_in: Callable[[User], Client]
) -> None:
    office = factories.make_office("KTM")
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    case = factories.make_case(office=office)
    worker, api = signed_in(caseworker), api_client(caseworker)
    detail = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    assert case.reference in worker.get(reverse("cases:case_list")).content.decode()
    assert [row["reference"] for row in api.get(reverse("api:case_list")).json()["results"]] == [case.reference]

    consent = Consent.objects.get(case=case, scope=SHARE)
    url = reverse("cases:consent_withdraw", kwargs={"case_id": case.pk, "consent_id": consent.pk})
    assert signed_in(coordinator).post(url).status_code == 302

    assert case.reference not in worker.get(reverse("cases:case_list")).content.decode()
    assert worker.get(detail).status_code == 404
    assert api.get(reverse("api:case_list")).json()["results"] == []
    assert api.get(reverse("api:case_detail", kwargs={"case_id": case.pk})).status_code == 404
