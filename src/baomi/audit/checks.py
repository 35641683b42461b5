"""System check: the audit signing key is held to the keyring's rule (issue #9 §4).

The key that signs checkpoints is as secret as the KEKs: anyone who can read it can sign a
rewritten log. `baomi check`, `baomi serve` and the WSGI start-up refuse a key file or key
directory that group or others can reach (baomi.E002), as baomi.E001 does for the keyring.
"""

from typing import Any

from django.core.checks import Error, register

from .checkpoints import SigningKeyInsecure, check_signing_key


@register("baomi")
def signing_key_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        check_signing_key()
    except SigningKeyInsecure as exc:
        return [
            Error(
                str(exc),
                hint="chmod 700 the key directory and 600 audit-signing.key",
                id="baomi.E002",
            )
        ]
    return []
