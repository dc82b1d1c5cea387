from django.urls import path

from careplus.cases import views

app_name = "cases"

urlpatterns = [
    path("dossiers/", views.case_list, name="case_list"),
    path("dossiers/<uuid:case_id>/", views.case_detail, name="case_detail"),
]
