"""Staff usernames (issue #9 §6; ASVS 5.0 V2.2.1, V1.2.10, V16.4.1).

A username is shown in the console, written to audit events and logs, and exported to
CSV (access review). So it is an identifier, not free text: letters (any script), digits
and `. _ @ + -` (Django's Unicode username rule), at most 150 characters — which leaves
out control characters, bidi overrides, zero-width and other invisible characters,
spaces and markup (`< > & " '`); full-width look-alikes are refused too (NFKC). It may
not START with a spreadsheet formula trigger (`= + - @`; tab and CR are refused anyway)
so that no export can turn it into a formula.
"""

from __future__ import annotations

import re
import unicodedata

from baomi.core.errors import FieldIssue, ValidationFailed

MAX_LEN = 150
_ALLOWED = re.compile(r"[\w.@+-]+\Z")
_FORMULA_START = frozenset("=+-@")


def _refuse(code: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed([FieldIssue("username", code, en, zh)])


def clean_username(value: object) -> str:
    """The username as given, or ValidationFailed (field `username`); never echoes it."""
    s = "" if value is None else str(value)
    if not s.strip():
        raise _refuse("required", "username is required", "用户名必填")
    if len(s) > MAX_LEN:
        raise _refuse(
            "username_too_long",
            f"username is longer than {MAX_LEN} characters",
            f"用户名超过 {MAX_LEN} 个字符",
        )
    if not _ALLOWED.match(s):
        raise _refuse(
            "username_chars",
            "username may contain only letters, digits and . _ @ + -",
            "用户名只能包含文字、数字和 . _ @ + -",
        )
    if unicodedata.normalize("NFKC", s) != s:  # full-width ａｄｍｉｎ would pass for admin
        raise _refuse(
            "username_chars",
            "username may contain only letters, digits and . _ @ + - (no full-width forms)",
            "用户名只能包含文字、数字和 . _ @ + -（不可使用全角字符）",
        )
    if s[0] in _FORMULA_START:
        raise _refuse(
            "username_start",
            "username may not start with = + - or @",
            "用户名不能以 = + - @ 开头",
        )
    return s
