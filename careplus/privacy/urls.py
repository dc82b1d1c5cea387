from django.urls import URLPattern, path

from careplus.privacy import views, views_erasure

app_name = "privacy"

urlpatterns: list[URLPattern] = [
    path("protection-des-donnees/acces/", views.access_request, name="access_request"),
    path(
        "protection-des-donnees/acces/<str:subject_kind>/<uuid:subject_id>/",
        views.access_review,
        name="access_review",
    ),
    path(
        "protection-des-donnees/acces/<str:subject_kind>/<uuid:subject_id>/archive/",
        views.access_download,
        name="access_download",
    ),
    path("protection-des-donnees/registre/", views.register, name="register"),
    path("protection-des-donnees/registre.pdf", views.register_pdf, name="register_pdf"),
    path("protection-des-donnees/effacements/", views_erasure.erasure_list, name="erasure_list"),
    path("protection-des-donnees/effacements/demander/", views_erasure.erasure_request, name="erasure_request"),
    path("protection-des-donnees/effacements/<uuid:request_id>/", views_erasure.erasure_detail, name="erasure_detail"),
    path(
        "protection-des-donnees/effacements/<uuid:request_id>/approuver/",
        views_erasure.erasure_approve,
        name="erasure_approve",
    ),
    path(
        "protection-des-donnees/effacements/<uuid:request_id>/refuser/",
        views_erasure.erasure_refuse,
        name="erasure_refuse",
    ),
    path(
        "protection-des-donnees/effacements/<uuid:request_id>/certificat.pdf",
        views_erasure.erasure_certificate,
        name="erasure_certificate",
    ),
]
