"""Accounts on both stores: passwords, tokens (kept only as digests), sessions and their versions,
sign-in throttling shared by app instances, CSRF, the secret key and the users command."""
from __future__ import annotations

import re
import stat
from datetime import UTC, datetime, timedelta

import jsonschema_rs
import pytest
from click.testing import CliRunner
from shapely.geometry import Point
from test_openapi import resolved

from mapservice import auth
from mapservice.app import create_app
from mapservice.auth import Accounts, authorize
from mapservice.cli import main
from mapservice.errors import BadRequest, Conflict, Forbidden, MapserviceError
from mapservice.settings import Settings, SettingsError

PASSWORD = "correct horse battery"


@pytest.fixture
def base(store):
    return store.create("practice_bases", {"name": "基地", "themes": ["science"], "level": "municipal"},
                        Point(119.4, 32.39))


def _account_rows(store) -> str:
    return repr([store._run(f"SELECT * FROM {{{name}}}", []) for name in ("users", "api_tokens", "throttle_events")])


def test_users_roles_and_password_rules(store, base):
    accounts = Accounts(store)
    admin = accounts.add_user("admin", "admin", PASSWORD)
    manager = accounts.add_user("base1", "base_manager", PASSWORD, [f"practice_bases:{base.id}"])
    assert manager.features == (("practice_bases", base.id),) and manager.role == "base_manager"
    assert [u.username for u in accounts.users()] == ["admin", "base1"]
    for password, key in [("short", "auth_password_short"), ("1234567890", "auth_password_common"),
                          ("newadmin-secret", "auth_password_common")]:
        with pytest.raises(BadRequest) as caught:
            accounts.add_user("newadmin", "admin", password)
        assert caught.value.field == "password" and caught.value.i18n[0] == key
        assert password not in caught.value.message
    with pytest.raises(Conflict):
        accounts.add_user("admin", "admin", PASSWORD)
    for role, features in [("base_manager", []), ("school", ["practice_bases:1"]), ("admin", ["schools:1"]),
                           ("base_manager", ["zoo:1"]), ("root", [])]:
        with pytest.raises(BadRequest):
            accounts.add_user("someone", role, PASSWORD, features)
    assert PASSWORD not in _account_rows(store) and admin.is_admin
    assert accounts.sign_in("ADMIN ", PASSWORD) == admin


def test_tokens_are_kept_only_as_digests(store, settings):
    accounts = Accounts(store)
    user = accounts.add_user("admin", "admin", PASSWORD)
    token = accounts.create_token(user, "import-script")
    assert token.startswith("ym_") and len(token) > 40
    assert accounts.by_token(token) == user and accounts.by_token(token + "x") is None
    assert accounts.by_token("not a token") is None
    listed = accounts.tokens(user)
    assert [t["name"] for t in listed] == ["import-script"] and listed[0]["last_used_at"]
    rows = _account_rows(store)
    assert token not in rows and token[3:] not in rows and auth.token_digest(token) in rows
    if not settings.uses_postgis:
        for path in [settings.database_url, settings.database_url + "-wal"]:
            try:
                assert token.encode() not in open(path, "rb").read()
            except FileNotFoundError:
                pass
    with pytest.raises(Conflict):
        accounts.create_token(user, "import-script")
    accounts.revoke_token(user, "import-script")
    assert accounts.by_token(token) is None
    other = accounts.create_token(user, "second")
    accounts.set_disabled(user)
    assert accounts.by_token(other) is None


def test_authorize_decides_in_the_core(store, base):
    accounts = Accounts(store)
    admin = accounts.add_user("admin", "admin", PASSWORD)
    manager = accounts.add_user("base1", "base_manager", PASSWORD, [f"practice_bases:{base.id}"])
    school = accounts.add_user("school1", "school", PASSWORD, ["schools:1"])
    own, other = ("practice_bases", base.id), ("practice_bases", base.id + 1)
    assert authorize(manager, "feature.edit", own) == manager
    for user, action, obj in [(manager, "feature.edit", other), (manager, "feature.move", own),
                              (manager, "feature.delete", own), (school, "feature.edit", own),
                              (school, "users.manage", None), (manager, "reports.read", None)]:
        with pytest.raises(Forbidden):
            authorize(user, action, obj)
    with pytest.raises(auth.Unauthorized):
        authorize(None, "feature.edit", own)
    assert all(auth.may(admin, action, own) for action in auth.ACTIONS)


