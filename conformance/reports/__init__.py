"""Reports people can act on: Allure labels and run files, the coverage matrix, service-desk
bundles, NISS masking and HTML rendering.

The pytest plugin drives :class:`conformance.reports.session.ReportSession` (run level) and
:mod:`conformance.reports.live` (inside each test item); ``conformance report`` renders HTML.
"""
