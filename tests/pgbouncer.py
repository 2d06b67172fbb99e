"""A PgBouncer (Debian's, transaction pooling) on a free loopback port, in front of the
test database, configured from the same template as the deployment (deploy/)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import string
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from .services import ROOT, free_port, missing

TEMPLATE = ROOT / "deploy" / "pgbouncer.ini.in"


def render(template: Path, values: dict[str, str]) -> str:
    """``template`` with every ``${NAME}`` replaced; a missing value is an error."""
    return string.Template(template.read_text()).substitute(values)


class PgBouncer:
    """``pgbouncer`` for the database of ``database_url``; ``url`` reaches it through the
    pooler. Root cannot run PgBouncer: it then runs as ``postgres`` (``-u``)."""

    def __init__(self, database_url: str, *, pool_size: int = 4):
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(binary).exists():
            missing("pgbouncer is not installed (make cluster-deps)")
        target = make_url(database_url)
        self.directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
        self.port = free_port()
        name = target.database or "postgres"
        user = target.username or "postgres"
        values = {"PGB_DATABASE": name, "PG_HOST": target.host or "127.0.0.1",
                  "PG_PORT": str(target.port or 5432), "PG_DATABASE": name, "PG_USER": user,
                  "PGB_PORT": str(self.port), "PGB_DIR": str(self.directory),
                  "PGB_POOL_SIZE": str(pool_size)}
        config = self.directory / "pgbouncer.ini"
        config.write_text(render(TEMPLATE, values))
        (self.directory / "userlist.txt").write_text(f'"{user}" ""\n')
        command = [binary, str(config)]
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            for path in (self.directory, *self.directory.iterdir()):
                os.chown(path, account.pw_uid, account.pw_gid)
            command[1:1] = ["-u", "postgres"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,  # noqa: S603
                                        stderr=subprocess.STDOUT)
        self.url = target.set(host="127.0.0.1", port=self.port).render_as_string(
            hide_password=False)
        self._wait()

    def _wait(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        log = self.directory / "pgbouncer.log"
        self.stop()
        raise RuntimeError("pgbouncer did not start: "
                           + (log.read_text() if log.exists() else "no log"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)
