from django.urls import path

from careplus.returns import views

app_name = "returns"

P = "dossiers/<uuid:case_id>/retour/"

urlpatterns = [
    path(P, views.overview, name="overview"),
    path(P + "depart/", views.departure_edit, name="departure_edit"),
    path(P + "trajets/", views.leg_add, name="leg_add"),
    path(P + "arrivee/", views.arrival_add, name="arrival_add"),
    path(P + "arrivee/<uuid:item_id>/fournie/", views.arrival_deliver, name="arrival_deliver"),
    path(P + "plan/", views.plan_add, name="plan_add"),
    path(P + "plan/<uuid:item_id>/approuver/", views.plan_approve, name="plan_approve"),
    path(P + "plan/<uuid:item_id>/fourni/", views.plan_deliver, name="plan_deliver"),
    path(P + "plan/<uuid:item_id>/annuler/", views.plan_cancel, name="plan_cancel"),
    path(P + "plafond/", views.ceiling_exception, name="ceiling_exception"),
    path(P + "visites/", views.visit_add, name="visit_add"),
    path(P + "visites/<uuid:visit_id>/", views.visit_record, name="visit_record"),
    path(P + "visites/<uuid:visit_id>/manquee/", views.visit_missed, name="visit_missed"),
    path(P + "alertes/<int:alert_id>/", views.alert_resolve, name="alert_resolve"),
]
