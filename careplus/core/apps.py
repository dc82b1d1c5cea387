from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "careplus.core"
    label = "core"
    verbose_name = "CARE+ core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from careplus.core import checks  # noqa: F401 - registers system checks
        from careplus.core.dbfiles import restrict_sqlite_files

        connection_created.connect(restrict_sqlite_files, dispatch_uid="careplus_sqlite_file_modes")
