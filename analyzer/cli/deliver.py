"""Delivery options: --notify-command, --webhook, --alertmanager."""

from __future__ import annotations

import argparse

from analyzer.cli.options import Environment
from analyzer.live.settings import Settings
from analyzer.ui.display import Listener


def add_delivery_options(parser: argparse.ArgumentParser) -> None:
    """None yet."""


def delivery_listeners(args: argparse.Namespace, settings: Settings, env: Environment) -> list[Listener]:
    """None yet."""
    return []
