"""conformance/load/options.py and ``conformance load``'s bad input: one line, exit 4, nothing
started; the supervisor reports a dead worker and never outlives its bound."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import cli
from conformance.load import supervisor
from conformance.load.options import LoadOptions, LoadOptionsError, build, parse_duration

GOOD: dict[str, Any] = {"users": 5, "spawn_rate": 5.0, "run_time": "10s"}


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90.0), ("90s", 90.0), ("2m", 120.0), ("1h30m", 5400.0)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"users": 0}, "--users: must be a whole number of at least 1"),
        ({"spawn_rate": 0.0}, "--spawn-rate: must be more than 0"),
        ({"run_time": "soon"}, "--run-time: 'soon' is not a duration"),
        ({"run_time": "0s"}, "must be more than 0 seconds"),
        ({"run_time": None}, "give exactly one of --run-time and --requests"),
        ({"requests": 5}, "give exactly one of --run-time and --requests"),
        ({"requests": 0, "run_time": None}, "--requests: must be at least 1"),
        ({"worker": True}, "--worker needs --master-host"),
        ({"master": True, "worker": True}, "--master and --worker exclude each other"),
        ({"workers": 2, "master": True}, "--workers N"),
        ({"max_rps": -1.0}, "--max-rps: must be more than 0"),
        ({"endpoint": "https://x/y"}, "needs a rate cap"),
        ({"endpoint": "https://x/y", "max_rps": 5.0}, "--i-know-this-is-not-the-reference"),
        ({"env": "acceptance.yaml", "confirmed": True}, "needs a rate cap"),
    ],
)
def test_bad_options_are_one_line(change: dict[str, Any], message: str) -> None:
    with pytest.raises(LoadOptionsError) as info:
        build({**GOOD, **change})
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_real_endpoint_with_a_cap_and_the_confirmation_is_accepted() -> None:
    options = build({**GOOD, "endpoint": "https://x/y", "confirmed": True}, environment_max_rps=2)
    assert (options.max_rps, options.against_reference) == (2.0, False)


def test_a_worker_needs_no_run_time_its_master_decides() -> None:
    options = build({"worker": True, "master_host": "10.0.0.5", "users": 2, "spawn_rate": 1.0})
    assert (options.role, options.run_time_s, options.requests) == ("worker", None, None)


def test_sla_enforce_comes_from_the_option_or_the_environment() -> None:
    assert build({**GOOD, "sla": True}).sla_enforce
    assert build(GOOD, environment_sla_enforce=True).sla_enforce
    assert not build(GOOD).sla_enforce


def test_the_reference_needs_no_cap_and_options_round_trip() -> None:
    options = build({**GOOD, "requests": None, "workers": 2})
    assert options.against_reference and options.expect_workers == 2
    assert LoadOptions.from_json(options.to_json()) == options


def _load(tmp_path: Path, *args: str) -> int:
    return cli.main(["load", "--report-dir", str(tmp_path / "out"), *args])


def test_the_command_refuses_bad_input_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _load(tmp_path, "--users", "0", "--run-time", "5s") == 4
    err = capsys.readouterr().err.strip()
    assert err.startswith("conformance load: --users") and "\n" not in err
    assert _load(tmp_path, "--endpoint", "https://127.0.0.1:1/x", "--run-time", "5s") == 4
    assert "rate cap" in capsys.readouterr().err
    assert _load(tmp_path, "--env", str(tmp_path / "missing.yaml"), "--run-time", "5s") == 4
    assert not (tmp_path / "out").exists()


def test_without_locust_the_command_says_how_to_install_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name, *a)
    )
    assert _load(tmp_path, "--run-time", "5s") == 4
    assert "pip install 'bcss-foreigner-conformance[load]'" in capsys.readouterr().err


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_worker_that_dies_is_reported_and_the_run_ends(
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = [
        ("master", _python("import time; time.sleep(1.5)")),
        ("worker 1", _python("raise SystemExit(3)")),
    ]
    assert supervisor._supervise(commands, bound_s=30) == 1
    assert "worker 1 exited with code 3" in capsys.readouterr().err


def test_a_master_that_hangs_is_stopped_at_the_bound(capsys: pytest.CaptureFixture[str]) -> None:
    commands = [("master", _python("import time; time.sleep(60)"))]
    assert supervisor._supervise(commands, bound_s=1) == 1
    assert "did not finish within 1 s" in capsys.readouterr().err
