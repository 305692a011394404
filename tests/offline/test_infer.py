"""`check` finds the format a human would find from the lines: an extra leading field, a port."""

from __future__ import annotations

from pathlib import Path

from analyzer.offline.doctor import diagnose, render_diagnosis
from analyzer.offline.infer import candidates, infer_format
from tests.conftest import clf_line

T0 = 1_767_225_600
VHOSTS = ("www.example.com", "", "api.example.com")


def leading(field: str, second: int) -> str:
    return f"{field} {clf_line(second).decode()}"


def test_an_extra_leading_field_sometimes_empty_is_read_as_the_virtual_host(tmp_path: Path) -> None:
    log = tmp_path / "vhost.log"
    log.write_text("".join(leading(VHOSTS[i % 3], T0 + i) for i in range(600)))
    found = diagnose(str(log))
    assert found.inferred is not None
    assert found.inferred.source == '%v %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"'
    assert (found.inferred.read, found.inferred.sample) == (600, 600)
    text = render_diagnosis(found)
    assert "reads 600 of the first 600 lines" in text
    assert f"python -m analyzer {log} --log-format '%v %h" in text
    again = diagnose(str(log), log_format=found.inferred.source)
    assert (again.requests, again.rejected) == (600, 0), "the command it prints reads every line"


def test_a_port_after_the_host_and_a_log_that_reads_well_get_no_suggestion(tmp_path: Path) -> None:
    ported = "".join(leading(f"www.example.com:{443 if i % 2 else 80}", T0 + i) for i in range(200))
    found = infer_format(ported.encode())
    assert found is not None and found.read == 200 and found.source.startswith(("%v ", "%v:%p "))
    plain = tmp_path / "access.log"
    plain.write_bytes(b"".join(clf_line(T0 + i) for i in range(200)))
    assert diagnose(str(plain)).inferred is None


def test_lines_with_no_timestamp_suggest_nothing() -> None:
    assert candidates(["garbage", "more garbage"]) == []
    assert infer_format(b"\x00\x01 binary\nnot a log\n") is None
