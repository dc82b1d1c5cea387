from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "careplus.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from careplus.api import schema  # noqa: F401  (registers the authentication scheme)
