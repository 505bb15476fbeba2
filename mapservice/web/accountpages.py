"""Sign-in (/login), sign-out (/logout) and who am I (/api/me)."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import jsonify, redirect, render_template, request, url_for

from ..auth import TooManyAttempts, Unauthorized, authorize
from ..i18n import pick_lang, t
from . import auth
from .accountschemas import Me

bp = APIBlueprint("accounts", __name__, enable_openapi=False)
api_bp = APIBlueprint("accounts_api", __name__, url_prefix="/api")


def _lang() -> str:
    return pick_lang(request.values.get("lang"))


def safe_next(target: str | None) -> str | None:
    """Where to go after signing in: a path of this site only (never ``//host`` or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or len(target) > 2000:
        return None
    return target if all(ch.isprintable() for ch in target) else None


@bp.get("/login")
def login():
    lang = _lang()
    return render_template("login.html", lang=lang, next=safe_next(request.args.get("next")), error=None,
                           username="")


@bp.post("/login")
def login_post():
    lang = _lang()
    username, password = request.form.get("username", ""), request.form.get("password", "")
    target = safe_next(request.form.get("next"))
    try:
        user = auth.accounts().sign_in(username, password)
    except (Unauthorized, TooManyAttempts) as exc:
        key, values = exc.i18n
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else {}
        return render_template("login.html", lang=lang, next=target, error=t(key, lang, **values),
                               username=username[:40]), exc.status, headers
    auth.sign_in(user)
    return redirect(target or url_for("pages.index", lang="en" if lang == "en" else None), 303)


@bp.post("/logout")
def logout():
    auth.sign_out()
    lang = _lang()
    return redirect(url_for("pages.index", lang="en" if lang == "en" else None), 303)


@api_bp.get("/me")
@api_bp.auth_required(auth.token_auth, optional=True)
@api_bp.output(Me)
@api_bp.doc(responses={401: "not signed in"})
def me():
    """The signed-in user (by session cookie or Bearer token): id, username, role, features; 401 for nobody."""
    user = authorize(auth.current_user(), "signed_in")
    return jsonify(user=user.to_dict(), csrf_token=auth.csrf_token() if "Authorization" not in request.headers
                   else None)
