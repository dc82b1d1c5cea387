from django.urls import path

from careplus.trainings import views

app_name = "trainings"

urlpatterns = [
    path("formations/", views.session_list, name="session_list"),
    path("formations/nouvelle/", views.session_create, name="session_create"),
    path("formations/<uuid:session_id>/", views.session_detail, name="session_detail"),
    path("formations/<uuid:session_id>/modifier/", views.session_edit, name="session_edit"),
    path("formations/<uuid:session_id>/lien/", views.registration_toggle, name="registration_toggle"),
    path("formations/<uuid:session_id>/import/", views.import_sheet, name="import_sheet"),
    path("formations/<uuid:session_id>/attestations/", views.certificates_zip, name="certificates_zip"),
    path("formations/<uuid:session_id>/attestations/<uuid:participation_id>/", views.certificate, name="certificate"),
    path(
        "formations/<uuid:session_id>/participants/<uuid:participation_id>/modification/",
        views.proposal_decide,
        name="proposal_decide",
    ),
    path("formations/<uuid:session_id>/supports/", views.material_add, name="material_add"),
    path(
        "formations/<uuid:session_id>/supports/<uuid:material_id>/", views.material_download, name="material_download"
    ),
    path("inscription/<str:token>/", views.registration, name="registration"),
]
