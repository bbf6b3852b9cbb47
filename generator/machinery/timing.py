"""Where a build's time goes, phase by phase (`sovereign build --timings`)."""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # NOTE: when the CLI module was first imported


class Phases:
    """Wall time of consecutive phases, measured from the CLI's import."""

    SITE = "site"

    def __init__(self) -> None:
        self._last = STARTED
        self.seconds: dict[str, float] = {}

    def mark(self, name: str) -> None:
        """End the phase called `name` now (times add up if a name is marked twice)."""
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._last
        self._last = now

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def line(self) -> str:
        """ "timings: imports 0.15 s · … · total 4.02 s · ours 9% (all but the site)" """
        parts = [f"{name} {s:.2f} s" for name, s in self.seconds.items()]
        parts.append(f"total {self.total:.2f} s")
        if self.SITE in self.seconds and self.total > 0:
            ours = 1 - self.seconds[self.SITE] / self.total
            parts.append(f"ours {ours:.0%} (all but the site engine)")
        return "timings: " + " · ".join(parts)
