"""The TSS §7 SLA as evidence: samples, figures and verdicts, reports and plots.

``samples`` turns each exchange into one :class:`~conformance.sla.samples.Sample` (times and
what kind of answer came back); ``compute`` makes the figures and verdicts from samples;
``render`` writes ``sla.json`` and ``sla.md``; ``plots`` draws ``sla.png`` and
``sla-trend.png``; ``history`` keeps one line per run in ``sla-history.jsonl``; ``files``
writes a run's SLA files, for ``conformance run`` and ``conformance load`` alike.
"""
