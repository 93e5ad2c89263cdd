"""Partner certification (docs/certification.md): the profile, the package, its verification.

- :mod:`profile`: which cases, run as the partner's client; the codes not applicable;
- :mod:`credentials`: the partner's certificate and key, checked and described;
- :mod:`make`: inputs checked, the profile run through ``conformance run``, the package built;
- :mod:`outcomes`: each case's verdict, read from the run's report folder (one function);
- :mod:`evidence`: requests, responses and bundles into the package, masked and audited;
- :mod:`manifest`, :mod:`page`: ``manifest.json`` (versioned JSON Schema) and ``report.html``;
- :mod:`signature`, :mod:`verify`: the detached CMS signature, and ``certify verify``.
"""
