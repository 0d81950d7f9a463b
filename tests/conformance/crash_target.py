"""Child-process targets for the sandbox tests (spawn imports them by module name)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any


def segfault(send: Callable[[Any], None]) -> None:
    send("about to crash")
    os.kill(os.getpid(), signal.SIGSEGV)
