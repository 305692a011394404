"""The fleet's rules in deploy/prometheus: valid for Prometheus, and their unit tests pass."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.serve.conftest import REPOSITORY

RULES = REPOSITORY / "deploy" / "prometheus"
pytestmark = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool (Debian's prometheus) absent"
)


def test_promtool_checks_the_rules() -> None:
    done = subprocess.run(
        ["promtool", "check", "rules", "analyzer-rules.yml"],
        cwd=RULES,
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 6 rules found" in done.stdout


def test_promtool_runs_the_rules_unit_tests() -> None:
    done = subprocess.run(
        ["promtool", "test", "rules", "analyzer-tests.yml"],
        cwd=RULES,
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
