"""The ``conformance`` subcommands, one module each (``cli.py`` lists them).

Every command answers bad input the same way: one line on stderr, exit :data:`EXIT_BAD_INPUT`
(as pytest's usage error). argparse's own errors (an unknown option, a missing value) exit 2.
"""

EXIT_BAD_INPUT = 4
