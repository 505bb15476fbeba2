"""Accounts (账号): users and their roles, passwords, API tokens, sign-in throttling, and the one
authorization decision, :func:`authorize`, that every view and command asks.

Roles: ``admin`` (教育局) may do everything; ``base_manager`` (基地管理员) edits the facts of the
``practice_bases`` features they are tied to; ``school`` (学校) stands for one ``schools`` feature
(its bookings: mapservice.booking). Anonymous visitors (families) read and send error reports.

Passwords are hashed with werkzeug's scrypt; API tokens are shown once and kept only as their
SHA-256 digest. Failed sign-ins are counted in the store, so the limit holds across worker
processes and restarts. Nothing here logs a password, a token or a hash.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from .errors import BadRequest, Conflict, Forbidden, MapserviceError, NotFound, Unauthorized
from .i18n import t
from .layers import Role
from .settings import Settings, SettingsError, variable
from .store.accounts import ROLES, parse_features

MIN_PASSWORD = 10
MAX_PASSWORD = 200
#: Sign-in throttling: this many failures for one username within the window lock it for the rest of it.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
#: A token's last-used time is written at most this often (a read should not be a write each time).
TOKEN_TOUCH = timedelta(minutes=1)
TOKEN_PREFIX = "ym_"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
_TOKEN_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
_FEATURE = re.compile(r"^([a-z_][a-z0-9_]*):(\d{1,18})$")
#: Passwords anyone tries first (lower-cased); long enough to pass the length rule, still refused.
COMMON_PASSWORDS = frozenset("""
1234567890 0123456789 12345678910 1234567890a 1234567890q qwertyuiop qwertyuiop1 1q2w3e4r5t
1qaz2wsx3edc qazwsxedc123 password12 password123 password1234 passw0rd123 abc1234567 abcd123456
a123456789 aa12345678 asdfghjkl1 asdfghjkl; iloveyou12 woaini1314 woaini5201314 5201314520
1314520520 11111111111 0000000000 1111111111 8888888888 6666666666 9876543210 administrator
admin12345 admin123456 root123456 welcome123 letmein123 zhang123456 wang123456 li123456789
yuren12345 yurenmap123 changeme123 football12 baseball12 sunshine12 princess12 qwerty1234
""".split())


class TooManyAttempts(MapserviceError):
    """Too many failed sign-ins for this username lately (429); ``retry_after`` in seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int, field: str | None = None):
        super().__init__(message, field)
        self.retry_after = retry_after


def translated(error: MapserviceError, key: str, **values) -> MapserviceError:
    """``error`` marked with its catalogue text (its ``code``), so that it is worded in the user's language."""
    error.i18n = (key, values)
    error.code, error.params = key, dict(values)
    return error


def _error(cls, key: str, field: str | None = None, **values) -> MapserviceError:
    return translated(cls(t(key, "zh", **values), field=field), key, **values)


