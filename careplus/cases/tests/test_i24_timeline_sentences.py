"""A timeline's sentences are translated once per message for the whole timeline
(`cases.events.describe_all`), and say exactly what each event says on its own."""

from __future__ import annotations

from unittest import mock

from django.utils import translation
from django.utils.translation import gettext

from careplus.cases import events

EVENTS: list[tuple[str, dict[str, object]]] = [
    ("opened", {}),
    ("transition", {"from": "referred", "to": "eligible"}),
    ("section_saved", {"label": "Visit"}),
    ("consent_given", {"scope": "share_return_office"}),
    ("consent_withdrawn", {"scope": "share_return_office"}),
    ("handover_sent", {"office": "Katmandou (SKTM)"}),
    ("handover_acknowledged", {"office": "Katmandou (SKTM)"}),
    ("note_added", {"recorded_offline_at": "2026-11-30T09:15:00+05:45"}),
    ("identity_corrected", {"fields": ["family_name", "sex", "other"]}),
    ("procedure_changed", {"procedure": "child", "flagged": True}),
    ("procedure_changed", {"procedure": "adult"}),
    ("imported", {"row": 12}),
    *[(kind, {}) for kind in events._TEXTS if kind not in {"transition", "procedure_changed"}],
    ("a_kind_of_tomorrow", {}),
]


def test_every_sentence_is_the_one_its_event_says_alone_in_french_and_english() -> None:
    for language in ("fr", "en"):
        with translation.override(language):
            together = events.describe_all(EVENTS * 3)
            alone = [events.describe(kind, params) for kind, params in EVENTS * 3]
        assert together == alone
    with translation.override("fr"):
        assert events.describe_all([("note_added", {}), ("a_kind_of_tomorrow", {})]) == [
            "Note ajoutée.",
            "a_kind_of_tomorrow",  # an unknown kind is shown as it is, never dropped
        ]


def test_each_message_is_looked_up_once_for_the_whole_timeline() -> None:
    timeline = [("note_added", {}), ("section_saved", {"label": "Visit"})] * 25
    with translation.override("fr"), mock.patch.object(events, "gettext", wraps=gettext) as looked_up:
        sentences = events.describe_all(timeline)
    assert len(sentences) == 50
    assert looked_up.call_count == 3  # "Note added.", "%(section)s saved." and "Visit"
