"""Who is asking: a browser session (Flask's signed cookie holding the user id and their session
version) or an API token (``Authorization: Bearer``), and the CSRF check on browser requests that
change something.

CSRF: a random token is kept in the session and sent back by the pages (a hidden ``csrf_token``
field in forms, the ``X-CSRF-Token`` header from the scripts); a state-changing request that carries
the session cookie without it is refused (400). A request with a Bearer token carries no ambient
credential and is exempt; so is one with no session cookie at all, which cannot act for anybody.
"""
from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta

from apiflask import HTTPTokenAuth
from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from .. import auth
from ..auth import Accounts, User
from ..errors import BadRequest, MapserviceError
from . import service

CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_SAFE = ("GET", "HEAD", "OPTIONS")

#: The API's security scheme in /openapi.json; views ask :func:`current_user`, which reads it too.
token_auth = HTTPTokenAuth(scheme="Bearer", description="An API token from `mapservice users token USERNAME`")


@token_auth.verify_token
def _verify(token):
    return current_user()


class _SessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose cookie is ``Secure`` whenever the request came over HTTPS (behind
    a proxy only when MAPSERVICE_TRUST_PROXY lets X-Forwarded-Proto say so)."""

    def get_cookie_secure(self, app) -> bool:
        return request.is_secure


def accounts() -> Accounts:
    return Accounts(service().store)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def current_user() -> User | None:
    """The signed-in user of this request, or None: from a Bearer token when the request has an
    Authorization header (a bad one is nobody), else from the session cookie while its version is current."""
    if "current_user" not in g:
        g.current_user = _find_user()
    return g.current_user


def _find_user() -> User | None:
    if "Authorization" in request.headers:
        token = _bearer()
        return accounts().by_token(token) if token else None
    uid, version, since = session.get("uid"), session.get("sv"), session.get("at")
    if uid is None:
        return None
    lifetime = service().settings.session_hours * 3600
    if not isinstance(since, (int, float)) or time.time() - since > lifetime:
        session.pop("uid", None)
        return None
    return accounts().by_session(uid, version)


def signed_in_user() -> User | None:
    """:func:`current_user` for the top bar of a page: nobody when the store cannot say (an error page
    rendered while the database is away must still render)."""
    try:
        return current_user()
    except MapserviceError:
        return None


def open_reports() -> int | None:
    """The open error reports, for an admin's top bar (None for anyone else, or when the store cannot say)."""
    from ..reports import open_count

    try:
        return open_count(service().store, current_user())
    except MapserviceError:
        return None


def script_account(layers, lang: str) -> dict:
    """What a page's script needs to know of its user: ``me`` (None for a visitor), the session's CSRF token
    (none is made for a visitor without a session, so no cookie is set for them) and the edit forms' schema."""
    user = signed_in_user()
    if user is None:  # a visitor whose browser holds a session (from /login) sends its token too
        return {"me": None, "csrf": session.get("csrf"), "schema": {}}
    editable = [layer for layer in layers if user.is_admin or any(layer.id == lid for lid, _ in user.features)]
    return {"me": {**user.to_dict(), "is_admin": user.is_admin}, "csrf": csrf_token(),
            "schema": {layer.id: edit_schema(layer, lang) for layer in editable} if user.role != "school" else {}}


def edit_schema(layer, lang: str) -> dict:
    """What the map's edit form is built from: the layer file's attributes, labelled in ``lang``."""
    return {"point": layer.is_point, "attributes": [
        {"name": a.name, "type": a.type, "label": a.label(lang), "required": a.required, "min": a.min, "max": a.max,
         "values": [[code, labels.get(lang, labels.get("zh", code))] for code, labels in a.values.items()]}
        for a in layer.attributes]}


def sign_in(user: User) -> None:
    """Start a browser session for ``user`` (a new session: a new CSRF token too)."""
    session.clear()
    session.permanent = True
    session.update(uid=user.id, sv=user.session_version, at=int(time.time()), csrf=secrets.token_urlsafe(24))
    g.current_user = user


def sign_out() -> None:
    session.clear()
    g.current_user = None


def csrf_token() -> str:
    """This session's CSRF token (made on first use, which starts a session cookie)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a state-changing request that carries the session cookie without this session's token."""
    if request.method in _SAFE or "Authorization" in request.headers:
        return
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies and request.path.startswith("/api/"):
        return
    sent = request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD) if request.form else None)
    expected = session.get("csrf")
    if not sent or not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise auth.translated(BadRequest(auth.t("auth_csrf"), field=CSRF_FIELD), "auth_csrf")


def init_app(app: Flask) -> None:
    settings = app.extensions["mapservice"].settings
    app.secret_key = auth.secret_key(settings)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="yuren_session",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours))
    app.session_interface = _SessionInterface()
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.jinja_env.globals.update(signed_in_user=signed_in_user, open_reports=open_reports, csrf_token=csrf_token,
                                 may=auth.may)
    app.before_request(check_csrf)
