"""The reason form of a restricted case file, shown where a page opened the file without one.

`careplus.access.reading.open_case` raises `ReasonNeeded`; this middleware answers with the form.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from careplus.access.reading import ReasonNeeded
from careplus.cases.forms import RestrictedReasonForm
from careplus.cases.models import Case


def reason_url(case: Case, back: str) -> str:
    return reverse("cases:case_reason", kwargs={"case_id": case.pk}) + "?" + urlencode({"next": back})


def reason_page(
    request: HttpRequest,
    case: Case,
    back: str,
    *,
    form: forms.Form | None = None,
    status: int = 200,
    refused: bool = False,
) -> HttpResponse:
    """The reason form of a restricted file; nothing of the file but its number is shown."""
    context = {
        "case": case,
        "form": form if form is not None else RestrictedReasonForm(),
        "back": back,
        "action": reverse("cases:case_reason", kwargs={"case_id": case.pk}),
        "refused": refused,
    }
    return render(request, "cases/restricted_reason.html", context, status=status)


class RestrictedReasonMiddleware:
    """Answer a restricted file opened without a reason with the reason form.

    A GET shows the form (200). A POST (a change) is not applied: the form says so and the
    answer is 403, so a change is never dropped silently; once the reason is given the user is
    sent back to the page the change came from. htmx requests are sent to the form's page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ReasonNeeded):
            return None
        case, back = exception.case, exception.back
        if getattr(request, "htmx", False):
            response = HttpResponse(status=200)
            response["HX-Redirect"] = reason_url(case, back)
            return response
        changing = request.method not in {"GET", "HEAD"}
        return reason_page(request, case, back, status=403 if changing else 200, refused=changing)
