"""Self-check: prove the harness's verdicts (issue 6).

The case catalogue runs once against the faithful embedded reference (it must pass every case),
then once per deliberate defect of ``conformance.reference.defects`` (each must make a case fail
on the rule id the defect breaks, read from the run's ``outcomes.jsonl``). Each run is a
``conformance run`` subprocess (``runs.py``); ``matrix.py`` turns the runs into the kill matrix.

Layout under the report folder: the clean run's ordinary reports (outcomes.jsonl, junit.xml,
coverage.*, allure-results/), ``killmatrix.md`` / ``killmatrix.json`` beside them, and one folder
per defect in ``selfcheck/<defect>/`` with that run's reports and terminal output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from conformance.selfcheck import matrix as km
from conformance.selfcheck.runs import CLEAN, RunResult, run_one

SUBDIR = "selfcheck"
DEFAULT_TIMEOUT_S = 180.0  # one catalogue run; normal runs take a few seconds


def run_selfcheck(
    report_dir: Path,
    defects: Sequence[str] | None = None,
    *,
    jobs: int = 2,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    cases: Path | None = None,
    progress: Callable[[str], None] = print,
) -> km.KillMatrix:
    """Run the clean reference and each defect (all of them by default), ``jobs`` at a time,
    and return the kill matrix (also written to ``report_dir``)."""
    from conformance.reference.defects import DEFECTS

    names = list(DEFECTS) if defects is None else list(defects)
    unknown = [n for n in names if n not in DEFECTS]
    if unknown:
        raise KeyError(f"unknown defect(s) {', '.join(unknown)}; known: {', '.join(DEFECTS)}")
    report_dir = report_dir.resolve()
    for stale in (km.JSON_FILE, km.MD_FILE):  # never show a previous self-check's verdict
        (report_dir / stale).unlink(missing_ok=True)
    t0 = time.perf_counter()

    def launch(name: str) -> RunResult:
        folder = report_dir if name == CLEAN else report_dir / SUBDIR / name
        log = (
            report_dir / SUBDIR / f"{CLEAN}-output.txt" if name == CLEAN else folder / "output.txt"
        )
        try:
            return run_one(name, folder, log, timeout_s=timeout_s, cases=cases)
        except OSError as exc:  # e.g. a full disk: this run proves nothing, the others still run
            return RunResult(name, folder, problems=[f"could not run: {exc}"])

    results: dict[str, RunResult] = {}
    rows: dict[str, km.DefectRow] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(launch, name): name for name in [CLEAN, *names]}
        done = 0
        for future in as_completed(futures):
            name = futures[future]
            result = future.result()
            results[name] = result
            if name == CLEAN:
                problems = km.clean_problems(result)
                verdict = "passed" if not problems else "FAILED: " + "; ".join(problems[:3])
                progress(f"[clean] reference ... {verdict} ({result.duration_s:.1f} s)")
                continue
            defect = DEFECTS[name]
            rows[name] = km.judge(name, defect.description, defect.failure_signature, result)
            done += 1
            progress(km.progress_line(done, len(names), rows[name]))
    matrix = km.KillMatrix(results[CLEAN], [rows[n] for n in names], time.perf_counter() - t0)
    km.write(matrix, report_dir)
    return matrix
