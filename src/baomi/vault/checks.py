"""System check: the app refuses to start when key files are readable by others."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from .keys import KeyFilesInsecure, KeysMissing, LocalKeyring


@register("baomi")
def key_files_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        # load from disk every time: the process-wide keyring was checked when it was first
        # loaded, but `check` must see the files' modes as they are now
        LocalKeyring(Path(settings.BAOMI_KEY_DIR))
    except KeyFilesInsecure as exc:
        return [Error(str(exc), hint="chmod 700 the key dir and 600 its files", id="baomi.E001")]
    except KeysMissing:
        return []  # created by `baomi migrate`; /health reports not ready meanwhile
    return []
