#!/usr/bin/env python
"""Django's command-line utility for CARE+."""

import os
import sys


def main() -> None:
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    from config.settings.env import MissingSettingError

    try:
        execute_from_command_line(sys.argv)
    except MissingSettingError as error:
        sys.exit(str(error))


if __name__ == "__main__":
    main()
