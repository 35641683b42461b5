"""Settings of the rights workflow, read from Django settings with documented defaults
(env: BAOMI_RIGHTS_NEAR_DUE_WORKING_DAYS,
BAOMI_ERASURE_JOURNAL)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings


def near_due_working_days() -> int:
    """A request with this many working days left or fewer is flagged near due."""
    return int(
        getattr(
            settings,
            "BAOMI_RIGHTS_NEAR_DUE_WORKING_DAYS",
            os.environ.get("BAOMI_RIGHTS_NEAR_DUE_WORKING_DAYS", "3"),
        )
    )


def erasure_journal_path() -> Path:
    """The erasure journal file kept beside the keys (not in database backups): ids, times
    and bases of erased customers, replayed by `baomi restore`."""
    configured = getattr(settings, "BAOMI_ERASURE_JOURNAL", None) or os.environ.get(
        "BAOMI_ERASURE_JOURNAL"
    )
    if configured:
        return Path(configured)
    return Path(settings.BAOMI_KEY_DIR) / "erasure-journal.jsonl"
