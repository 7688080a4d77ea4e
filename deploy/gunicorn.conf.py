"""gunicorn settings for Guichet: `gunicorn -c deploy/gunicorn.conf.py 'app:create_app()'`
(deploy/guichet-web.service). Settings given on the command line or in GUNICORN_CMD_ARGS win.

Logs: gunicorn's own lines and the access lines go to stderr/stdout (journald under systemd); the
application's lines (with the SMS of the development sender) go to stderr through core.logs.
The access line has the path without its query string (%(U)s, never %(r)s or %(q)s), no referer,
and the request id also found on the application's lines of the same request."""
import multiprocessing
import os

from core.logs import gunicorn_logger_class

# A unix socket that only nginx reads (see deploy/nginx-guichet.conf); or 127.0.0.1:8000; on an app
# server behind an nginx on another host, its private address (10.0.0.11:8000).
bind = os.environ.get("GUICHET_BIND", "unix:/run/guichet/gunicorn.sock")
workers = int(os.environ.get("GUICHET_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
worker_class = "sync"  # nginx buffers requests and responses: slow clients never hold a worker
timeout = 60           # PDF receipts and 50 MB uploads stay well under it
graceful_timeout = 30
keepalive = 5
max_requests = 2000    # recycle workers now and then (memory)
max_requests_jitter = 200
# Loaded once in the master (communes, catalogues), then forked: less memory and faster restarts.
preload_app = True
# The socket is the group's (nginx's user is added to the guichet group), files the app writes are not
# readable by others.
umask = 0o007
# Only nginx (on this host by default; its address when it runs on another); the app trusts it with PROXY_FIX=1.
forwarded_allow_ips = os.environ.get("GUICHET_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
errorlog = "-"
loglevel = "info"
logger_class = gunicorn_logger_class()
# host, request id, time, "method path protocol" (no query string), status, bytes, duration (s), agent
access_log_format = '%(h)s %({x-request-id}o)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)s "%(a)s"'
# Application lines go to stderr (core.logs installs its handler there): keep them, not the
# Python warnings gunicorn would otherwise capture.
capture_output = False
# gunicorn 27's control socket (in the service user's home by default) is not used: systemd
# restarts and reloads the service.
control_socket_disable = True
