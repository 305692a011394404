"""Serving options: --serve [HOST:]PORT for the web page, its API and /metrics."""

from __future__ import annotations

import argparse

from analyzer.cli.options import Environment
from analyzer.live.settings import Settings
from analyzer.ui.display import Listener


def add_serve_options(parser: argparse.ArgumentParser) -> None:
    """None yet."""


def serve_listeners(args: argparse.Namespace, settings: Settings, env: Environment) -> list[Listener]:
    """None yet."""
    return []
