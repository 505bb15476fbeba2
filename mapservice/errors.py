"""Error types that carry an HTTP status and a message a user can act on."""
from __future__ import annotations


class MapserviceError(Exception):
    """Base error: ``status`` is the HTTP status, ``field`` names the input at fault."""

    status = 500

    def __init__(self, message: str, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def to_dict(self) -> dict:
        return {"error": {"status": self.status, "message": self.message, "field": self.field}}


class BadRequest(MapserviceError):
    """The client sent something wrong (400)."""

    status = 400


class Unauthorized(MapserviceError):
    """Not signed in, or an unknown or revoked token (401)."""

    status = 401


class Forbidden(MapserviceError):
    """Signed in, but without the right for this (403)."""

    status = 403


class NotFound(MapserviceError):
    """The layer or feature does not exist (404)."""

    status = 404


class Conflict(MapserviceError):
    """A database constraint refused the change (409), e.g. a duplicate source id."""

    status = 409


class Unavailable(MapserviceError):
    """The store cannot answer now (503): its database is unreachable or another process holds it.

    ``retry_after`` is the seconds after which asking again makes sense (the ``Retry-After`` header).
    """

    status = 503

    def __init__(self, message: str, field: str | None = None, status: int | None = None, retry_after: int = 2):
        super().__init__(message, field, status)
        self.retry_after = retry_after


class StoreBusy(Unavailable):
    """Another process is writing to the store and this one was asked not to wait (503)."""


class LayerConfigError(MapserviceError):
    """A layer file is malformed; raised at start-up with the file and field named."""

    status = 500
