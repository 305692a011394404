"""`python -m analyzer`: the command line.

Ctrl-C or SIGTERM while the program is still starting (its imports take a second) is a clean
stop too, not a traceback: nothing was read yet, so there is nothing to flush.
"""

import signal
import sys
from types import FrameType


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


signal.signal(signal.SIGTERM, _stop)  # until a command installs its own clean stop
try:
    from analyzer.cli.main import main

    status = main()
except KeyboardInterrupt:
    status = 0
sys.exit(status)
