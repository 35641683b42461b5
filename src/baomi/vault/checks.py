"""System check: the app refuses to start when key files are readable by others."""

from typing import Any

from django.core.checks import Error, register

from .keys import KeyFilesInsecure, KeysMissing, get_keyring


@register("baomi")
def key_files_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        get_keyring()
    except KeyFilesInsecure as exc:
        return [Error(str(exc), hint="chmod 700 the key dir and 600 its files", id="baomi.E001")]
    except KeysMissing:
        return []  # created by `baomi migrate`; /health reports not ready meanwhile
    return []
