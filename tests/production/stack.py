"""The production stack of deploy/ on this machine, for tests/production/test_two_servers.py and
bench/load.py: nginx (Debian's package) with the site of deploy/nginx-guichet.conf in front of
gunicorn app servers (deploy/gunicorn.conf.py) on free ports of 127.0.0.1. Every process is started
here and stopped by `close()`, logs in the stack's folder."""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited ({process.returncode}) before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def nginx_site(port: int, upstreams: list[int], folder: Path) -> str:
    """deploy/nginx-guichet.conf with its main server on 127.0.0.1:`port` over plain HTTP (no
    certificate here; tests/test_deploy.py checks the HTTPS site's syntax), the upstream's servers
    on `upstreams`, static files from this checkout, logs in `folder`."""
    template = (ROOT / "deploy" / "nginx-guichet.conf").read_text()
    head, _, rest = template.partition("\n# Any other host name")
    main = rest[rest.index("\nserver {\n    # nginx 1.25+"):]
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;\n" for p in upstreams)
    head, count = re.subn(r"upstream guichet \{\n(?:\s*server [^\n]+\n)+\}", f"upstream guichet {{\n{servers}}}", head)
    assert count == 1, "upstream guichet introuvable dans le modèle"
    main, count = re.subn(r"    listen 443 ssl http2;\n    listen \[::\]:443 ssl http2;\n",
                          f"    listen 127.0.0.1:{port};\n", main)
    assert count == 1, "listen 443 introuvable dans le modèle"
    main = re.sub(r"\n    ssl_[^\n]+", "", main)
    assert "/srv/guichet/static/" in main
    site = head + main.replace("/srv/guichet/static/", f"{ROOT}/static/")
    return site.replace("/var/log/nginx/", f"{folder}/")


def nginx_conf(folder: Path, worker_connections: int = 512) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""  # its workers read this checkout and write `folder`
    temp = "".join(f"  {kind}_temp_path {folder}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                          "scgi"))
    return (f"daemon off;\n{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
            f"events {{ worker_connections {worker_connections}; }}\n"
            f"http {{\n  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n{temp}"
            f"  include {folder}/site.conf;\n}}\n")


class Stack:
    """nginx in front of `servers` gunicorn app servers, all with the environment `env`
    (DATABASE_URL, REDIS_URL, STORAGE_BACKEND…); each server has its own instance folder."""

    def __init__(self, folder: Path, env: dict, servers: int = 2, workers: int = 2, instance_config: str = ""):
        self.folder = Path(folder)
        self.nginx_port = free_port()
        self.ports = [free_port() for _ in range(servers)]
        self.nginx = f"http://127.0.0.1:{self.nginx_port}"
        self.servers = [f"http://127.0.0.1:{p}" for p in self.ports]
        self.env = dict(env, PUBLIC_URL=self.nginx, PROXY_FIX="1", GUICHET_WORKERS=str(workers))
        self.instance_config = instance_config
        self.processes: list[subprocess.Popen] = []

    def instance(self, i: int) -> Path:
        return self.folder / f"instance{i}"

    def server_env(self, i: int) -> dict:
        return dict(self.env, GUICHET_BIND=f"127.0.0.1:{self.ports[i]}", GUICHET_INSTANCE_PATH=str(self.instance(i)))

    def flask(self, *args: str) -> subprocess.CompletedProcess:
        """`flask <args>` with the first server's settings (migrations, demo data, outbox…)."""
        return subprocess.run([str(VENV_BIN / "flask"), "--app", "app:create_app", *args], cwd=ROOT,
                              env=self.server_env(0), capture_output=True, text=True, check=True)

    def start(self) -> "Stack":
        try:
            for i, port in enumerate(self.ports):
                self.instance(i).mkdir(parents=True, exist_ok=True)
                if self.instance_config:
                    (self.instance(i) / "config.py").write_text(self.instance_config)
                with (self.folder / f"gunicorn{i}.log").open("wb") as log:
                    self.processes.append(subprocess.Popen(
                        [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "app:create_app()"], cwd=ROOT,
                        env=self.server_env(i), stdout=log, stderr=subprocess.STDOUT))
            (self.folder / "site.conf").write_text(nginx_site(self.nginx_port, self.ports, self.folder))
            (self.folder / "nginx.conf").write_text(nginx_conf(self.folder))
            with (self.folder / "nginx.log").open("wb") as log:
                self.processes.append(subprocess.Popen([NGINX, "-p", str(self.folder), "-c",
                                                        str(self.folder / "nginx.conf")],
                                                       stdout=log, stderr=subprocess.STDOUT))
            for process, port in zip(self.processes, [*self.ports, self.nginx_port]):
                wait_for_port(port, process, timeout=90)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        for process in reversed(self.processes):
            stop(process)
        self.processes = []

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-tail:]}"
                         for p in sorted(self.folder.glob("*.log")))


def database_url_with_schema(url: str, schema: str) -> str:
    """`url` whose connections use `schema` (search_path), for processes configured by DATABASE_URL."""
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"


def sql_engine(url: str):
    import sqlalchemy
    return sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def recreate_schema(url: str, schema: str, drop_only: bool = False) -> None:
    engine = sql_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        if not drop_only:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine.dispose()


def base_env() -> dict:
    """This process's environment without the test settings and the Guichet ones."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("GUICHET_", "PYTEST", "TEST_DATABASE"))}