def too_many(oldest: str, window: timedelta, now: datetime, key: str, field: str | None = None) -> TooManyAttempts:
    """The 429 of a limit of events within ``window`` whose oldest counted one happened at ``oldest``:
    ``Retry-After`` is when that one stops counting."""
    until = datetime.strptime(oldest, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) + window
    wait = max(1, int((until - now).total_seconds()) + 1)
    minutes = -(-wait // 60)
    return translated(TooManyAttempts(t(key, "zh", minutes=minutes), wait, field), key, minutes=minutes)


def now_text(now: datetime | None = None) -> str:
    """UTC as ISO 8601 text to the second (the form every account time is stored in)."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class User:
    """A signed-in person: ``features`` are the (layer id, feature id) they stand for or run."""

    id: int
    username: str
    role: str
    features: tuple[tuple[str, int], ...] = ()
    disabled: bool = False
    session_version: int = 1

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def to_dict(self) -> dict:
        return {"id": self.id, "username": self.username, "role": self.role,
                "features": [{"layer": layer, "id": fid} for layer, fid in self.features], "disabled": self.disabled}


def _user(row) -> User:
    uid, username, role, features, disabled, version, _ = row
    return User(int(uid), username, role, parse_features(features), bool(disabled), int(version))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _key(text: str) -> str:
    """What a throttling row is keyed by: a digest, so usernames and addresses are not kept as they are."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- checks of what a person types ----------------------------------------------------------

def check_username(username) -> str:
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise _error(BadRequest, "auth_bad_username", "username")
    return username


def check_password(password, username: str = "") -> str:
    """``password`` if it may be used: at least :data:`MIN_PASSWORD` characters, not a common one,
    not the username. The message never repeats the password."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise _error(BadRequest, "auth_password_short", "password", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise _error(BadRequest, "auth_password_long", "password", max=MAX_PASSWORD)
    if password.lower() in COMMON_PASSWORDS or (username and username.lower() in password.lower()):
        raise _error(BadRequest, "auth_password_common", "password")
    return password


def check_role(role, features, layers) -> tuple[str, tuple[tuple[str, int], ...]]:
    """The role and its features (``LAYER:ID`` texts or pairs), checked against the layers: a base
    manager runs one or more bases (features of layers that take bookings), a school user stands for one
    demand point (a school), an admin for none."""
    if role not in ROLES:
        raise _error(BadRequest, "auth_bad_role", "role", roles=", ".join(ROLES))
    pairs = []
    for item in features or ():
        if isinstance(item, str):
            match = _FEATURE.match(item.strip())
            if not match:
                raise _error(BadRequest, "auth_bad_feature", "features", value=item[:40])
            item = (match.group(1), int(match.group(2)))
        layer, fid = item
        if layer not in layers:
            raise _error(BadRequest, "auth_bad_feature", "features", value=f"{layer}:{fid}")
        pairs.append((layer, int(fid)))
    pairs = tuple(dict.fromkeys(pairs))
    # The layer files say which layers these are: bases take bookings, schools are demand points.
    fits = {"admin": lambda layer: False, "base_manager": lambda layer: layer.role(Role.BOOKABLE) is not None,
            "school": lambda layer: layer.kind == "demand" and layer.is_point}[role]
    if not all(fits(layers[layer]) for layer, _ in pairs) or (role != "admin" and not pairs) \
            or (role == "school" and len(pairs) != 1):
        raise _error(BadRequest, f"auth_features_{role}", "features")
    return role, pairs


# werkzeug is imported where a password is hashed or checked: importing it loads its web half too, which
# the core (the importer records its imports through this module) keeps out.
def hash_password(password: str) -> str:
    """werkzeug's default hash: scrypt with a random salt."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password)


def _password_matches(hashed: str | None, password: str) -> bool:
    """Whether ``password`` is the one of ``hashed``; with no hash (an unknown username) one made up is
    checked, so that the answer takes as long as for a wrong password."""
    from werkzeug.security import check_password_hash

    return check_password_hash(hashed or _dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


class Accounts:
    """Users, tokens and sign-in of one store (its ``accounts`` tables)."""

    def __init__(self, store, clock=None):
        self.store = store
        self.tables = store.accounts
        self.clock = clock or (lambda: datetime.now(UTC))

    # -- users --------------------------------------------------------------------------
    def add_user(self, username: str, role: str, password: str, features=()) -> User:
        username = check_username(username)
        role, pairs = check_role(role, features, self.store.layers)
        check_password(password, username)
        with self.store.transaction():
            if self.tables.user_row(username=username):
                raise _error(Conflict, "auth_user_exists", "username", username=username)
            uid = self.tables.add_user(username, role, hash_password(password), pairs, now_text(self.clock()))
        return self.user(uid)

    def user(self, user_id: int) -> User:
        row = self.tables.user_row(user_id=user_id)
        if row is None:
            raise _error(NotFound, "auth_no_user", "user", username=str(user_id))
        return _user(row)

    def by_username(self, username: str) -> User:
        row = self.tables.user_row(username=username) if isinstance(username, str) and _USERNAME.match(username) \
            else None
        if row is None:
            raise _error(NotFound, "auth_no_user", "username", username=str(username)[:40])
        return _user(row)

    def users(self) -> list[User]:
        return [_user(row) for row in self.tables.user_rows()]

    def orphans(self, user: User) -> list[tuple[str, int]]:
        """The features ``user`` is tied to that no longer exist (listed as such; they give no rights)."""
        gone = []
        for layer, fid in user.features:
            try:
                self.store.get(layer, fid)
            except NotFound:
                gone.append((layer, fid))
        return gone

    def set_password(self, user: User, password: str) -> None:
        """Change the password; every session of the user ends."""
        self.tables.set_password(user.id, hash_password(check_password(password, user.username)))

    def set_disabled(self, user: User, disabled: bool = True) -> None:
        """Disable (or enable again) a user; their sessions end and their tokens stop working."""
        self.tables.set_disabled(user.id, disabled)

    def set_role(self, user: User, role: str, features=()) -> User:
        role, pairs = check_role(role, features, self.store.layers)
        self.tables.set_role(user.id, role, pairs)
        return self.user(user.id)

    # -- tokens -------------------------------------------------------------------------
    def create_token(self, user: User, name: str = "default") -> str:
        """A new API token for ``user``: returned once; the store keeps only its digest."""
        if not isinstance(name, str) or not _TOKEN_NAME.match(name):
            raise _error(BadRequest, "auth_bad_token_name", "name")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.store.transaction():
            if any(row[1] == name for row in self.tables.tokens(user.id)):
                raise _error(Conflict, "auth_token_exists", "name", name=name)
            self.tables.add_token(user.id, name, token_digest(token), now_text(self.clock()))
        return token

    def tokens(self, user: User) -> list[dict]:
        return [{"id": int(tid), "name": name, "created_at": created, "last_used_at": used}
                for tid, name, created, used in self.tables.tokens(user.id)]

    def revoke_token(self, user: User, name: str) -> None:
        if not isinstance(name, str) or not _TOKEN_NAME.match(name) or not self.tables.delete_token(user.id, name):
            raise _error(NotFound, "auth_no_token", "name", name=str(name)[:40])

    def by_token(self, token: str) -> User | None:
        """The active user a token belongs to, or None (unknown, revoked, or the user is disabled)."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        found = self.tables.token_user(token_digest(token))
        if found is None:
            return None
        token_id, user_id, last_used = found
        user = _user(self.tables.user_row(user_id=user_id))
        if user.disabled:
            return None
        now = self.clock()
        if last_used is None or last_used < now_text(now - TOKEN_TOUCH):
            self.tables.touch_token(token_id, now_text(now))
        return user

    def by_session(self, user_id, version) -> User | None:
        """The user of a browser session holding ``user_id`` and ``version``, while that is still current."""
        if isinstance(user_id, bool) or not isinstance(user_id, int) or not isinstance(version, int):
            return None
        row = self.tables.user_row(user_id=user_id)
        user = _user(row) if row else None
        return user if user and not user.disabled and user.session_version == version else None

    # -- sign-in ------------------------------------------------------------------------
    def sign_in(self, username, password) -> User:
        """The user whose username and password these are. After :data:`MAX_FAILURES` failures within
        :data:`FAILURE_WINDOW` every attempt is refused (:class:`TooManyAttempts`), the right password too;
        a success clears the count. An unknown username is answered like a wrong password, as slowly."""
        if not isinstance(username, str) or not isinstance(password, str) or len(password) > MAX_PASSWORD:
            raise _error(Unauthorized, "auth_wrong_password", "password")
        username = username.strip().lower()[:40]
        key, now = _key(username), self.clock()
        count, oldest = self.tables.events_since("login", key, now_text(now - FAILURE_WINDOW))
        if count >= MAX_FAILURES:
            raise too_many(oldest, FAILURE_WINDOW, now, "auth_throttled", "username")
        row = self.tables.user_row(username=username) if _USERNAME.match(username) else None
        good = _password_matches(row[6] if row else None, password)
        user = _user(row) if row else None
        if not good or user is None or user.disabled:
            self.tables.add_event("login", key, now_text(now))
            self.tables.forget_events_before("login", now_text(now - FAILURE_WINDOW))
            raise _error(Unauthorized, "auth_wrong_password", "password")
        self.tables.clear_events("login", key)
        return user


# -- authorization: the one decision --------------------------------------------------------

#: What each action needs. ``own_base``: an admin, or a base manager tied to the feature (a practice base).
ACTIONS = {
    "users.manage": "admin",
    "feature.create": "admin",
    "feature.move": "admin",
    "feature.delete": "admin",
    "feature.edit": "own_base",
    "feature.changes": "admin",
    "reports.read": "admin",
    "reports.close": "admin",
    "signed_in": "any",
}


def authorize(user: User | None, action: str, obj: tuple[str, int] | None = None) -> User:
    """``user`` when they may do ``action`` on ``obj`` (a (layer id, feature id)); else
    :class:`Unauthorized` (401) for nobody signed in and :class:`~mapservice.errors.Forbidden` (403) for
    a user without the right. Every feature is public, so none answers 404 here."""
    need = ACTIONS[action]
    if user is None or user.disabled:
        raise _error(Unauthorized, "auth_sign_in_first")
    if user.is_admin or need == "any":
        return user
    # A base manager's features were checked to be bases (bookable layers) when they were given.
    if need == "own_base" and user.role == "base_manager" and obj is not None \
            and (obj[0], int(obj[1])) in user.features:
        return user
    raise _error(Forbidden, "auth_forbidden")


def may(user: User | None, action: str, obj: tuple[str, int] | None = None) -> bool:
    """Whether :func:`authorize` would let ``user`` do ``action`` (what pages show and hide)."""
    try:
        authorize(user, action, obj)
    except MapserviceError:
        return False
    return True


# -- the key that signs browser sessions ----------------------------------------------------

def secret_key_file(settings: Settings) -> Path:
    path = Path(settings.database_url)
    return path.with_name(path.name + ".secret-key")


def secret_key(settings: Settings) -> str:
    """``MAPSERVICE_SECRET_KEY``; on the embedded store without one, a key generated on first run and kept
    beside the store file (mode 0600) so that sessions survive restarts. PostGIS without one is refused:
    its servers may be many, and each would sign with a key of its own."""
    if settings.secret_key:
        if len(settings.secret_key) < 16:
            raise SettingsError(f"{variable('secret_key')} must be at least 16 characters",
                                field=variable("secret_key"))
        return settings.secret_key
    if settings.uses_postgis:
        raise SettingsError(
            f"{variable('secret_key')} is not set: on PostGIS set it to one long random value shared by every server, "
            f"e.g. {variable('secret_key')}=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')",
            field=variable("secret_key"))
    path = secret_key_file(settings)
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a name of its own, then linked into place: a worker starting at the same
    # moment either makes the link or finds the finished file, never half of one.
    draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(32) + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text(encoding="ascii").strip()
