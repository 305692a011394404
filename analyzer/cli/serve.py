"""Serving options: --serve [HOST:]PORT for the web page, its API and /metrics.

The port is bound here, before the monitor starts, so a port taken or an address that is not
this host's is one line and exit 2. Off loopback a token is required; it is read from
`--serve-token-file` (best: not in `ps`), `ANALYZER_SERVE_TOKEN`, or `--serve-token`, and is
never printed.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import threading
from pathlib import Path

from analyzer.cli.options import Environment, UsageError
from analyzer.live.settings import Settings
from analyzer.serve.api import Api
from analyzer.serve.events import Hub
from analyzer.serve.listener import WebListener
from analyzer.serve.server import Server, start
from analyzer.serve.state import LiveState
from analyzer.ui.display import Listener

TOKEN_ENV = "ANALYZER_SERVE_TOKEN"
TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~+/=-]{16,512}")  # safe in a header, a cookie and a URL
LOOPBACK_NAMES = ("localhost",)


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--serve",
        metavar="[HOST:]PORT",
        default=None,
        help="serve the live page, /api, /metrics and /healthz on this port (host 127.0.0.1 unless given)",
    )
    parser.add_argument(
        "--serve-token-file",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"the token the server asks for (required off loopback; or ${TOKEN_ENV}, or --serve-token)",
    )
    parser.add_argument(
        "--serve-token",
        default=None,
        metavar="TOKEN",
        help="the token itself (visible in ps: prefer the file or the variable)",
    )


def parse_address(text: str) -> tuple[str, int]:
    """`PORT`, `HOST:PORT` or `[IPv6]:PORT` as (host, port); 127.0.0.1 when no host is given."""
    host, colon, port = text.rpartition(":")
    if not colon:
        host = "127.0.0.1"
    host = host.removeprefix("[").removesuffix("]")
    if not port.isdigit() or not 1 <= int(port) <= 65535 or not host:
        raise UsageError(f"--serve {text}: expected [HOST:]PORT with a port from 1 to 65535")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_token(args: argparse.Namespace) -> str | None:
    """The token from the file, the environment or the option, checked (never shown)."""
    if args.serve_token_file is not None:
        try:
            token: str | None = args.serve_token_file.read_text().strip()
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"{args.serve_token_file}: cannot read the token: {error}") from None
        where = str(args.serve_token_file)
    elif os.environ.get(TOKEN_ENV):
        token, where = os.environ[TOKEN_ENV].strip(), f"${TOKEN_ENV}"
    else:
        token, where = args.serve_token, "--serve-token"
    if token is not None and not TOKEN_CHARS.fullmatch(token):
        raise UsageError(f"{where}: a token is 16 to 512 characters of A-Z a-z 0-9 . _ ~ + / = -")
    return token


def serve_listeners(args: argparse.Namespace, settings: Settings, env: Environment) -> list[Listener]:
    """The web server, bound and serving, and the listener that feeds it; none without --serve."""
    if args.serve is None:
        return []
    host, port = parse_address(args.serve)
    token = read_token(args)
    if token is None and not is_loopback(host):
        raise UsageError(
            f"--serve {args.serve}: off loopback a token is required "
            f"(--serve-token-file FILE or ${TOKEN_ENV})"
        )
    state = LiveState(rules=(settings.rule, *settings.others))
    hub = Hub()
    api = Api(settings.out, state, wall=env.now)
    try:
        server = Server((host, port), state, api, hub, token)
    except (OSError, OverflowError) as error:
        api.close()
        reason = getattr(error, "strerror", None) or str(error)
        raise UsageError(f"--serve {args.serve}: cannot listen there: {reason}") from None
    stop_server = start(server)
    # The index caught up now, beside the monitor: the page's first chart query is then quick.
    threading.Thread(target=api.index.catch_up, name="analyzer-index", daemon=True).start()

    def stop() -> None:
        stop_server()
        api.close()

    return [WebListener(state, hub, stop, settings.top)]
