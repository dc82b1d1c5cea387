from django.urls import path

from careplus.accounts import views

app_name = "accounts"

urlpatterns = [
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
