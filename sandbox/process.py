"""Start the sandbox as a child process, for test fixtures (ours and the app's).

    process = SandboxProcess(["--webhook-url", url, "--webhook-secret", secret], log_path)
    ...  # process.url is e.g. http://127.0.0.1:41234
    process.stop()
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

from . import READY_PREFIX

REPO = Path(__file__).resolve().parents[1]


class SandboxProcess:
    """``python -m sandbox`` (or ``module``, e.g. ``sandbox.paystack``) on a free port."""

    def __init__(self, args: list[str], log_path: Path, timeout: float = 30.0,
                 module: str = "sandbox", ready_prefix: str = READY_PREFIX):
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, "--port", "0", *args],
            cwd=REPO, stdout=subprocess.PIPE, stderr=self._log, text=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.proc.stdout.readline()),
                         daemon=True).start()
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            line = ""
        if not line.startswith(ready_prefix):
            self.stop()
            raise RuntimeError(f"sandbox did not start: {line!r}\n{log_path.read_text()}")
        self.url = line[len(ready_prefix):].strip()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self._log.close()
        return self.proc.returncode
