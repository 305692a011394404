"""Delivery options: --notify-command, --webhook, --alertmanager (each may be given again)."""

from __future__ import annotations

import argparse

from analyzer.cli.options import Environment, UsageError
from analyzer.deliver.alertmanager import RESEND_SECONDS, Alertmanager
from analyzer.deliver.command import COMMAND_TIMEOUT, Command
from analyzer.deliver.courier import Courier
from analyzer.deliver.outbox import OUTBOX_NAME, Outbox
from analyzer.deliver.receiver import HTTP_TIMEOUT, Target, Webhook, check_http_url
from analyzer.deliver.retry import GIVE_UP_AGE, age_text
from analyzer.live.settings import Settings
from analyzer.ui.display import Listener


def add_delivery_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "delivery of alerts",
        f"each transition is queued in OUT/{OUTBOX_NAME} and delivered at least once, with a stable "
        f"id, retried with backoff for up to {age_text(GIVE_UP_AGE)}; each option may be given again",
    )
    group.add_argument(
        "--notify-command",
        action="append",
        default=[],
        metavar="CMD",
        help=f"run CMD (by /bin/sh) for each transition, its JSON on stdin and ANALYZER_* variables; "
        f"killed after {COMMAND_TIMEOUT:g} s",
    )
    group.add_argument(
        "--webhook",
        action="append",
        default=[],
        metavar="URL",
        help=f"POST each transition as JSON with the message in `text` (Slack, Mattermost); "
        f"{HTTP_TIMEOUT:g} s timeout",
    )
    group.add_argument(
        "--alertmanager",
        action="append",
        default=[],
        metavar="URL",
        help=f"send alerts to Prometheus Alertmanager's API v2 at URL (http://HOST:9093), re-sent "
        f"every {RESEND_SECONDS:g} s while firing",
    )


def delivery_targets(args: argparse.Namespace, settings: Settings) -> list[Target]:
    """The receivers the options name; a bad URL is a UsageError that does not print it."""
    for option, urls in (("--webhook", args.webhook), ("--alertmanager", args.alertmanager)):
        for number, url in enumerate(urls, 1):
            why = check_http_url(url)
            if why:
                raise UsageError(f"{option} (#{number}): {why}")
    for number, command in enumerate(args.notify_command, 1):
        if not command.strip():
            raise UsageError(f"--notify-command (#{number}): an empty command")
    log = ",".join(settings.paths)
    many = len(args.notify_command) > 1, len(args.webhook) > 1, len(args.alertmanager) > 1
    return [
        *(
            Command(command, number if many[0] else 1)
            for number, command in enumerate(args.notify_command, 1)
        ),
        *(Webhook(url, number if many[1] else 1) for number, url in enumerate(args.webhook, 1)),
        *(
            Alertmanager(url, log, number if many[2] else 1)
            for number, url in enumerate(args.alertmanager, 1)
        ),
    ]


def delivery_listeners(args: argparse.Namespace, settings: Settings, env: Environment) -> list[Listener]:
    """The courier, started, if any receiver is given (its outbox read back and rewritten)."""
    targets = delivery_targets(args, settings)
    if not targets:
        return []
    outbox = Outbox(settings.out / OUTBOX_NAME)
    return [Courier(outbox, targets, env.now, env.pacing())]
