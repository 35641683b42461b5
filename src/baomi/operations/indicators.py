"""Indicators of the operations domain (filled in by a later increment)."""

from __future__ import annotations

from typing import Any

INDICATORS: tuple[Any, ...] = ()
