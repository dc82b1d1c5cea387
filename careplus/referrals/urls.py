from django.urls import path

from careplus.referrals import views

app_name = "referrals"

urlpatterns = [
    path("orientations/", views.referral_list, name="referral_list"),
    path("orientations/nouvelle/", views.referral_create, name="referral_create"),
    path("orientations/<uuid:referral_id>/", views.referral_detail, name="referral_detail"),
    path(
        "orientations/<uuid:referral_id>/reperage/",
        views.referral_screening,
        name="referral_screening",
    ),
    path("orientations/<uuid:referral_id>/decision/", views.referral_decide, name="referral_decide"),
]
