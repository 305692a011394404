"""Error logs are told apart from access logs, by their servers' own line shapes."""

from __future__ import annotations

from analyzer.formats.errorlog import error_log_of
from tests.conftest import clf_line

NGINX = b'2026/11/28 03:10:05 [error] 1234#0: *5 open() "/srv/x" failed (2: No such file or directory)'
APACHE_24 = b"[Fri Nov 28 03:10:05.123456 2026] [core:error] [pid 123:tid 456] AH00126: Invalid URI"
APACHE_22 = b"[Fri Nov 28 03:10:06 2026] [error] [client 10.0.0.1] File does not exist: /var/www/x"


def test_nginx_and_apache_error_logs_are_named() -> None:
    assert error_log_of([NGINX, NGINX.replace(b"[error]", b"[warn]")]) == "nginx"
    assert error_log_of([APACHE_24, APACHE_22, b"a continuation line"]) == "Apache"


def test_an_access_log_or_a_mix_is_none() -> None:
    assert error_log_of([clf_line(1_764_300_000).rstrip()]) is None
    assert error_log_of([NGINX, b"garbage", b"more garbage"]) is None
    assert error_log_of([]) is None
