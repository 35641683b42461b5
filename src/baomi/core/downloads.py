"""Download headers built by Django's helper, never by string formatting (issue #9 §6).

`f'attachment; filename="{name}"'` lets a `"` in the name add header parameters and a
CR/LF end the header (a 500, or response splitting). `content_disposition_header` quotes
ASCII names and percent-encodes the rest (RFC 6266 `filename*`).
"""

from __future__ import annotations

from django.utils.http import content_disposition_header


def attachment(filename: str) -> str:
    return content_disposition_header(True, filename) or "attachment"
