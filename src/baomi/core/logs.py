"""No log line holds a query string (issue #9 §4, DESIGN §3 rule 2; ASVS 5.0 V14.2.1,
V16.2.5).

A query string can carry a search criterion — a phone, an ID number, a name — and logs
rest on disk unencrypted. Every request URL that reaches a log is cut at `?`:

* `StripQueryStrings`, a logging filter on baomi's console handler and on Django's
  `django.server` (development server access log) and `django.request` loggers;
* `GunicornLogger`, the `logger_class` for gunicorn (what `baomi serve` runs): its access
  atoms lose the query string, the referrer and the user agent whatever access-log
  format is configured, and its error lines ("Error handling request /x?…") are cut too;
* `ACCESS_LOG_FORMAT`, the access-log format without them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# A URL path (absolute or relative) followed by a query string: keep the path, drop the rest.
_QUERY = re.compile(r"((?:https?://[^\s/?#\"']+)?/[^\s?#\"']*)\?[^\s#\"']*")
REDACTED = "?[query removed]"

# method, path without the query string, protocol, status, bytes, duration, request id
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'


def strip_query(text: str) -> str:
    """`GET /api/v1/customers?phone=138… HTTP/1.1` → `GET /api/v1/customers?[query removed] …`."""
    return _QUERY.sub(lambda m: m.group(1) + REDACTED, text) if "?" in text else text


class StripQueryStrings(logging.Filter):
    """Rewrites a record's message with every URL's query string removed (never drops it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        clean = strip_query(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def _gunicorn_logger_base() -> type:
    try:
        from gunicorn.glogging import Logger
    except ImportError:  # gunicorn not installed: nothing to configure
        return object
    return Logger


class GunicornLogger(_gunicorn_logger_base()):  # type: ignore[misc]
    """gunicorn's logger with query strings, referrers and user agents removed."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["q"] = ""
        atoms["f"] = "-"
        atoms["a"] = "-"
        if "r" in atoms:
            atoms["r"] = strip_query(str(atoms["r"]))
        for key in list(atoms):
            if (
                key.startswith("{")
                and key.endswith("}i")
                and key.lower()
                in {
                    "{referer}i",
                    "{user-agent}i",
                }
            ):
                atoms[key] = "-"
        return atoms

    def _clean(self, msg: object, args: tuple[Any, ...]) -> str:
        text = str(msg) % args if args else str(msg)
        return strip_query(text)

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().error(self._clean(msg, args), **kwargs)

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().warning(self._clean(msg, args), **kwargs)

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().info(self._clean(msg, args), **kwargs)

    def debug(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().debug(self._clean(msg, args), **kwargs)

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().exception(self._clean(msg, args), **kwargs)

    def critical(self, msg: object, *args: Any, **kwargs: Any) -> None:
        super().critical(self._clean(msg, args), **kwargs)
