"""Error types that carry an HTTP status and a message a user can act on.

An error has a stable ``code`` (the catalogue key ``error_<code>`` of :mod:`mapservice.i18n`, with
``params`` for its placeholders) so that a page can word it in its own language; ``message`` is the
English text for logs and the command line. :meth:`MapserviceError.text` is the wording for a user.
"""
from __future__ import annotations

from . import i18n


class Reason(str):
    """A reason text that also carries its catalogue ``code`` and the ``params`` of its wording
    (a schema validator's message: marshmallow keeps it as given)."""

    code: str
    params: dict

    def __new__(cls, text: str, code: str, **params):
        reason = super().__new__(cls, text)
        reason.code, reason.params = code, params
        return reason


def field_label(field: str | None, lang: str = "zh") -> str:
    """The words for a request parameter (``radius`` -> ``范围``), or the name when the catalogue has none."""
    if not field:
        return ""
    key = f"field_{field}"
    return i18n.t(key, lang) if key in i18n.catalogue() else field


def wording(code: str, lang: str, field: str | None = None, params: dict | None = None) -> str | None:
    """The catalogue text of ``error_<code>`` in ``lang`` with the field named in words, or None
    when the catalogue has no such entry. A value of ``params`` may be words in each language
    (``{"zh": "行政区", "en": "Districts"}``)."""
    key = f"error_{code}"
    if key not in i18n.catalogue():
        if code not in i18n.catalogue():  # a code that is its own catalogue key (auth_forbidden)
            return None
        key = code

    def shown(value):
        if isinstance(value, dict):
            return value.get(lang, value.get("zh", ""))
        return ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else value

    values = {str(k): shown(v) for k, v in (params or {}).items()}
    return i18n.t(key, lang, **{**values, "field": field_label(field, lang)})


class MapserviceError(Exception):
    """Base error: ``status`` is the HTTP status, ``field`` names the input at fault."""

    status = 500
    #: The code of errors raised without one: the kind of error.
    default_code = "server_error"

    def __init__(self, message: str, field: str | None = None, status: int | None = None,
                 code: str | None = None, params: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status
        self.code = code or self.default_code
        self.params = dict(params or {})

    def text(self, lang: str = "zh") -> str:
        """The message for a user in ``lang``: the catalogue's wording of the code; without one, the
        English message in English and the status's general wording in Chinese (no English in a zh page)."""
        worded = wording(self.code, lang, self.field, self.params)
        if worded is not None:
            return worded
        if lang == "en":
            return self.message
        general = f"http_{self.status}" if f"error_http_{self.status}" in i18n.catalogue() else "http"
        return wording(general, lang, self.field, {"status": self.status})

    def to_dict(self, lang: str | None = None) -> dict:
        """The one error shape; ``message`` in ``lang`` (:meth:`text`), the English message without one."""
        message = self.message if lang is None else self.text(lang)
        return {"error": {"status": self.status, "code": self.code, "field": self.field, "message": message,
                          "params": self.params}}


class BadRequest(MapserviceError):
    """The client sent something wrong (400)."""

    status = 400
    default_code = "bad_request"


class Unauthorized(MapserviceError):
    """Not signed in, or an unknown or revoked token (401)."""

    status = 401


class Forbidden(MapserviceError):
    """Signed in, but without the right for this (403)."""

    status = 403
    default_code = "forbidden"


class NotFound(MapserviceError):
    """The layer or feature does not exist (404)."""

    status = 404
    default_code = "not_found"


class Conflict(MapserviceError):
    """A database constraint refused the change (409), e.g. a duplicate source id."""

    status = 409
    default_code = "conflict"


class Unavailable(MapserviceError):
    """The store cannot answer now (503): its database is unreachable or another process holds it.

    ``retry_after`` is the seconds after which asking again makes sense (the ``Retry-After`` header).
    """

    status = 503
    default_code = "unavailable"

    def __init__(self, message: str, field: str | None = None, status: int | None = None, retry_after: int = 2,
                 code: str | None = None, params: dict | None = None):
        super().__init__(message, field, status, code, params)
        self.retry_after = retry_after


class StoreBusy(Unavailable):
    """Another process is writing to the store and this one was asked not to wait (503)."""


class LayerConfigError(MapserviceError):
    """A layer file is malformed; raised at start-up with the file and field named."""

    status = 500
    default_code = "layer_config"
