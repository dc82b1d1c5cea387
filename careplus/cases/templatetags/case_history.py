"""The lines of a case's timeline, written in Python.

The history tab shows the 50 latest events (or, asked for, every one); through the template
engine their lines cost more than the page around them. Written here as the case list's rows
are (`case_list.py`), every value escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django import template
from django.utils import timezone
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe

from careplus.cases.selectors import TimelineEvent
from careplus.core.dates import formatter

register = template.Library()


@register.simple_tag
def timeline_lines(timeline: Iterable[tuple[TimelineEvent, str]]) -> SafeString:
    """One <li> per event: its local date and time, what happened, and by whom."""
    short_datetime = formatter(get_format("SHORT_DATETIME_FORMAT"))  # the active language's, once
    zone = timezone.get_current_timezone()  # the office's (accounts.middleware), read once
    lines = [
        f"<li><time>{escape(short_datetime(event.at.astimezone(zone)))}</time> — {escape(text)}"
        + (f" ({escape(event.actor_name)})" if event.actor_name is not None else "")
        + "</li>"
        for event, text in timeline
    ]
    return mark_safe("".join(lines))  # noqa: S308 - every value escaped above
