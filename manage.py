#!/usr/bin/env python
"""Django's command-line utility for Lodestar CRM."""

import os
import secrets
import sys

# Commands that only read the models and write or compare migration files: they sign nothing and serve nothing, so
# they run without the production secret (a developer or a pre-commit check need not set one).
NEEDS_NO_SECRET = {"makemigrations"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    if len(sys.argv) > 1 and sys.argv[1] in NEEDS_NO_SECRET:
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - read the settings now, so a bad environment fails with its reason
    except ImproperlyConfigured as exc:
        sys.exit(
            f"Lodestar cannot start: {exc}\n"
            "For development set DEBUG=1 (make run and make test do); in production set SECRET_KEY and the other "
            "variables listed in README.md (Configuration)."
        )
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
