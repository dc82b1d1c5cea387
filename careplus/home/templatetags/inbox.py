"""The rows of the home inbox, written in Python.

A section holds up to 50 tasks; through the template engine their rows cost more than the page
around them. Written here as the case list's rows are (`cases/templatetags/case_list.py`),
every value escaped.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django import template
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from careplus.core.dates import formatter
from careplus.returns.selectors import Task

register = template.Library()


@register.simple_tag
def task_rows(tasks: Iterable[Task]) -> SafeString:
    """One <li> per task: its due date, its link, and an "overdue" badge when it is."""
    short_date = formatter(get_format("SHORT_DATE_FORMAT"))  # the active language's, looked up once
    overdue = f' <span class="badge badge--fail">{escape(gettext("overdue"))}</span>'
    rows = [
        "<li>"
        + (f"{escape(short_date(task.due))} — " if task.due else "")
        + f'<a href="{escape(task.url)}">{escape(task.text)}</a>'
        + (overdue if task.overdue else "")
        + "</li>"
        for task in tasks
    ]
    return mark_safe("\n".join(rows))  # noqa: S308 - every value escaped above
