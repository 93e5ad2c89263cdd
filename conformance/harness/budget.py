"""The run's time budget: ``--max-time SECONDS``, else the environment file's ``max_time``.

Counted from the session's start in each process (each xdist worker too). Once it is spent, a
case that has not started is not run (reported ``not-run`` with the reason below), a generated
case stops before its next example, and the run exits 8 with its reports written. An exchange
under way is not cut: it ends within its own deadline (connect + read).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

EXIT_MAX_TIME = 8


@dataclass(frozen=True)
class Budget:
    seconds: float | None = None  # None: unbounded
    started: float = field(default_factory=time.monotonic)

    def spent(self) -> bool:
        return self.seconds is not None and time.monotonic() - self.started >= self.seconds

    def reason(self) -> str:
        return f"not run: the run's --max-time of {self.seconds:g} s was reached"


UNBOUNDED = Budget()
