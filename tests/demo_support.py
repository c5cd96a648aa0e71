"""``satchel demo`` as a real child process (network-guarded), with the URLs and logins it printed."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
NETGUARD_DIR = TESTS / "netguard"

SERVICE_LINES = ("issuer-a", "issuer-b", "wallet", "verifier", "share")
READY_LINE = "Open the URLs above"


@dataclass
class RunningDemo:
    process: subprocess.Popen[str]
    urls: dict[str, str]
    logins: dict[tuple[str, str], tuple[str, str]]  # (service, role) -> (email, password)
    output: list[str] = field(default_factory=list)

    def login(self, service: str, role: str) -> tuple[str, str]:
        return self.logins[(service, role)]

    def stop(self, *, timeout: float = 5.0) -> int:
        """SIGTERM, then the exit code; raises ``subprocess.TimeoutExpired`` if it takes longer than ``timeout``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def start_demo(data_dir: Path | None = None, *, timeout: float = 120.0) -> RunningDemo:
    """Start ``python -m satchel demo`` and read its output up to the ready line."""
    env = dict(os.environ, PYTHONPATH=str(NETGUARD_DIR), PYTHONUNBUFFERED="1")
    args = [sys.executable, "-m", "satchel", "demo"] + (["--data-dir", str(data_dir)] if data_dir else [])
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO)
    demo = RunningDemo(process=process, urls={}, logins={})
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    # A reader thread: a text pipe buffers ahead, so waiting on the file descriptor would miss lines.
    threading.Thread(target=_pump, args=(process.stdout, lines, demo.output), daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("the demo printed no ready line in time:\n" + "".join(demo.output)) from None
            if not line:
                raise AssertionError(f"the demo exited ({process.wait()}):\n" + "".join(demo.output))
            words = line.split()
            if len(words) == 2 and words[0] in SERVICE_LINES:
                demo.urls[words[0]] = words[1]
            elif len(words) == 5 and words[0] == "login":
                demo.logins[(words[1], words[2])] = (words[3], words[4])
            elif line.startswith(READY_LINE):
                return demo
    except BaseException:
        demo.kill()
        raise


def _pump(stream: IO[str], lines: queue.Queue[str], output: list[str]) -> None:
    """Copy the child's output, line by line, to the queue and the transcript; an empty string at the end."""
    with stream:
        for line in stream:
            output.append(line)
            lines.put(line)
    lines.put("")
