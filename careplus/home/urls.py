from django.urls import path

from careplus.home import views

app_name = "home"

urlpatterns = [
    path("", views.home, name="home"),
    path("sante/", views.health, name="health"),
]
