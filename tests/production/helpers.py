"""Real components for the fault tests: a job worker process, an SMTP server that accepts and never
answers, and a TCP proxy the test cuts and restores in front of PostgreSQL or Redis."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=60.0, interval=0.1, what="condition"):
    """Poll until `predicate()` is true; fails (never asserts a duration) after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


class SilentSMTP:
    """Accepts connections on `port` and never says a word (the greeting never comes)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.accepted = 0
        self.connections: list[socket.socket] = []
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", port))
        self.server.listen(16)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.accepted += 1
            self.connections.append(connection)

    def stop(self) -> None:
        try:
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()
        self.thread.join(5)
        for connection in self.connections:
            connection.close()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to `target`. `cut()` closes every connection and stops
    listening (clients get « connection refused »); `restore()` listens again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.server: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self.server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            try:
                server.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            server.close()
        with self.lock:
            sockets, self.sockets = self.sockets, set()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.cut()


def app_environment(app, **settings) -> dict[str, str]:
    """The environment under which a process started by a test (`flask …`, gunicorn) sees the same
    database, instance folder and settings as the test's app (SQLite apps only). `settings` that
    are not read from the environment go into the instance folder's config.py."""
    config = app.config
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUICHET_")}
    env.update({
        "FLASK_APP": "app:create_app",
        "GUICHET_INSTANCE_PATH": app.instance_path,
        "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": config["SECRET_KEY"],
        "PUBLIC_URL": config["PUBLIC_URL"],
        "DEV_MAILBOX": "1" if config.get("DEV_MAILBOX") else "0",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    })
    for name in ("REDIS_URL", "MAIL_SERVER", "MAIL_PORT"):
        if config.get(name):
            env[name] = str(config[name])
    instance_settings = {"JOBS_REDIS_URL": config.get("JOBS_REDIS_URL"), "UPLOAD_FOLDER": config["UPLOAD_FOLDER"],
                         **settings}
    Path(app.instance_path, "config.py").write_text(
        "".join(f"{name} = {value!r}\n" for name, value in instance_settings.items()))
    return env


class Worker:
    """`flask jobs worker` in its own process, logging into `log_path`."""

    def __init__(self, app, log_path: Path, **settings) -> None:
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "jobs", "worker", "--workers", "2"], cwd=ROOT,
            env=app_environment(app, **settings), stdout=self.log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
