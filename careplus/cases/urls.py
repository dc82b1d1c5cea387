from django.urls import path

from careplus.cases import views, views_import

app_name = "cases"

urlpatterns = [
    path("dossiers/", views.case_list, name="case_list"),
    path("dossiers/import/", views_import.import_start, name="import_start"),
    path("dossiers/import/modele.xlsx", views_import.import_template, name="import_template"),
    path("dossiers/import/confirmer/", views_import.import_confirm, name="import_confirm"),
    path("dossiers/<uuid:case_id>/", views.case_detail, name="case_detail"),
    path("dossiers/<uuid:case_id>/motif/", views.case_reason, name="case_reason"),
    path("dossiers/<uuid:case_id>/sections/<slug:section>/", views.case_section, name="case_section"),
    path("dossiers/<uuid:case_id>/depart/", views.case_plan, name="case_plan"),
    path("dossiers/<uuid:case_id>/identite/", views.case_identity, name="case_identity"),
    path("dossiers/<uuid:case_id>/statut/", views.case_transition, name="case_transition"),
    path("dossiers/<uuid:case_id>/risque/approuver/", views.risk_approve, name="risk_approve"),
    path("dossiers/<uuid:case_id>/interet-superieur/approuver/", views.bid_approve, name="bid_approve"),
    path("dossiers/<uuid:case_id>/opportunites/", views.opportunity_add, name="opportunity_add"),
    path("dossiers/<uuid:case_id>/consentements/", views.consent_add, name="consent_add"),
    path(
        "dossiers/<uuid:case_id>/consentements/<uuid:consent_id>/retrait/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
    path("dossiers/<uuid:case_id>/transfert/", views.handover_send, name="handover_send"),
    path(
        "dossiers/<uuid:case_id>/transfert/<uuid:handover_id>/accuse/",
        views.handover_acknowledge,
        name="handover_acknowledge",
    ),
    path("dossiers/<uuid:case_id>/notes/", views.note_add, name="note_add"),
    path("dossiers/<uuid:case_id>/documents/", views.attachment_add, name="attachment_add"),
    path(
        "dossiers/<uuid:case_id>/documents/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("dossiers/<uuid:case_id>/restriction/", views.restriction_set, name="restriction_set"),
    path("dossiers/<uuid:case_id>/intervenant/", views.caseworker_set, name="caseworker_set"),
]
