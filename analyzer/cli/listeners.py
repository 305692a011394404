"""The options and the making of what hears the monitor beside its display: delivery of alerts
(`cli/deliver.py`) and the web page with its metrics (`cli/serve.py`)."""

from __future__ import annotations

import argparse

from analyzer.cli.deliver import add_delivery_options, delivery_listeners
from analyzer.cli.options import Environment
from analyzer.cli.serve import add_serve_options, serve_listeners
from analyzer.live.settings import Settings
from analyzer.ui.display import Listener


def add_listener_options(parser: argparse.ArgumentParser) -> None:
    add_delivery_options(parser)
    add_serve_options(parser)


def make_listeners(args: argparse.Namespace, settings: Settings, env: Environment) -> list[Listener]:
    """Every listener the options ask for, started (a port is bound, an outbox read); a bad
    option or a port taken is a UsageError, before the monitor starts."""
    return [*delivery_listeners(args, settings, env), *serve_listeners(args, settings, env)]