def test_throttle_holds_across_two_apps_sharing_one_store(settings):
    first, second = create_app(settings), create_app(settings)
    try:
        Accounts(first.extensions["mapservice"].store).add_user("admin", "admin", PASSWORD)
        a, b = first.test_client(), second.test_client()
        for _ in range(auth.MAX_FAILURES):
            assert _login(a, "admin", "wrong password!").status_code == 401
        refused = _login(b, "admin", PASSWORD)
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 15 * 60 + 1
        assert "分钟后再试" in refused.get_data(as_text=True)
        assert _login(b, "nobody", "wrong password!").status_code == 401
    finally:
        first.extensions["mapservice"].store.close()
        second.extensions["mapservice"].store.close()


def test_a_success_resets_the_count_and_the_window_passes(store):
    clock = [datetime(2026, 12, 2, 8, tzinfo=UTC)]
    accounts = Accounts(store, clock=lambda: clock[0])
    accounts.add_user("admin", "admin", PASSWORD)
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(auth.Unauthorized):
            accounts.sign_in("admin", "wrong password!")
    accounts.sign_in("admin", PASSWORD)
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(auth.Unauthorized):
            accounts.sign_in("admin", "wrong password!")
    with pytest.raises(auth.TooManyAttempts) as caught:
        accounts.sign_in("admin", PASSWORD)
    assert caught.value.retry_after == 15 * 60 + 1
    clock[0] += timedelta(minutes=15, seconds=1)
    assert accounts.sign_in("admin", PASSWORD).username == "admin"


def _login(client, username, password, next_=None):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    form = {"username": username, "password": password, "csrf_token": token}
    if next_:
        form["next"] = next_
    return client.post("/login", data=form)


def test_sign_in_sessions_and_their_versions(app, client):
    accounts = Accounts(app.extensions["mapservice"].store)
    user = accounts.add_user("admin", "admin", PASSWORD)
    assert client.get("/api/me").status_code == 401
    answer = _login(client, "admin", PASSWORD, next_="/layers?lang=en")
    assert answer.status_code == 303 and answer.headers["Location"] == "/layers?lang=en"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert _login(client, "admin", PASSWORD, next_="//evil.example/").headers["Location"] == "/"
    me = client.get("/api/me").get_json()
    assert me["user"]["username"] == "admin" and me["user"]["role"] == "admin" and me["csrf_token"]
    page = client.get("/layers").get_data(as_text=True)
    assert "admin · 管理员（教育局）" in page and "退出登录" in page
    assert "Admin (education bureau)" in client.get("/layers?lang=en").get_data(as_text=True)
    # Another browser of the same user, then a password change: both sessions end.
    other = app.test_client()
    _login(other, "admin", PASSWORD)
    accounts.set_password(user, "another long passphrase")
    assert client.get("/api/me").status_code == 401 and other.get("/api/me").status_code == 401
    _login(client, "admin", "another long passphrase")
    accounts.set_disabled(accounts.user(user.id))
    assert client.get("/api/me").status_code == 401
    assert _login(client, "admin", "another long passphrase").status_code == 401


def test_sign_out_needs_the_csrf_token(app, client):
    Accounts(app.extensions["mapservice"].store).add_user("admin", "admin", PASSWORD)
    _login(client, "admin", PASSWORD)
    refused = client.post("/logout")
    assert refused.status_code == 400 and client.get("/api/me").status_code == 200
    token = client.get("/api/me").get_json()["csrf_token"]
    assert client.post("/logout", headers={"X-CSRF-Token": "wrong"}).status_code == 400
    assert client.post("/logout", headers={"X-CSRF-Token": token}).status_code == 303
    assert client.get("/api/me").status_code == 401
    assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 400


