"""deploy/: the systemd units run commands that exist, the environment example lists every
setting read from the environment, nginx and gunicorn agree with the app's limits."""
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click

import config
from app import ENV_SETTINGS
from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = ("guichet-web.service", "guichet-worker.service")


def unit(name):
    """{(section, key): [values]} of a systemd unit (keys repeat: two ExecStart=)."""
    values = {}
    section = None
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        values.setdefault((section, key), []).append(value)
    return values


def flask_command_exists(app, args):
    """True when `flask <args…>` names a command of the app (group, then subcommand)."""
    command = app.cli.get_command(click.Context(app.cli), args[0])
    for name in args[1:]:
        if not isinstance(command, click.Group) or name.startswith("-"):
            break
        command = command.get_command(click.Context(command), name)
    return command is not None and not isinstance(command, click.Group)


def test_every_file_is_there():
    for name in (*UNITS, "nginx-guichet.conf", "gunicorn.conf.py", "guichet.env.example", "flask.sh"):
        assert (DEPLOY / name).is_file(), name


def test_the_units_run_flask_commands_that_exist(app):
    seen = set()
    for name in UNITS:
        if not name.endswith(".service"):
            continue
        for exec_start in unit(name)[("Service", "ExecStart")]:
            argv = shlex.split(exec_start)
            assert argv[0].startswith("/srv/guichet/.venv/bin/"), exec_start
            if Path(argv[0]).name == "flask":
                args = argv[1:]
                assert flask_command_exists(app, args), exec_start
                seen.add(" ".join(a for a in args if not a.startswith("-") and not a.isdigit()))
            else:
                assert argv[1:] == ["-c", "deploy/gunicorn.conf.py", "app:create_app()"], exec_start
    assert seen == {"jobs worker"}
    assert not flask_command_exists(app, ["outbox", "nothing"])  # the check can fail


def test_the_worker_replaces_the_timers():
    """Mail, SMS and the periodic jobs run in the worker service: no timer is left to start them twice."""
    assert not list(DEPLOY.glob("*.timer"))
    worker = unit("guichet-worker.service")
    assert worker[("Service", "Restart")] == ["always"] and worker[("Install", "WantedBy")] == ["multi-user.target"]


def test_the_services_read_the_environment_file():
    for name in UNITS:
        if name.endswith(".service"):
            values = unit(name)
            assert values[("Service", "EnvironmentFile")] == ["/etc/guichet/guichet.env"], name
            assert values[("Service", "User")] == ["guichet"], name


def test_the_environment_example_lists_every_setting_read_from_the_environment():
    text = (DEPLOY / "guichet.env.example").read_text()
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", text, re.M))
    assert set(ENV_SETTINGS) <= listed, set(ENV_SETTINGS) - listed
    assert "GUICHET_INSTANCE_PATH" in listed
    assert listed - set(ENV_SETTINGS) <= {"GUICHET_INSTANCE_PATH", "GUICHET_BIND", "GUICHET_WORKERS",
                                          "GUICHET_FORWARDED_ALLOW_IPS"}
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    assert set(re.findall(r'os\.environ\.get\("(GUICHET_[A-Z_]+)"', gunicorn)) <= listed


def test_nginx_accepts_what_the_app_accepts():
    text = (DEPLOY / "nginx-guichet.conf").read_text()
    size = re.search(r"client_max_body_size (\d+)m;", text)
    assert size and int(size.group(1)) * 1024 * 1024 == config.Defaults.MAX_CONTENT_LENGTH
    assert "server unix:/run/guichet/gunicorn.sock" in text  # the one-server form, in a comment
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    assert '"unix:/run/guichet/gunicorn.sock"' in gunicorn
    assert 'proxy_set_header X-Forwarded-Host "";' in text
    assert "$request_uri" not in text.split("log_format", 1)[1].split(";", 1)[0]  # no query in the log


NGINX = "/usr/sbin/nginx"  # Debian's package (`apt-get install nginx`); .ci/run installs it


def nginx_test(tmp_path, site):
    """`nginx -t` on `site` inside a minimal nginx.conf, with a throw-away certificate and every
    path under tmp_path. Skipped where nginx is not installed, except in CI (GUICHET_REQUIRE_ALL_TESTS)."""
    nginx = shutil.which("nginx") or (NGINX if Path(NGINX).exists() else None)
    openssl = shutil.which("openssl")
    require(nginx is not None and openssl is not None,
            "nginx ou openssl n’est pas installé (apt-get install nginx) : "
            "vérification de syntaxe de deploy/nginx-guichet.conf ignorée.")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    site = re.sub(r"/etc/letsencrypt/live/[^;]+/fullchain.pem", str(cert), site)
    site = re.sub(r"/etc/letsencrypt/live/[^;]+/privkey.pem", str(key), site)
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  include {tmp_path}/site.conf;\n}}\n")
    return subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True)


def test_nginx_syntax(tmp_path):
    result = nginx_test(tmp_path, (DEPLOY / "nginx-guichet.conf").read_text())
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr, result.stderr
    # nginx 1.25+ warns that `listen … http2` is deprecated (the site's comment gives the new form).
    warnings = [line for line in result.stderr.splitlines() if "[warn]" in line and "http2" not in line]
    assert warnings == []


def test_the_nginx_check_rejects_a_broken_site(tmp_path):
    """The check above can fail: the same site with one directive misspelt is refused."""
    site = (DEPLOY / "nginx-guichet.conf").read_text()
    assert "proxy_buffering on;" in site
    result = nginx_test(tmp_path, site.replace("proxy_buffering on;", "proxy_bufering on;", 1))
    assert result.returncode != 0 and 'unknown directive "proxy_bufering"' in result.stderr, result.stderr


def nginx_server_block(text):
    return text[text.index("server {\n    # nginx 1.25+"):]


def test_nginx_holds_slow_clients_and_balances_two_app_servers():
    """What tests/production/test_two_servers.py runs: buffering both ways, client timeouts short
    enough to cut a slowloris off, an upstream of two app servers, one Cache-Control on static files."""
    text = (DEPLOY / "nginx-guichet.conf").read_text()
    upstream = re.search(r"upstream guichet \{(.*?)\n\}", text, re.S).group(1)
    assert len(re.findall(r"^\s*server \S+:\d+", upstream, re.M)) == 2, upstream
    site = nginx_server_block(text)
    for directive in ("proxy_request_buffering on;", "proxy_buffering on;", "client_header_timeout 10s;",
                      "client_body_timeout 30s;", "send_timeout 30s;", "keepalive_timeout 15s;",
                      "client_max_body_size 50m;", "alias /srv/guichet/static/;",
                      "proxy_set_header X-Forwarded-Proto $scheme;"):
        assert directive in site, directive
    assert "proxy_next_upstream error timeout;" in site and "non_idempotent" not in site  # a POST is never sent twice
    static = site[site.index("location /static/"):site.index("location / {")]
    assert "    expires" not in static and static.count("add_header Cache-Control") == 1
