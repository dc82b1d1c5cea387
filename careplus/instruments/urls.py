from django.urls import path

from careplus.instruments import views

app_name = "instruments"

urlpatterns = [
    path("instruments/", views.instrument_list, name="instrument_list"),
    path("instruments/<slug:kind>/brouillon/", views.draft_create, name="draft_create"),
    path("instruments/versions/<int:instrument_id>/", views.version_detail, name="version_detail"),
    path("instruments/versions/<int:instrument_id>/modifier/<slug:section>/", views.draft_edit, name="draft_edit"),
    path("instruments/versions/<int:instrument_id>/approuver/", views.draft_approve, name="draft_approve"),
    path("instruments/versions/<int:instrument_id>/refuser/", views.draft_refuse, name="draft_refuse"),
]
