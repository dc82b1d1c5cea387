from django.urls import path

from careplus.programmes import views

app_name = "programmes"

urlpatterns = [
    path("programmes/", views.programme_list, name="programme_list"),
    path("programmes/nouveau/", views.programme_edit, name="programme_create"),
    path("programmes/<uuid:programme_id>/", views.programme_edit, name="programme_edit"),
    path("programmes/<uuid:programme_id>/taux/", views.programme_rates, name="programme_rates"),
]
