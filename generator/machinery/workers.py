"""Set-up for worker processes (pipeline and PDF pools)."""

from __future__ import annotations

import os
import signal
import sys


def worker_setup() -> None:
    """Workers ignore Ctrl-C (the parent decides) and, on Linux, die with their parent, so a
    killed build leaves no orphan holding its output pipes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() == 1:  # the parent died before we asked
            os._exit(1)
