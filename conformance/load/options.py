"""The options of a load run, checked before anything starts (bad input: one line, exit 4)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

REFERENCE = "reference"
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


class LoadOptionsError(ValueError):
    """A bad option; the message is the one line shown."""


@dataclass(frozen=True)
class LoadOptions:
    env: str = REFERENCE
    endpoint: str | None = None
    report_dir: str = "reports"
    users: int = 10
    spawn_rate: float = 10.0
    run_time_s: float | None = None  # --run-time; None with --requests
    requests: int | None = None  # --requests: stop once this many are done
    workers: int = 0  # local worker processes; 0: one process does everything
    role: str = "local"  # local | master | worker
    master_host: str | None = None
    master_bind_host: str = "*"  # --master: every interface; local workers: 127.0.0.1
    master_port: int = 5557
    expect_workers: int = 1
    max_rps: float | None = None  # --max-rps, else the environment's max_rps
    confirmed: bool = False  # --i-know-this-is-not-the-reference
    sla_enforce: bool = False  # --sla or ``sla: enforce``: a violated SLA exits 7
    reference_audit: str | None = None  # the embedded reference's audit log (set by supervisor)

    @property
    def against_reference(self) -> bool:
        return self.env == REFERENCE and self.endpoint is None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoadOptions:
        return cls(**json.loads(text))


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``2m``, ``1h30m`` -> seconds (positive)."""
    text = text.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        match = _DURATION.fullmatch(text)
        if not text or match is None:
            raise LoadOptionsError(f"--run-time: {text!r} is not a duration (e.g. 30s, 2m, 1h30m)")
        h, m, s = (int(part or 0) for part in match.groups())
        seconds = float(h * 3600 + m * 60 + s)
    if seconds <= 0:
        raise LoadOptionsError(f"--run-time: {text!r} must be more than 0 seconds")
    return seconds


def build(
    raw: dict[str, Any],
    *,
    environment_max_rps: float | None = None,
    environment_sla_enforce: bool = False,
) -> LoadOptions:
    """Check the raw command-line values; raise :class:`LoadOptionsError` with one line."""
    users, spawn_rate = raw.get("users", 10), raw.get("spawn_rate", 10.0)
    if not isinstance(users, int) or users < 1:
        raise LoadOptionsError(f"--users: must be a whole number of at least 1, got {users!r}")
    if not spawn_rate > 0:
        raise LoadOptionsError(f"--spawn-rate: must be more than 0 users/s, got {spawn_rate!r}")
    run_time, requests = raw.get("run_time"), raw.get("requests")
    role = "master" if raw.get("master") else "worker" if raw.get("worker") else "local"
    # A worker runs until its master stops it: only the master says when.
    if role != "worker" and (run_time is None) == (requests is None):
        raise LoadOptionsError("give exactly one of --run-time and --requests")
    if requests is not None and requests < 1:
        raise LoadOptionsError(f"--requests: must be at least 1, got {requests!r}")
    if raw.get("master") and raw.get("worker"):
        raise LoadOptionsError("--master and --worker exclude each other")
    if role == "worker" and not raw.get("master_host"):
        raise LoadOptionsError("--worker needs --master-host HOST (the machine running --master)")
    workers = raw.get("workers") or 0
    if workers < 0 or (workers and role != "local"):
        raise LoadOptionsError(
            "--workers N: N >= 1 local worker processes, without --master/--worker"
        )
    expect = raw.get("expect_workers") or 1
    if expect < 1:
        raise LoadOptionsError(f"--expect-workers: must be at least 1, got {expect!r}")
    max_rps = raw.get("max_rps") if raw.get("max_rps") is not None else environment_max_rps
    if max_rps is not None and not max_rps > 0:
        raise LoadOptionsError(f"--max-rps: must be more than 0 requests/s, got {max_rps!r}")
    options = LoadOptions(
        env=raw.get("env") or REFERENCE,
        endpoint=raw.get("endpoint"),
        report_dir=raw.get("report_dir") or "reports",
        users=users,
        spawn_rate=float(spawn_rate),
        run_time_s=parse_duration(str(run_time)) if run_time is not None else None,
        requests=requests,
        workers=workers,
        role=role,
        master_host=raw.get("master_host"),
        master_bind_host=raw.get("master_bind_host") or "*",
        master_port=raw.get("master_port") or 5557,
        expect_workers=expect if role == "master" else workers or 1,
        max_rps=float(max_rps) if max_rps is not None else None,
        confirmed=bool(raw.get("confirmed")),
        sla_enforce=bool(raw.get("sla")) or environment_sla_enforce,
    )
    if not options.against_reference and (options.max_rps is None or not options.confirmed):
        raise LoadOptionsError(
            "a load run against anything but the embedded reference needs a rate cap "
            "(--max-rps or max_rps in the environment file) and --i-know-this-is-not-the-reference"
        )
    return options
