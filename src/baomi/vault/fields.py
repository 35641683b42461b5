"""`SealedField`: a column that only ever holds AES-GCM ciphertext (bytes).

Reading the attribute yields opaque bytes; only the access gate turns them into values.
"""

from typing import Any

from django.db import models


class SealedField(models.BinaryField):
    """Marker type: the catalogue test and the gate test find personal columns by it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)
