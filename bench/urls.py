"""The bench's URLs: the application's, plus the empty page used as the floor of page timings."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path

from config.urls import handler400, handler403, handler404, handler500

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def empty_page(request: HttpRequest) -> HttpResponse:
    """The application's page layout for the signed-in user with nothing in it."""
    return render(request, "bench/empty_page.html")


urlpatterns = [
    path("banc/page-vide/", empty_page),
    path("", include("config.urls")),
]
