#!/usr/bin/env python
"""Django's command-line utility for Parley."""

import os
import sys

import django
from django.core.management import execute_from_command_line

from config.startup import check_services_or_exit

# Commands that talk to the database or serve: check the services first so a wrong URL is one line.
_CHECKED = {"runserver", "migrate", "seed_demo", "shell", "createsuperuser", "connect_channel", "check"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    if len(sys.argv) > 1 and sys.argv[1] in _CHECKED:
        check_services_or_exit()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
