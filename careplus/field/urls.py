from django.urls import URLPattern, path

from careplus.field import views

app_name = "field"

urlpatterns: list[URLPattern] = [
    path("", views.app, name="app"),
    path("etat/", views.state, name="state"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
