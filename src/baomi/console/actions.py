"""A console form's action: run the service, say what happened in the active language.
A refusal becomes one message — a validation's issues in the language shown, else the
words the page gives for the refusal's code — and nothing else happens."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from baomi.core.errors import BaomiError, ValidationFailed
from baomi.core.i18n import bi

NOT_DONE = ("操作未完成。", "The action was not completed.")


def refusal_text(exc: BaomiError, words: Mapping[str, tuple[str, str]]) -> str:
    if isinstance(exc, ValidationFailed):
        return bi("；".join(i.zh for i in exc.issues), "; ".join(i.en for i in exc.issues))
    return bi(*words.get(exc.code, NOT_DONE))


def attempt(
    request: HttpRequest,
    fn: Callable[[], Any],
    ok: str,
    words: Mapping[str, tuple[str, str]],
) -> Any:
    """`fn()`'s result with `ok` as a success message, or None with the refusal's."""
    try:
        out = fn()
    except BaomiError as exc:
        messages.error(request, refusal_text(exc, words))
        return None
    messages.success(request, ok)
    return out
