from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The site's front page (a user's roles and tasks) and the navigation menu.

    It sits above the domain apps (it reads accounts and returns), so that `core` imports none of them.
    """

    name = "careplus.home"
    label = "home"
    verbose_name = _("Home")
