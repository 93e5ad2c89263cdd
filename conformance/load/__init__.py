"""``conformance load``: load on Locust, with the run's own environments, requests and checks.

``options`` checks the command line before anything starts; ``mix`` is the weighted mix of the
catalogue's business requests, judged by the same checks as ``conformance run``; ``user`` is the
Locust user that sends them; ``node`` is one Locust process (local, master or worker);
``supervisor`` starts the embedded reference and the processes, and bounds the run.
docs/sla-and-load.md is the guide.
"""