def test_bearer_tokens_need_no_csrf_and_bad_ones_are_nobody(app, client):
    accounts = Accounts(app.extensions["mapservice"].store)
    token = accounts.create_token(accounts.add_user("admin", "admin", PASSWORD))
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["user"]["username"] == "admin" and me["csrf_token"] is None
    for header in ("Bearer nope", "Basic YWRtaW46eA==", "Bearer"):
        assert client.get("/api/me", headers={"Authorization": header}).status_code == 401
    spec = client.get("/openapi.json").get_json()
    assert any(s.get("scheme") == "bearer" for s in spec["components"]["securitySchemes"].values())
    answers = spec["paths"]["/api/me"]["get"]["responses"]
    jsonschema_rs.validate(resolved(spec, answers["200"]["content"]["application/json"]["schema"]), me)
    assert "401" in answers


def test_secure_cookie_behind_a_trusted_proxy_only(tmp_path):
    for trust, secure in [(False, False), (True, True)]:
        app = create_app(Settings(database_url=str(tmp_path / "p.gpkg"), load_demo=False, trust_proxy=trust))
        try:
            Accounts(app.extensions["mapservice"].store).add_user(f"admin{int(trust)}", "admin", PASSWORD) \
                if not trust else None
            answer = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
            assert ("Secure" in answer.headers["Set-Cookie"]) is secure
        finally:
            app.extensions["mapservice"].store.close()


def test_the_secret_key_is_made_once_beside_the_geopackage(tmp_path):
    settings = Settings(database_url=str(tmp_path / "k.gpkg"), load_demo=False)
    key = auth.secret_key(settings)
    path = auth.secret_key_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(key) >= 32
    assert auth.secret_key(settings) == key
    assert auth.secret_key(settings.replace(secret_key="x" * 20)) == "x" * 20
    with pytest.raises(SettingsError) as caught:
        auth.secret_key(Settings(database_url="postgresql://u@localhost/db"))
    assert caught.value.field == "MAPSERVICE_SECRET_KEY" and "MAPSERVICE_SECRET_KEY=" in caught.value.message
    with pytest.raises(SettingsError):
        auth.secret_key(settings.replace(secret_key="short"))
    assert "xxxx" not in repr(settings.replace(secret_key="x" * 20))


def test_users_command(tmp_path, monkeypatch):
    monkeypatch.setenv("MAPSERVICE_DATABASE_URL", str(tmp_path / "cli.gpkg"))
    monkeypatch.setenv("MAPSERVICE_LOAD_DEMO", "false")
    runner = CliRunner()

    def run(*args, stdin=None):
        return runner.invoke(main, list(args), input=stdin)

    assert run("users", "add", "admin", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n").exit_code == 0
    result = run("users", "add", "weak", "--role", "admin", "--password-stdin", stdin="short\n")
    assert result.exit_code == 2 and "密码至少 10 个字符" in result.output and "short" not in result.output
    result = run("users", "add", "base1", "--role", "base_manager", "--feature", "practice_bases:7",
                 stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    result = run("users", "token", "admin", "--name", "ci")
    token = result.output.strip().splitlines()[-1]
    assert result.exit_code == 0 and token.startswith("ym_")
    listed = run("users", "list").output
    assert "admin\tadmin\tactive" in listed and "practice_bases:7 (deleted)" in listed and "tokens: ci" in listed
    assert token not in listed
    assert run("users", "set-password", "admin", "--password-stdin", stdin="a new long password\n").exit_code == 0
    assert run("users", "revoke-token", "admin", "--name", "ci").exit_code == 0
    assert run("users", "revoke-token", "admin", "--name", "ci").exit_code == 2
    assert run("users", "disable", "base1").exit_code == 0 and "base1\tbase_manager\tdisabled" in run(
        "users", "list").output
    assert run("users", "disable", "nobody").exit_code == 2


def test_no_login_input_gives_a_server_error(app, client):
    Accounts(app.extensions["mapservice"].store).add_user("admin", "admin", PASSWORD)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for form in [{}, {"username": "a" * 5000, "password": "b" * 5000}, {"username": "\x00", "password": "\x00\u202e"},
                 {"username": "admin", "password": ""}]:
        answer = client.post("/login", data={**form, "csrf_token": token})
        assert answer.status_code in (400, 401, 429), form
    assert client.get("/login?next=javascript:alert(1)").status_code == 200


def test_errors_know_their_language():
    error = auth._error(BadRequest, "auth_password_short", "password", min=10)
    assert isinstance(error, MapserviceError) and error.message == "密码至少 10 个字符"
