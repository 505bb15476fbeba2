"""``mapservice users ...``: accounts from the command line. A password comes from standard input
(``--password-stdin``) or a hidden prompt, never from an argument (arguments show in ``ps``)."""
from __future__ import annotations

import sys

import click

from .auth import ROLES, Accounts
from .errors import MapserviceError
from .i18n import t


def _accounts(ctx: click.Context) -> Accounts:
    from .cli import _service

    service = ctx.with_resource(_service())
    return Accounts(service.store)


def _user_of(ctx: click.Context, username: str):
    """The accounts and the user named ``username`` (exit status 2 when there is none)."""
    accounts = _accounts(ctx)
    return accounts, _run(lambda: accounts.by_username(username))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(t("login_password", "zh"), hide_input=True, confirmation_prompt=True, err=True)


def _run(action):
    try:
        return action()
    except MapserviceError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)


@click.group()
def users() -> None:
    """Accounts: add, list, set-password, disable, token, revoke-token."""


@users.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--feature", "features", multiple=True, metavar="LAYER:ID",
              help="A practice base a base manager runs, or the school a school user stands for (repeatable).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_add(ctx, username: str, role: str, features: tuple[str, ...], password_stdin: bool) -> None:
    """Add a user."""
    accounts = _accounts(ctx)
    password = _password(password_stdin)
    user = _run(lambda: accounts.add_user(username, role, password, features))
    click.echo(f"added {user.username} ({user.role})")


@users.command("list")
@click.pass_context
def users_list(ctx) -> None:
    """List users with their role, features and tokens; features that no longer exist are marked."""
    accounts = _accounts(ctx)
    for user in accounts.users():
        gone = set(accounts.orphans(user))
        features = " ".join(f"{layer}:{fid}{' (deleted)' if (layer, fid) in gone else ''}"
                            for layer, fid in user.features)
        tokens = ", ".join(tok["name"] for tok in accounts.tokens(user))
        state = "disabled" if user.disabled else "active"
        click.echo("\t".join([user.username, user.role, state, features or "-", f"tokens: {tokens or '-'}"]))


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def users_set_password(ctx, username: str, password_stdin: bool) -> None:
    """Set a user's password; their browser sessions end."""
    accounts, user = _user_of(ctx, username)
    password = _password(password_stdin)
    _run(lambda: accounts.set_password(user, password))
    click.echo(f"password of {username} changed")


@users.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the user again instead.")
@click.pass_context
def users_disable(ctx, username: str, enable: bool) -> None:
    """Disable a user: their sessions end and their tokens stop working (--enable undoes it)."""
    accounts, user = _user_of(ctx, username)
    accounts.set_disabled(user, not enable)
    click.echo(f"{username} {'enabled' if enable else 'disabled'}")


@users.command("token")
@click.argument("username")
@click.option("--name", default="default", show_default=True, help="What the token is for.")
@click.pass_context
def users_token(ctx, username: str, name: str) -> None:
    """Make an API token and print it, once (the store keeps only its SHA-256 digest)."""
    accounts, user = _user_of(ctx, username)
    click.echo(_run(lambda: accounts.create_token(user, name)))


@users.command("revoke-token")
@click.argument("username")
@click.option("--name", default="default", show_default=True, help="The token's name.")
@click.pass_context
def users_revoke_token(ctx, username: str, name: str) -> None:
    """Revoke a user's API token by name."""
    accounts, user = _user_of(ctx, username)
    _run(lambda: accounts.revoke_token(user, name))
    click.echo(f"token {name} of {username} revoked")
