"""One Locust process of a load run: ``python -m conformance.load.node OPTIONS_JSON``.

- ``local``: runs the users and writes the reports, in one process;
- ``master``: waits for ``expect_workers`` workers, runs the load on them, merges their samples
  and writes the reports;
- ``worker``: runs the users the master gives it and sends its exact per-request samples with
  Locust's own periodic worker report (``report_to_master``), and a last one when stopped.

The reports: the SLA files of ``conformance run`` (``conformance/sla/files.py``) from the exact
samples, beside Locust's CSV and HTML (Locust's percentiles are rounded; ours are not).
"""

from __future__ import annotations

# isort: off
import locust  # first: Locust patches the standard library for gevent before it is used

# isort: on
import csv
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
import locust.runners
from locust.env import Environment
from locust.html import get_html_report
from locust.runners import MasterRunner, Runner
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

from conformance.harness.runtime import RuntimeStartError, open_runtime
from conformance.load.mix import EmptyMixError, RequestMix, eligible_cases
from conformance.load.options import LoadOptions
from conformance.load.user import CheckedUser, SampleSink, configure, placeholder
from conformance.sla import files as sla_files
from conformance.sla import render
from conformance.sla.compute import VIOLATED
from conformance.sla.samples import Sample

SAMPLES_KEY = "conformance_samples"  # in a worker's report to the master
WORKER_WAIT_S = 60.0  # how long the master waits for its workers
STALL_S = 30.0  # --requests: a run with no new request for this long stops
PROGRESS_EVERY_S = 2.0
STOP_TIMEOUT_S = 3.0
assert locust.__version__


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    options = LoadOptions.from_json(argv[0])
    sink = SampleSink()
    try:
        user_class = _user_class(options, sink)
    except (RuntimeStartError, EmptyMixError) as exc:
        print(f"conformance load: {exc}", file=sys.stderr)
        return 4
    # Users finish the request in flight when stopped (its sample counts), within this time.
    env = Environment(user_classes=[user_class], stop_timeout=STOP_TIMEOUT_S)
    if options.role == "worker":
        return _worker(env, options, sink)
    runner: Runner
    if options.role == "master":
        merged = SampleSink()
        runner = env.create_master_runner(options.master_bind_host, options.master_port)
        env.events.worker_report.add_listener(
            lambda client_id, data: merged.add(
                [Sample.from_wire(s) for s in data.get(SAMPLES_KEY, ())]
            )
        )
        if not _wait_for_workers(runner, options.expect_workers):
            runner.quit()
            return 1
        sink = merged
    else:
        runner = env.create_local_runner()
    started = time.monotonic()
    runner.start(options.users, spawn_rate=options.spawn_rate)
    progress = gevent.spawn(_progress, runner, started)
    _wait_until_done(options, lambda: sink.count)
    seconds = time.monotonic() - started
    runner.stop()
    if isinstance(runner, MasterRunner):
        _wait_for_workers_stopped(runner, options.expect_workers)
    progress.kill()
    code = _report(env, runner, options, sink.drain(), seconds)
    runner.quit()
    return code


def _user_class(options: LoadOptions, sink: SampleSink) -> type[CheckedUser]:
    if options.role == "master":
        return placeholder()  # the master runs no user: the class only names them
    shared = open_runtime(options.env, options.endpoint)
    mix = RequestMix(eligible_cases(shared.environment))
    return configure(shared, mix, sink, users=options.users, max_rps=options.max_rps)


def _worker(env: Environment, options: LoadOptions, sink: SampleSink) -> int:
    locust.runners.WORKER_REPORT_INTERVAL = 0.5  # samples reach the master soon (--requests)
    locust.runners.CONNECT_RETRY_COUNT = int(WORKER_WAIT_S / locust.runners.CONNECT_TIMEOUT)
    assert options.master_host is not None
    try:
        runner = env.create_worker_runner(options.master_host, options.master_port)
    except ConnectionError:
        where = f"{options.master_host}:{options.master_port}"
        print(f"conformance load: no master answered at {where} within {WORKER_WAIT_S:g} s")
        return 1

    def attach(client_id: str, data: dict[str, Any]) -> None:
        data[SAMPLES_KEY] = [s.to_wire() for s in sink.drain()]

    env.events.report_to_master.add_listener(attach)
    assert runner.greenlet is not None
    runner.greenlet.join()
    return 0


