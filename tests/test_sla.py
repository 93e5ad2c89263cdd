"""conformance/sla/: samples from exchanges, exact percentiles, availability, verdicts, files.

Synthetic samples stand for endpoints: one answering 15% of requests after 1.2 s violates
"90% < 1 s"; one with 3% connection errors has about 97% availability, violated. What the TSS
permits (Client faults, business codes, a failing supplier) never counts against it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conformance import soap
from conformance.contract import EMPLOYMENT_INFOS, load_contract
from conformance.exchange import CONNECT_REFUSED, DEADLINE, Exchange, OutgoingRequest
from conformance.reference import responses
from conformance.sla import files, history, render
from conformance.sla.compute import (
    INSUFFICIENT,
    MET,
    VIOLATED,
    Criterion,
    SlaReport,
    compute,
    minimum_samples,
    percentile,
)
from conformance.sla.samples import (
    NOT_SOAP,
    OK,
    SERVER_FAULT,
    SUPPLIER,
    TRANSPORT,
    Sample,
    SampleRecorder,
    from_exchange,
)

EMPLOYMENT = EMPLOYMENT_INFOS


def _samples(n: int, seconds: float = 0.01, result: str = OK, op: str = EMPLOYMENT) -> list[Sample]:
    return [Sample(op, seconds, seconds / 2, result) for _ in range(n)]


def _criterion(report: SlaReport, prefix: str) -> Criterion:
    return next(c for c in report.criteria if c.name.startswith(prefix))


# ---- percentiles and the minimum-samples rule ----


def test_percentiles_are_nearest_rank_over_the_samples() -> None:
    values = [float(v) for v in range(1, 11)]  # 1..10
    assert percentile(values, 90) == 9.0  # rank ceil(9.0) = 9
    assert percentile(values, 95) == 10.0  # rank ceil(9.5) = 10
    assert percentile(values, 50) == 5.0
    assert percentile([3.0], 99) == 3.0


def test_a_criterion_about_p_percent_needs_100_over_100_minus_p_samples() -> None:
    assert [minimum_samples(p) for p in (50, 90, 95, 98, 99)] == [2, 10, 20, 50, 100]


def test_too_few_samples_is_insufficient_never_met() -> None:
    report = compute(_samples(9))
    assert {c.verdict for c in report.criteria} == {INSUFFICIENT}
    assert report.verdict == INSUFFICIENT
    assert report.overall.client.percentiles["p90"] is None
    assert compute([]).verdict == INSUFFICIENT


def test_enough_fast_answers_meet_every_criterion() -> None:
    report = compute(_samples(60))
    assert [c.verdict for c in report.criteria] == [MET, MET, MET]
    assert report.verdict == MET


# ---- the done-when figures ----


def test_fifteen_percent_after_1_2_s_violates_90_percent_under_1_s() -> None:
    samples = _samples(85) + _samples(15, seconds=1.2)
    report = compute(samples)
    ninety = _criterion(report, "90%")
    assert ninety.verdict == VIOLATED and ninety.observed == 1.2
    assert _criterion(report, "95%").verdict == MET  # 1.2 s is under 2 s
    assert report.verdict == VIOLATED


def test_three_percent_connection_errors_is_about_97_percent_violated() -> None:
    samples = _samples(97) + [Sample(EMPLOYMENT, 0.001, None, TRANSPORT, False)] * 3
    report = compute(samples)
    availability = _criterion(report, "availability")
    assert availability.observed == pytest.approx(97.0)
    assert availability.verdict == VIOLATED
    # A refused connection has no response time to judge: the time criteria see 97 samples.
    assert _criterion(report, "90%").samples == 97


def test_server_faults_and_non_soap_answers_count_against_availability() -> None:
    samples = _samples(96) + _samples(2, result=SERVER_FAULT) + _samples(2, result=NOT_SOAP)
    assert compute(samples).availability_percent == pytest.approx(96.0)


def test_the_supplier_is_counted_apart_never_against_bcss() -> None:
    samples = _samples(90) + _samples(10, result=SUPPLIER)
    report = compute(samples)
    assert report.availability_percent == 100.0
    assert report.source_availability_percent == pytest.approx(90.0)
    assert _criterion(report, "availability").samples == 90


def test_figures_per_operation_and_overall() -> None:
    samples = _samples(20) + _samples(30, seconds=0.02, op="consultSpecialInfos")
    report = compute(samples)
    assert {n: f.requests for n, f in report.operations.items()} == {
        EMPLOYMENT: 20,
        "consultSpecialInfos": 30,
    }
    assert report.overall.requests == 50 and report.overall.client.percentiles["max"] == 0.02
    assert report.operations[EMPLOYMENT].service.percentiles["p50"] == 0.005


# ---- samples from exchanges ----


def _exchange(body: bytes, status: int = 200, elapsed: float = 0.25) -> Exchange:
    request = OutgoingRequest("http://127.0.0.1:1/x", b"<a/>", {}, operation=EMPLOYMENT)
    return Exchange(request, status=status, body=body, elapsed_s=elapsed)


def _fault(faultcode: str, code: str) -> bytes:
    contract = load_contract()
    operation = contract.operations[EMPLOYMENT]
    received = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    detail = responses.fault_detail(contract, operation, None, "t", received, code, "")
    block = detail.find("informationCBSS")
    assert block is not None
    block.find("timestampReply").text = responses.xsd_datetime(  # type: ignore[union-attr]
        received + timedelta(milliseconds=40)
    )
    return soap.fault_envelope(faultcode, "x", detail)


def test_a_server_fault_a_supplier_fault_and_a_client_fault() -> None:
    server = from_exchange(_exchange(_fault("Server", "MSG00003"), 500))
    supplier = from_exchange(_exchange(_fault("Server", "MSG00002"), 500))
    client = from_exchange(_exchange(_fault("Client", "MSG00015"), 500))
    assert (server.result, supplier.result, client.result) == (SERVER_FAULT, SUPPLIER, OK)
    assert server.client_s == 0.25 and server.service_s == pytest.approx(0.04)


def test_an_html_error_page_is_not_soap_and_a_refused_connection_is_transport() -> None:
    assert from_exchange(_exchange(b"<html>down</html>", 503)).result == NOT_SOAP
    refused = _exchange(b"", elapsed=0.001)
    refused.status, refused.error, refused.error_kind = None, "refused", CONNECT_REFUSED
    sample = from_exchange(refused)
    assert (sample.result, sample.timed) == (TRANSPORT, False)


def test_a_deadline_is_a_response_time_beyond_the_limit() -> None:
    late = _exchange(b"", elapsed=30.0)
    late.status, late.error, late.error_kind = None, "no answer in 30 s", DEADLINE
    sample = from_exchange(late)
    assert (sample.result, sample.timed, sample.client_s) == (TRANSPORT, True, 30.0)


def test_the_recorder_hands_out_each_sample_once() -> None:
    recorder = SampleRecorder()
    recorder(_exchange(b"<html/>", 500))
    assert len(recorder.take()) == 1 and recorder.take() == []


def test_a_sample_round_trips_as_plain_data() -> None:
    sample = Sample(EMPLOYMENT, 0.1, None, OK)
    assert Sample.from_wire(json.loads(json.dumps(sample.to_wire()))) == sample


# ---- files and history ----


def test_the_files_the_history_and_the_trend(tmp_path: Path) -> None:
    files.write(tmp_path, _samples(60))
    report = files.write(tmp_path, _samples(97) + _samples(3, result=SERVER_FAULT))
    data = json.loads((tmp_path / files.SLA_JSON).read_text())
    assert data["verdict"] == report.verdict == VIOLATED
    assert data["samples"] == 100
    assert {"name", "threshold", "observed", "met"} <= set(data["criteria"][0])
    assert set(data["operations"]) == {EMPLOYMENT}
    for name in files.FILES:
        assert (tmp_path / name).stat().st_size > 0
    assert (tmp_path / files.SLA_PNG).read_bytes()[:4] == b"\x89PNG"
    runs = history.read(tmp_path)
    assert [r["verdict"] for r in runs] == [MET, VIOLATED]
    # Pooled over both runs' requests: 157 available of 160.
    assert history.pooled_availability(runs) == pytest.approx(100 * 157 / 160)
    md = (tmp_path / files.SLA_MD).read_text()
    assert "last 2 run(s)" in md and "98.12% against 98%, met" in md
    assert "nearest-rank" in md and "still includes the authentic source" in md
    line = render.summary_line(data)
    assert line.startswith("SLA (TSS 7): violated over 100 requests") and "97.00%" in line


def test_a_torn_history_line_is_skipped(tmp_path: Path) -> None:
    (tmp_path / history.HISTORY_FILE).write_text('{"counted": 10, "available": 10}\n{"cou\n')
    assert len(history.read(tmp_path)) == 1


def test_extras_are_one_readable_line_each(tmp_path: Path) -> None:
    extra = {"excluded_cases": ["a", "b"], "load": {"users": 4, "check_failures": {}}}
    files.write(tmp_path, _samples(5), extra=extra)
    md = (tmp_path / files.SLA_MD).read_text()
    assert "- Excluded cases: a, b" in md and "- Load: users 4; check failures none" in md
    assert json.loads((tmp_path / files.SLA_JSON).read_text())["load"]["users"] == 4


@pytest.mark.parametrize(
    "samples", [[], _samples(3), [Sample(EMPLOYMENT, 0.001, None, TRANSPORT, False)]]
)
def test_the_latency_plot_is_drawn_without_warnings(tmp_path: Path, samples: list[Sample]) -> None:
    # A run with no timed request (every exchange refused) still gets its plot, and no
    # matplotlib warning in the user's output.
    import warnings

    from conformance.sla import plots

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = plots.latency_plot(samples, tmp_path / "sla.png")
    assert path.read_bytes().startswith(b"\x89PNG")
