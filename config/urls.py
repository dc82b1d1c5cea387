from django.urls import include, path
from django.views.i18n import set_language

from careplus.access.decorators import public
from careplus.core.http import methods

urlpatterns = [
    path("", include("careplus.home.urls")),
    path("", include("careplus.accounts.urls")),
    path("", include("careplus.cases.urls")),
    path("", include("careplus.returns.urls")),
    path("", include("careplus.trainings.urls")),
    path("", include("careplus.reporting.urls")),
    path("", include("careplus.programmes.urls")),
    path("", include("careplus.instruments.urls")),
    path("", include("careplus.search.urls")),
    path("", include("careplus.referrals.urls")),
    path("", include("careplus.audit.urls")),
    path("", include("careplus.privacy.urls")),
    path("terrain/", include("careplus.field.urls")),
    path("api/", include("careplus.api.urls")),
    path("langue/", public(methods("POST")(set_language)), name="set_language"),
]

handler400 = "careplus.api.handlers.bad_request"
handler403 = "careplus.api.handlers.permission_denied"
handler404 = "careplus.api.handlers.not_found"
handler500 = "careplus.api.handlers.server_error"
