"""``registry login [URL]``, ``registry logout``, ``registry whoami``: a saved default server and its token.

The token is read from stdin (``echo $TOKEN | registry login URL``) or a hidden prompt, checked against the
server (``GET /v1/whoami``), and saved in the user config dir with mode 0600 (``registry.credentials``).
``REGISTRY_URL`` / ``--registry`` and ``REGISTRY_TOKEN`` override what is saved.
"""

from __future__ import annotations

import sys

import typer

from registry.cli.output import info, print_json


def register(app: typer.Typer) -> None:
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("whoami")(whoami)


def login(
    url: str | None = typer.Argument(None, help="The registry server, e.g. https://registry.example.com."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Save a server as the default and its token (from stdin or a prompt); every command then uses it."""
    from registry import credentials
    from registry.client.sdk import Client
    from registry.errors import InvalidInput
    from registry.settings import get_settings

    settings = get_settings()
    target = credentials.normalize_url(url or settings.url or "")
    token = _read_token(target)
    if not token:
        raise InvalidInput("No token given.", hint="Pipe it in (`echo $TOKEN | registry login URL`) or type it.")
    with Client(target, token, settings=settings) as client:
        me = client.whoami()  # a wrong token or URL fails here, and nothing is saved
    if me.get("scope") is None:
        raise InvalidInput(
            f"{target} does not know this token.", hint="Create one on the server: `registry token create`."
        )
    config_dir = settings.config_dir or credentials.default_config_dir()
    path = credentials.save(config_dir, target, {"token": token, "name": me.get("token_name"), "scope": me["scope"]})
    if json_out:
        print_json({**me, "saved_to": str(path)})
    else:
        info(f"Logged in to {target} as '{me.get('token_name')}' ({me['scope']}); saved in {path}.")


def _read_token(url: str) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    import getpass

    return getpass.getpass(f"Token for {url}: ").strip()


def logout(url: str | None = typer.Argument(None, help="The server to forget (default: the saved default).")) -> None:
    """Forget the saved token (of URL, or of the default server)."""
    from registry import credentials
    from registry.settings import get_settings

    settings = get_settings()
    config_dir = settings.config_dir or credentials.default_config_dir()
    gone = credentials.forget(config_dir, credentials.normalize_url(url) if url else None)
    info(f"Logged out of {gone}." if gone else "Not logged in to any server: nothing to forget.")


def whoami(json_out: bool = typer.Option(False, "--json")) -> None:
    """Which catalog commands use: the server URL, the token's name and scope (or the embedded catalog)."""
    from registry.cli.catalog_cmds import client

    with client() as c:
        me = c.whoami()
    if json_out:
        print_json(me)
    elif me.get("url"):
        who = f"token '{me['token_name']}' ({me['scope']})" if me.get("scope") else "no token (anonymous reads)"
        info(f"{me['url']}: {who}")
        print(me["url"])
    else:
        info(f"embedded catalog {me['catalog']} (no server configured)")
