from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "careplus.core"
    label = "core"
    verbose_name = "CARE+ core"

    def ready(self) -> None:
        from careplus.core import checks  # noqa: F401 - registers system checks
