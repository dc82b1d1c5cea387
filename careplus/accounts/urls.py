from django.urls import path

from careplus.accounts import views, views_offices, views_staff

app_name = "accounts"

urlpatterns = [
    path("bureaux/", views_offices.office_list, name="office_list"),
    path("bureaux/nouveau/", views_offices.office_create, name="office_create"),
    path("bureaux/<uuid:office_id>/", views_offices.office_detail, name="office_detail"),
    path("bureaux/<uuid:office_id>/desactiver/", views_offices.office_deactivate, name="office_deactivate"),
    path("bureaux/<uuid:office_id>/reactiver/", views_offices.office_reactivate, name="office_reactivate"),
    path("organisations/", views_offices.organisation_list, name="organisation_list"),
    path("organisations/nouvelle/", views_offices.organisation_create, name="organisation_create"),
    path("organisations/<uuid:organisation_id>/", views_offices.organisation_detail, name="organisation_detail"),
    path(
        "organisations/<uuid:organisation_id>/inviter/",
        views_offices.organisation_invite,
        name="organisation_invite",
    ),
    path(
        "organisations/<uuid:organisation_id>/desactiver/",
        views_offices.organisation_deactivate,
        name="organisation_deactivate",
    ),
    path(
        "organisations/<uuid:organisation_id>/reactiver/",
        views_offices.organisation_reactivate,
        name="organisation_reactivate",
    ),
    path(
        "organisations/<uuid:organisation_id>/suspendre-le-portail/",
        views_offices.organisation_suspend,
        name="organisation_suspend",
    ),
    path(
        "organisations/<uuid:organisation_id>/retablir-le-portail/",
        views_offices.organisation_resume,
        name="organisation_resume",
    ),
    path("connexion/", views.login_view, name="login"),
    path("connexion/code/", views.otp_verify, name="otp_verify"),
    path("connexion/authentificateur/", views.otp_setup, name="otp_setup"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("mot-de-passe/oubli/", views.password_reset, name="password_reset"),
    path("mot-de-passe/oubli/envoye/", views.password_reset_done, name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("mot-de-passe/nouveau/fait/", views.password_reset_complete, name="password_reset_complete"),
    path("compte/", views.account, name="account"),
    path("compte/mot-de-passe/", views.password_change, name="password_change"),
    path("compte/codes-de-secours/", views.recovery_codes_regenerate, name="recovery_codes"),
    path("compte/jetons/", views.api_tokens, name="api_tokens"),
    path("compte/jetons/<uuid:token_id>/revoquer/", views.api_token_revoke, name="api_token_revoke"),
    path("utilisateurs/", views.user_list, name="user_list"),
    path("utilisateurs/nouveau/", views.user_create, name="user_create"),
    path("utilisateurs/<uuid:user_id>/", views.user_detail, name="user_detail"),
    path("utilisateurs/<uuid:user_id>/roles/", views.user_grant, name="user_grant"),
    path(
        "utilisateurs/<uuid:user_id>/roles/<uuid:grant_id>/revoquer/",
        views.user_revoke,
        name="user_revoke",
    ),
    path("utilisateurs/<uuid:user_id>/desactiver/", views.user_deactivate, name="user_deactivate"),
    path("utilisateurs/departs/", views_staff.staff_leaving_list, name="staff_leaving_list"),
    path("utilisateurs/<uuid:user_id>/depart/", views_staff.staff_leaving, name="staff_leaving"),
    path("utilisateurs/<uuid:user_id>/reactiver/", views.user_reactivate, name="user_reactivate"),
    path(
        "utilisateurs/<uuid:user_id>/double-authentification/",
        views.user_reset_second_factor,
        name="user_reset_second_factor",
    ),
    path(
        "utilisateurs/<uuid:user_id>/invitation/",
        views.user_resend_invitation,
        name="user_resend_invitation",
    ),
]
