from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Fictional data: `seed_demo` (the demo programme and one user per role), `demo_otp` and
    `generate_synthetic` (case files at scale, for benchmarks and drills).

    It sits above every domain app and no production code imports it. Its commands refuse to run
    unless CAREPLUS_DEMO_ALLOWED is true (never in production).
    """

    name = "careplus.demo"
    label = "demo"
    verbose_name = "CARE+ demo data"
