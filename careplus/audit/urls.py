from django.urls import path

from careplus.audit import views

app_name = "audit"

urlpatterns = [
    path("journal/", views.event_list, name="event_list"),
    path("journal/export/", views.event_export, name="event_export"),
]