def _wait_for_workers(runner: Runner, expected: int) -> bool:
    assert isinstance(runner, MasterRunner)
    deadline = time.monotonic() + WORKER_WAIT_S
    while len(runner.clients.ready) < expected:
        if time.monotonic() > deadline:
            print(
                f"conformance load: {len(runner.clients.ready)} of {expected} worker(s) connected "
                f"within {WORKER_WAIT_S:g} s; stopping",
                file=sys.stderr,
            )
            return False
        gevent.sleep(0.2)
    return True


def _wait_for_workers_stopped(runner: MasterRunner, expected: int) -> None:
    """A stopped worker reports ready again after ``stop_timeout``, its last samples sent; only
    then does Locust's quit reach it (a worker between the two is not in ``clients``)."""
    deadline = time.monotonic() + STOP_TIMEOUT_S + 10
    while len(runner.clients.ready) < expected - len(runner.clients.missing):
        if time.monotonic() > deadline:
            return
        gevent.sleep(0.2)
    gevent.sleep(1.0)  # a last periodic report of samples


def _wait_until_done(options: LoadOptions, count: Callable[[], int]) -> None:
    if options.run_time_s is not None:
        gevent.sleep(options.run_time_s)
        return
    assert options.requests is not None
    last, last_change = 0, time.monotonic()
    while count() < options.requests:
        gevent.sleep(0.05)
        if count() != last:
            last, last_change = count(), time.monotonic()
        elif time.monotonic() - last_change > STALL_S:
            print(f"conformance load: no request done in {STALL_S:g} s; stopping", file=sys.stderr)
            return


def _progress(runner: Runner, started: float) -> None:
    while True:
        gevent.sleep(PROGRESS_EVERY_S)
        total = runner.stats.total
        p90 = total.get_response_time_percentile(0.9) if total.num_requests else 0
        print(
            f"[{time.monotonic() - started:5.0f} s] users {runner.user_count}  "
            f"requests {total.num_requests}  failures {total.num_failures}  "
            f"{total.current_rps:.1f} req/s  p90 ~{p90:.0f} ms (Locust, rounded)",
            flush=True,
        )


def _report(
    env: Environment, runner: Runner, options: LoadOptions, samples: list[Sample], seconds: float
) -> int:
    report_dir = Path(options.report_dir)
    missing = [c.id for c in runner.clients.missing] if isinstance(runner, MasterRunner) else []
    failures = {f"{e.name}: {e.error}": e.occurrences for e in runner.stats.errors.values()}
    load: dict[str, Any] = {
        "users": options.users,
        "spawn_rate": options.spawn_rate,
        "run_time_s": options.run_time_s,
        "requests_asked": options.requests,
        "workers": options.expect_workers if options.role == "master" else 0,
        "max_rps": options.max_rps,
        "seconds": round(seconds, 3),
        "requests_per_s": round(len(samples) / seconds, 1) if seconds else None,
        "check_failures": failures,
        "missing_workers": missing,
    }
    if options.reference_audit:
        load["reference_answers"] = _lines(Path(options.reference_audit))
    report = sla_files.write(report_dir, samples, kind="load", extra={"load": load})
    _locust_files(env, report_dir)
    print(render.summary_line(render.to_json(report)))
    print(
        f"load: {len(samples)} checked requests in {seconds:.1f} s, {sum(failures.values())} failed"
    )
    for name, count in sorted(failures.items(), key=lambda kv: -kv[1]):
        print(f"  failure: {name} ({count}x)")
    for worker in missing:
        print(f"  worker {worker} went missing during the run: its last samples are lost")
    if failures or missing:
        return 1
    return sla_files.EXIT_SLA_VIOLATED if options.sla_enforce and report.verdict == VIOLATED else 0


def _locust_files(env: Environment, report_dir: Path) -> None:
    stats_csv = StatsCSV(env, PERCENTILES_TO_REPORT)
    for name, write in (
        ("locust_stats.csv", stats_csv.requests_csv),
        ("locust_failures.csv", stats_csv.failures_csv),
    ):
        with (report_dir / name).open("w", newline="", encoding="utf-8") as handle:
            write(csv.writer(handle))
    html = get_html_report(env, show_download_link=False)
    (report_dir / "locust.html").write_text(html, encoding="utf-8")


def _lines(path: Path) -> int:
    try:
        return sum(1 for line in path.read_bytes().splitlines() if line.strip())
    except OSError:
        return -1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
