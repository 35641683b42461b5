"""`baomi migrate`: Django's migrate, plus key creation when keys are missing."""

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate

from baomi.vault.keys import KeysMissing, ensure_keys, get_keyring


class Command(DjangoMigrate):
    help = "Create keys in BAOMI_KEY_DIR if missing, then apply database migrations."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            get_keyring()
        except KeysMissing:
            ring = ensure_keys()
            self.stdout.write(f"Created keys in {ring.directory} (mode 0700/0600).")
        super().handle(*args, **options)
