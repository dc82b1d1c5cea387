"""Case pages: scope by role, masked names in lists, who viewed the file, constant queries."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from pytest_django import DjangoAssertNumQueries

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent
from careplus.cases import services
from careplus.cases.models import CaseEvent
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def test_list_masks_names_and_detail_shows_them(coordinator: User, signed_in: SignedIn) -> None:
    case = factories.make_case(family_name="Gurung", given_names="Sita Maya")
    client = signed_in(coordinator)
    listing = client.get(reverse("cases:case_list")).content.decode()
    assert case.reference in listing
    assert "S. M. G." in listing
    assert "Gurung" not in listing
    detail = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk})).content.decode()
    assert "Gurung" in detail
    assert "Sita Maya" in detail


def test_list_rows_show_each_column_escaped_and_an_empty_list_says_so(coordinator: User, signed_in: SignedIn) -> None:
    client = signed_in(coordinator)
    assert "Aucun dossier." in client.get(reverse("cases:case_list")).content.decode()
    office = factories.make_office("NPL")
    office.name = "<b>Katmandou</b>"
    office.save()
    case = factories.make_case(office=office, given_names="Élise", family_name="<script>x</script>")
    listing = client.get(reverse("cases:case_list")).content.decode()
    detail_url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    assert f'<a href="{detail_url}">{case.reference}</a>' in listing
    assert "É. &lt;." in listing  # the initials only, escaped
    assert "&lt;b&gt;Katmandou&lt;/b&gt; (NPL)" in listing
    assert "<b>" not in listing
    assert "<script>x" not in listing
    assert '<span class="badge">Ouvert</span>' in listing
    assert f"<td>{case.opened_on:%d/%m/%Y}</td>" in listing
    assert "Aucun dossier." not in listing


def test_caseworkers_see_only_their_office(signed_in: SignedIn) -> None:
    nepal, cameroon = factories.make_office("NPL"), factories.make_office("CMR", country="CM")
    mine = factories.make_case(office=nepal)
    theirs = factories.make_case(office=cameroon, family_name="Mbarga")
    worker = factories.make_user(Role.CASEWORKER, office=nepal)
    client = signed_in(worker)
    listing = client.get(reverse("cases:case_list")).content.decode()
    assert mine.reference in listing
    assert theirs.reference not in listing
    assert client.get(reverse("cases:case_detail", kwargs={"case_id": mine.pk})).status_code == 200
    assert client.get(reverse("cases:case_detail", kwargs={"case_id": theirs.pk})).status_code == 404


def test_coordinator_sees_who_viewed_the_file(coordinator: User, signed_in: SignedIn) -> None:
    office = factories.make_office("NPL")
    case = factories.make_case(office=office)
    worker = factories.make_user(Role.CASEWORKER, office=office, email="sita.worker@example.test")
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    worker_client = signed_in(worker)
    assert worker_client.get(url).status_code == 200
    assert "?onglet=acces" not in worker_client.get(url).content.decode()
    denials = AuditEvent.objects.filter(object_id=str(case.pk), action=AuditAction.DENIED)
    assert worker_client.get(url, {"onglet": "acces"}).status_code == 404
    assert denials.filter(actor_id=str(worker.pk)).count() == 1  # the refusal is in the audit log
    coordinator_client = signed_in(coordinator)
    assert "?onglet=acces" in coordinator_client.get(url).content.decode()
    page = coordinator_client.get(url, {"onglet": "acces"}).content.decode()
    assert "Qui a consulté ce dossier" in page
    assert "sita.worker@example.test" in page


TAB_CONTENTS = {
    "synthese": ("Étapes suivantes", "Bénéficiaire", "Évaluations et plans"),
    "opportunites": ("Opportunités de réinsertion", "Ajouter une opportunité"),
    "consentements": ("Enregistrer un consentement", "Bureau du pays de retour"),
    "notes": ("Aucune note.", "Ajouter la note"),
    "documents": ("Aucun document.", "Ajouter le document"),
    "historique": ("Chronologie",),
    "acces": ("Restreindre ce dossier à des personnes désignées", "Qui a consulté ce dossier"),
}


def test_each_part_of_the_file_is_its_own_page_and_each_view_is_audited(coordinator: User, signed_in: SignedIn) -> None:
    case = factories.make_case(family_name="Gurung")
    client = signed_in(coordinator)
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    views = AuditEvent.objects.filter(object_id=str(case.pk), action=AuditAction.VIEW)
    for tab, texts in TAB_CONTENTS.items():
        page = client.get(url, {"onglet": tab}).content.decode()
        assert f'aria-current="page">{TAB_LABELS[tab]}</a>' in page, tab
        assert f"Dossier {case.reference}" in page  # the header and its badges stay on every part
        assert ("Gurung" in page) == (tab == "synthese")  # the name only where the person's details are
        for text in texts:
            assert text in page, (tab, text)
        others = [other for other in TAB_CONTENTS if other != tab]
        assert not any(TAB_CONTENTS[other][0] in page for other in others), tab
    assert views.count() == len(TAB_CONTENTS)
    assert client.get(url, {"onglet": "inconnu"}).status_code == 404
    assert views.count() == len(TAB_CONTENTS)


TAB_LABELS = {
    "synthese": "Synthèse",
    "opportunites": "Opportunités",
    "consentements": "Consentements et bureau",
    "notes": "Notes",
    "documents": "Documents",
    "historique": "Historique",
    "acces": "Accès",
}


def test_erased_case_reads_as_erased_everywhere(coordinator: User, signed_in: SignedIn) -> None:
    case = services.case_erase(actor=None, case=factories.make_case(family_name=factories.CANARY))
    client = signed_in(coordinator)
    listing = client.get(reverse("cases:case_list"))
    detail = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}))
    assert listing.status_code == detail.status_code == 200
    assert "[effacé]" in detail.content.decode()
    assert "[effacé] [effacé]" in listing.content.decode()
    assert factories.CANARY not in detail.content.decode() + listing.content.decode()


def test_bad_status_filter_is_ignored(coordinator: User, signed_in: SignedIn) -> None:
    factories.make_case()
    response = signed_in(coordinator).get(reverse("cases:case_list"), {"status": "<script>", "page": "x"})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_detail_and_list_query_counts_do_not_grow_with_history(
    coordinator: User, signed_in: SignedIn, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    case = factories.make_case()
    client = signed_in(coordinator)
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})

    def grow(times: int) -> None:
        for index in range(times):
            client.get(url)
            CaseEvent.objects.create(case=case, kind="section_saved", params={"label": f"Étape {index}"})
            services.note_add(actor=coordinator, case=case, body=f"Note {index}")
            services.opportunity_add(
                actor=coordinator,
                case=case,
                kind="training",
                description="Formation",
                verified_on=datetime.date(2018, 5, 1),
            )
            services.attachment_add(
                actor=coordinator,
                case=case,
                filename=f"f{index}.pdf",
                content=b"%PDF-1.4",
                content_type="application/pdf",
            )
            factories.make_case()

    grow(2)
    baselines = {}
    for tab in TAB_CONTENTS:
        with CaptureQueriesContext(connection) as small:
            assert client.get(url, {"onglet": tab}).status_code == 200
        baselines[tab] = len(small.captured_queries)
    assert baselines["synthese"] <= 14
    assert max(baselines.values()) < 30
    grow(15)
    for tab, baseline in baselines.items():
        with django_assert_max_num_queries(baseline):
            assert client.get(url, {"onglet": tab}).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("cases:case_list")).status_code == 200


def test_a_long_history_shows_the_recent_events_and_offers_the_whole_of_it(
    coordinator: User, signed_in: SignedIn
) -> None:
    case = factories.make_case()
    CaseEvent.objects.bulk_create(
        [CaseEvent(case=case, kind="section_saved", params={"label": f"Étape {i}"}) for i in range(120)]
    )
    client = signed_in(coordinator)
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    assert "Étape " not in client.get(url).content.decode()  # the history has its own page
    page = client.get(url, {"onglet": "historique"}).content.decode()
    assert page.count("Étape ") == 50
    assert "Étape 119" in page
    assert "Étape 69" not in page
    assert "71 événements plus anciens ne sont pas affichés" in page
    assert "?onglet=historique&amp;historique=complet" in page
    everything = client.get(url, {"onglet": "historique", "historique": "complet"}).content.decode()
    assert everything.count("Étape ") == 120


def test_a_timeline_line_shows_the_local_time_what_happened_and_who_escaped(
    coordinator: User, signed_in: SignedIn
) -> None:
    """The lines written in Python (issue 24) read as the template wrote them."""
    case = factories.make_case()
    author = factories.make_user(Role.CASEWORKER)
    User.objects.filter(pk=author.pk).update(full_name="Zoë O'<b>Brien</b>")
    event = CaseEvent.objects.create(case=case, actor=author, kind="handover_sent", params={"office": "<i>Été</i>"})
    # 23:30 UTC on 31 December is already 1 January in Paris.
    CaseEvent.objects.filter(pk=event.pk).update(at=datetime.datetime(2025, 12, 31, 23, 30, tzinfo=datetime.UTC))
    page = (
        signed_in(coordinator)
        .get(reverse("cases:case_detail", kwargs={"case_id": case.pk}), {"onglet": "historique"})
        .content.decode()
    )
    assert (
        "<li><time>01/01/2026 00:30</time> — Dossier transféré à &lt;i&gt;Été&lt;/i&gt;."
        " (Zoë O&#x27;&lt;b&gt;Brien&lt;/b&gt;)</li>"
    ) in page
    assert "<li><time>" in page.split("Dossier ouvert", 1)[0]  # the opening event has no author
