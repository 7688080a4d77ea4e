"""Guichet benchmark: throughput against a minimal Flask app, page weights, in-process commune search,
the Espace Partenaires figures (history at 10,000 and 1,000,000 requests, 8 × 5 MB uploads), the
MSA messaging (cascade fragments, message recap) and the Portail Des Aides (Igesa queue with 10,000
applications, the application wizard's step 4 and its family table).

The reference pages are the fixed anchors of `../shared/bench/anchors` (issue 11, bench/anchors.py):
A (the minimal page) for every ratio to « the minimal page », B-row (SQLite) and C-row (PostgreSQL)
for the logged-in pages, measured against Guichet on SQLite and on PostgreSQL.

Figures, not tests (quality.md §2). Run with `make bench` (or `.venv/bin/python bench/run.py`);
writes bench/RESULTS.md and prints a summary. Options: `--duration`, `--warmup`, `--connections`,
`--queries`, `--python-load` (skip wrk), `--skip-partenaires`, `--skip-million`, `--million N`,
`--anchors DIR`, `--only-anchors` (the anchor comparison alone), `--slices N`, `--skip-postgres`.
Everything it starts is stopped on exit, error or not."""
import argparse
import gzip
import http.client
import http.cookiejar
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import anchors                          # bench/anchors.py (issue 11: A, B-row, C-row)
import armees as armees_bench          # bench/armees.py (Portail Des Aides, Igesa queue)
import msa                              # bench/msa.py
import partenaires as partners          # bench/partenaires.py
import partenaires_data                 # bench/partenaires_data.py

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "RESULTS.md"
VENV_BIN = Path(sys.executable).parent
KB = 1024

DEMO_EMAIL = "camille.dupont@demo.guichet.fr"
DEMO_PASSWORD = "Guichet-Demo-2026"

# quality.md §2
BUDGET_HTML = 30 * KB
BUDGET_CSS = 15 * KB
BUDGET_JS = 3 * KB
BUDGET_FRAGMENT = 5 * KB
BUDGET_ROW_GROWTH = 350             # bytes per extra row of a list fragment
BUDGET_FIRST_VISIT = 120 * KB
BUDGET_SEARCH_MEDIAN_MS = 2.0
BUDGET_HISTORY_RATIO = 0.5          # partner history at 10,000 requests, req/s ÷ minimal page
BUDGET_HISTORY_GROWTH = 1.5         # its time at 1,000,000 requests ÷ its time at 10,000
BUDGET_UPLOAD_GROWTH_KB = 10 * 1024  # 8 × 5 MB do not grow a worker by more than 10 MB

# Pages weighed: (label, path, needs login, sent as an HTMX request)
PAGES = [
    ("Accueil", "/", False, False),
    ("Connexion", "/compte/connexion", False, False),
    ("Inscription", "/compte/inscription", False, False),
    ("Mot de passe oublié", "/compte/mot-de-passe-oublie", False, False),
    ("Accessibilité", "/accessibilite", False, False),
    ("Portail Partenaires", "/partenaires/", False, False),
    ("Portail MSA", "/msa/", False, False),
    ("Portail Armées", "/armees/", False, False),
    ("Portail Apgis", "/apgis/", False, False),
    ("Portail agents", "/agent/", False, False),
    ("Mon compte (connecté)", "/compte/", True, False),
    ("Démo (connecté)", "/composants/demo", True, False),
]
# Demo accounts used when a portal page asks for login.
PORTAL_ACCOUNTS = {
    "/partenaires/": ("technicienne partenaire", "martine.lapierre@demo.guichet.fr"),
    "/agent/": ("agent", "agent.cpam33@demo.guichet.fr"),
    "/msa/": ("usagère", DEMO_EMAIL), "/armees/": ("usagère", DEMO_EMAIL), "/apgis/": ("usagère", DEMO_EMAIL),
}
FRAGMENTS = [
    ("Recherche de communes « bor »", "/composants/communes?champ=ville&ville-recherche=bor", False),
    ("Recherche de communes « 33 »", "/composants/communes?champ=ville&ville-recherche=33", False),
    ("Recherche de communes « saint »", "/composants/communes?champ=ville&ville-recherche=saint", False),
    ("Démo, fragment (connecté)", "/composants/demo", True),
]
# The load test on the commune search cycles through realistic entries (same generator as the
# in-process measure), and separately through the broadest prefixes, its worst case.
LOAD_QUERY_COUNT = 500
BROAD_QUERIES = ["sa", "saint", "la", "le", "ma", "ch", "vi", "be"]


# --- small helpers ------------------------------------------------------------------------------

def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kb(n):
    return f"{n / KB:.1f} Ko"


def fr(x):
    return f"{x:.2f}"


def nfr(n):
    """1 000 000: French thousands separator."""
    return f"{n:,}".replace(",", " ")


def verdict(ok):
    return "OK" if ok else "DÉPASSÉ"


def run_cmd(args, env, timeout=300):
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, headers=None, follow=False, data=None, opener=None):
    """(status, body bytes, headers). Never raises on an HTTP status."""
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    opener = opener or urllib.request.build_opener(*(() if follow else (NoRedirect,)))
    try:
        with opener.open(req, timeout=30) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


# --- processes ----------------------------------------------------------------------------------

_GUNICORN_EXTRA = None


def gunicorn_extra_args():
    """gunicorn ≥ 25 opens a control socket at a fixed path in the home folder by default: every
    gunicorn on the machine would take it over in turn. The benchmark's servers do without."""
    global _GUNICORN_EXTRA
    if _GUNICORN_EXTRA is None:
        out = subprocess.run([str(VENV_BIN / "gunicorn"), "--help"], capture_output=True, text=True).stdout
        _GUNICORN_EXTRA = ["--no-control-socket"] if "--no-control-socket" in out else []
    return _GUNICORN_EXTRA


class Gunicorn:
    """One gunicorn master in its own process group, stopped by its pid."""

    def __init__(self, name, target, chdir, env, workers, logdir):
        self.name, self.port = name, free_port()
        self.log_path = Path(logdir) / f"gunicorn-{name}.log"
        self.args = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-k", "sync",
                     "-b", f"127.0.0.1:{self.port}", "--chdir", str(chdir),
                     "--error-logfile", str(self.log_path), "--log-level", "warning",
                     *gunicorn_extra_args(), target]
        self.env = env
        self.proc = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, probe="/"):
        self.proc = subprocess.Popen(self.args, cwd=self.args[self.args.index("--chdir") + 1], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn {self.name} exited: {self.tail_log()}")
            try:
                status, _, _ = fetch(self.base + probe)
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn {self.name} did not answer within 60 s: {self.tail_log()}")

    def cpu_seconds(self):
        """CPU time (user + system) used so far by the master and its workers."""
        tick = os.sysconf("SC_CLK_TCK")
        pids = [self.proc.pid]
        try:
            for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
                pids += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            return float("nan")
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def log_errors(self):
        """(number of tracebacks in the whole log, the last exception line)."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return 0, None
        # The app logs one "ERROR in …" line per failed request (Flask's own: "Exception on …"); its
        # traceback may chain two.
        count = sum("] ERROR in " in line or "Exception on " in line for line in lines) or \
            sum("Traceback (most recent call last)" in line for line in lines)
        last = next((line for line in reversed(lines)
                     if re.match(r"^[\w.]+(Error|Exception)\b", line) or " ERROR]" in line), None)
        return count, last

    def tail_log(self):
        try:
            return self.log_path.read_text()[-2000:]
        except OSError:
            return "(no log)"

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = self.proc.pid  # start_new_session: the master leads its own group
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        except ProcessLookupError:
            pass


# --- load generators ----------------------------------------------------------------------------

WRK_SCRIPT = r"""
%(setup)s
local paths = {%(paths)s}
local i = 0
if #paths > 0 then
  request = function()
    i = (i %% #paths) + 1
    return wrk.format(nil, paths[i])
  end
end
done = function(summary, latency, requests)
  io.write(string.format("BENCHJSON {\"requests\": %%d, \"duration_us\": %%d, \"p50_us\": %%d, \"p95_us\": %%d, \"p99_us\": %%d, \"max_us\": %%d, \"non2xx\": %%d, \"connect_err\": %%d, \"read_err\": %%d, \"write_err\": %%d, \"timeout_err\": %%d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.errors.status, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.timeout))
end
"""
# A POST: wrk.format() and the static request both use wrk.method and wrk.body (wrk adds the
# Content-Length). The body is read from a file, so any bytes go through unchanged.
WRK_POST_SETUP = r"""
wrk.method = "POST"
local body_file = assert(io.open(%(body_path)s, "rb"))
wrk.body = body_file:read("*a")
body_file:close()
"""


def ensure_wrk():
    """Path of wrk, installing the Debian package when missing; None if impossible."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        log("wrk absent : installation avec apt-get…")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True, timeout=300)
    return shutil.which("wrk")


class WrkLoad:
    def __init__(self, wrk, threads, connections, tmpdir):
        self.wrk, self.threads, self.connections, self.tmpdir = wrk, threads, connections, Path(tmpdir)
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True)
        self.version = (out.stdout + out.stderr).splitlines()[0].strip()
        self.name = f"wrk ({self.version.split(' Copyright')[0]})"

    def run(self, base, paths, seconds, headers=None, body=None):
        """GET `paths` in rotation; with `body` (bytes), POST it to each instead (the Content-Type
        goes in `headers`)."""
        script = self.tmpdir / "bench.lua"
        quoted = ", ".join(json.dumps(p) for p in paths) if len(paths) > 1 else ""
        setup = ""
        if body is not None:
            body_path = self.tmpdir / "bench-body.bin"
            body_path.write_bytes(body)
            setup = WRK_POST_SETUP % {"body_path": json.dumps(str(body_path))}
        script.write_text(WRK_SCRIPT % {"paths": quoted, "setup": setup})
        args = [self.wrk, "-t", str(self.threads), "-c", str(self.connections), "-d", f"{seconds}s",
                "--timeout", "5s", "-s", str(script)]
        for name, value in (headers or {}).items():
            args += ["-H", f"{name}: {value}"]
        args.append(base + paths[0])
        proc = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60)
        match = re.search(r"BENCHJSON (\{.*\})", proc.stdout)
        if not match:
            raise RuntimeError(f"wrk output not understood: {proc.stdout}\n{proc.stderr}")
        data = json.loads(match.group(1))
        errors = data["connect_err"] + data["read_err"] + data["write_err"] + data["timeout_err"]
        return {"rps": data["requests"] / (data["duration_us"] / 1e6), "seconds": data["duration_us"] / 1e6,
                "p50_ms": data["p50_us"] / 1000,
                "p95_ms": data["p95_us"] / 1000, "p99_ms": data["p99_us"] / 1000,
                "requests": data["requests"], "non2xx": data["non2xx"], "errors": errors}


class PythonLoad:
    """Fallback when wrk is unavailable: threads, one connection each, a new TCP connection per
    request (gunicorn's sync workers close it anyway). Slower than wrk: ratios stay meaningful,
    absolute req/s are a floor."""

    def __init__(self, connections):
        self.connections = connections
        self.threads = connections
        self.name = "générateur Python (http.client, threads)"

    def run(self, base, paths, seconds, headers=None, body=None):
        """Same contract as WrkLoad.run: GET, or POST `body` when given."""
        method = "GET" if body is None else "POST"
        host, port = base.split("//")[1].split(":")
        latencies, statuses, errors = [], [], [0]
        lock = threading.Lock()
        stop_at = time.perf_counter() + seconds

        def worker(offset):
            i, local_lat, local_st = offset, [], []
            while time.perf_counter() < stop_at:
                path = paths[i % len(paths)]
                i += 1
                t0 = time.perf_counter()
                try:
                    conn = http.client.HTTPConnection(host, int(port), timeout=5)
                    conn.request(method, path, body=body, headers=headers or {})
                    resp = conn.getresponse()
                    resp.read()
                    conn.close()
                    local_st.append(resp.status)
                    local_lat.append(time.perf_counter() - t0)
                except OSError:
                    with lock:
                        errors[0] += 1
            with lock:
                latencies.extend(local_lat)
                statuses.extend(local_st)

        start = time.perf_counter()
        pool = [threading.Thread(target=worker, args=(n,)) for n in range(self.connections)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.perf_counter() - start
        latencies.sort()

        def pct(p):
            return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else 0

        return {"rps": len(latencies) / elapsed, "seconds": elapsed, "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
                "requests": len(latencies), "non2xx": sum(1 for s in statuses if not 200 <= s < 300),
                "errors": errors[0]}


# --- steps --------------------------------------------------------------------------------------

def prepare_instance(env):
    """Fresh SQLite database: migrations (plus any table not yet migrated), communes, demo users."""
    notes = []
    code, out = run_cmd([str(VENV_BIN / "flask"), "db", "upgrade"], env)
    if code != 0:
        notes.append(f"`flask db upgrade` a échoué ({out.splitlines()[-1] if out else code}) : tables créées par `flask create-db`.")
    code2, out2 = run_cmd([str(VENV_BIN / "flask"), "create-db"], env)
    if code != 0 and code2 != 0:
        raise RuntimeError(f"Cannot create the database:\n{out}\n{out2}")
    for args in (["communes", "load"], ["demo"]):
        code, out = run_cmd([str(VENV_BIN / "flask"), *args], env)
        if code != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{out}")
        if args[0] == "communes":
            notes.append(out.splitlines()[-1])
    return notes


def commune_queries(count, seed=2026):
    """Realistic search strings drawn from the CSV: 2–5 postcode digits, or the first 2+ letters of a
    name as people type it (accents kept, sometimes lower-case, sometimes hyphens as spaces)."""
    import csv
    rng = random.Random(seed)
    with (ROOT / "data" / "communes-fr.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    # People look for where people live: weight by population (with a floor for small villages).
    weights = [max(int(r["population"] or 0), 200) for r in rows]
    picks = rng.choices(rows, weights=weights, k=count // 2) + rng.choices(rows, k=count - count // 2)
    rng.shuffle(picks)
    queries = []
    for row in picks:
        if rng.random() < 0.35:
            queries.append(("code postal", row["code_postal"][:rng.randint(2, 5)]))
        else:
            name = row["nom"]
            text = name[:rng.randint(2, min(len(name), 12))] if len(name) > 2 else name
            roll = rng.random()
            if roll < 0.3:
                text = text.lower()
            elif roll < 0.4:
                text = text.replace("-", " ")
            queries.append(("nom", text))
    return queries


def bench_search_in_process(instance, count):
    os.environ["GUICHET_INSTANCE_PATH"] = str(instance)
    os.environ.setdefault("GUICHET_PUBLIC_URL", "http://127.0.0.1")
    from app import create_app
    from core.places import search_communes
    from models import Commune

    app = create_app()
    with app.app_context():
        pairs = Commune.query.count()
        queries = commune_queries(count)
        for _, q in queries[:200]:  # warm-up: imports, statement cache, SQLite page cache
            search_communes(q)
        times, cpu_times, by_kind, slowest = [], [], {}, []
        hits = 0
        for kind, q in queries:
            c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
            found = search_communes(q)
            dt = (time.perf_counter_ns() - t0) / 1e6
            cpu_times.append((time.thread_time_ns() - c0) / 1e6)
            hits += bool(found)
            times.append(dt)
            by_kind.setdefault(kind, []).append(dt)
            slowest.append((cpu_times[-1], dt, q, len(found)))
        slowest.sort(reverse=True)
        # The prefixes that match the most communes are the worst case of a range scan + sort.
        worst_cases = {}
        for q in ("sa", "saint", "la", "le", "ma", "01", "62", "59", "75"):
            for _ in range(3):
                search_communes(q)
            runs = []
            for _ in range(20):
                t0 = time.thread_time_ns()
                search_communes(q)
                runs.append((time.thread_time_ns() - t0) / 1e6)
            worst_cases[q] = statistics.median(runs)

    def summary(values):
        values = sorted(values)
        return {"n": len(values), "median": statistics.median(values), "mean": statistics.fmean(values),
                "p95": values[int(0.95 * (len(values) - 1))], "max": values[-1]}

    return {"pairs": pairs, "all": summary(times), "cpu": summary(cpu_times), "kinds": {k: summary(v) for k, v in by_kind.items()},
            "slowest": slowest[:5], "worst_cases": worst_cases, "hit_rate": hits / len(queries)}


def login_cookie(base, email=DEMO_EMAIL):
    """Session cookie of a demo account, obtained through the real login form and its CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, body, _ = fetch(base + "/compte/connexion", opener=opener)
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or \
        re.search(rb'value="([^"]+)"[^>]*name="csrf_token"', body)
    if status != 200 or not match:
        raise RuntimeError(f"login page: status {status}, CSRF token {'found' if match else 'missing'}")
    form = urllib.parse.urlencode({"csrf_token": match.group(1).decode(), "email": email,
                                   "password": DEMO_PASSWORD}).encode()
    fetch(base + "/compte/connexion", data=form, opener=opener,
          headers={"Content-Type": "application/x-www-form-urlencoded"})
    cookies = {c.name: c.value for c in jar}
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    status, _, _ = fetch(base + "/compte/", headers={"Cookie": header})
    if status != 200:
        raise RuntimeError(f"login failed: /compte/ answers {status} with the session cookie")
    return header


def weigh(base, cookie):
    """HTML weights of every page and fragment, and of the static files the home page loads."""
    pages, fragments = [], []
    for label, path, needs_login, _ in PAGES:
        if needs_login and not cookie:
            pages.append({"label": label, "path": path, "status": None, "raw": 0, "gzip": 0, "has_html": False})
            continue
        headers = {"Cookie": cookie} if needs_login else {}
        status, body, _ = fetch(base + path, headers=headers)
        account = PORTAL_ACCOUNTS.get(path)
        if status in (302, 401, 403) and not needs_login and account:
            # A portal that now requires login: weigh it as one of its own users sees it.
            try:
                status, body, _ = fetch(base + path, headers={"Cookie": login_cookie(base, account[1])})
                label = f"{label} (connecté : {account[0]})"
            except RuntimeError:
                pass
        pages.append({"label": label, "path": path, "status": status, "raw": len(body),
                      "gzip": len(gzip.compress(body, 6)), "has_html": b"<html" in body})
    for label, path, needs_login in FRAGMENTS:
        if needs_login and not cookie:
            fragments.append({"label": label, "path": path, "status": None, "raw": 0, "gzip": 0, "has_html": False})
            continue
        headers = {"HX-Request": "true", **({"Cookie": cookie} if needs_login else {})}
        status, body, _ = fetch(base + path, headers=headers)
        fragments.append({"label": label, "path": path, "status": status, "raw": len(body),
                          "gzip": len(gzip.compress(body, 6)), "has_html": b"<html" in body})

    # What a first visit really downloads: the home page and every asset it references.
    status, home, _ = fetch(base + "/")
    refs = re.findall(rb'<(?:link[^>]+href|script[^>]+src)="([^"]+)"', home)
    assets = []
    for ref in refs:
        url = urllib.parse.urljoin(base + "/", ref.decode().replace("&amp;", "&"))
        if not url.startswith(base):
            assets.append({"url": url, "kind": "externe", "raw": 0, "gzip": 0, "status": None})
            continue
        st, body, hdrs = fetch(url)
        path = urllib.parse.urlparse(url).path
        kind = "htmx (vendored)" if "/vendor/" in path else ("CSS" if path.endswith(".css") else
                                                             "JS" if path.endswith(".js") else "autre")
        assets.append({"url": path, "kind": kind, "raw": len(body), "gzip": len(gzip.compress(body, 6)),
                       "status": st, "cache": hdrs.get("Cache-Control", "")})

    static = ROOT / "static"
    own_css = sum(p.stat().st_size for p in (static / "css").rglob("*.css"))
    own_js = sum(p.stat().st_size for p in (static / "js").rglob("*.js"))
    htmx_files = sorted((static / "vendor").glob("htmx-*.js"))
    return {"pages": pages, "fragments": fragments, "home": len(home), "assets": assets,
            "own_css": own_css, "own_js": own_js,
            "own_css_gzip": sum(len(gzip.compress(p.read_bytes(), 6)) for p in (static / "css").rglob("*.css")),
            "own_js_gzip": sum(len(gzip.compress(p.read_bytes(), 6)) for p in (static / "js").rglob("*.js")),
            "htmx": htmx_files[0].stat().st_size if htmx_files else 0,
            "htmx_name": htmx_files[0].name if htmx_files else "(absent)"}


def combine(runs):
    """Slices of one measure: req/s over the whole measured time, median of the slices' percentiles."""
    seconds = sum(r["seconds"] for r in runs)
    return {"rps": sum(r["requests"] for r in runs) / seconds, "requests": sum(r["requests"] for r in runs),
            "p50_ms": statistics.median(r["p50_ms"] for r in runs),
            "p95_ms": statistics.median(r["p95_ms"] for r in runs),
            "p99_ms": statistics.median(r["p99_ms"] for r in runs),
            "non2xx": sum(r["non2xx"] for r in runs), "errors": sum(r["errors"] for r in runs),
            "cpu_ms": 1000 * sum(r["cpu"] for r in runs) / max(1, sum(r["requests"] for r in runs)),
            "slices_rps": [r["requests"] / r["seconds"] for r in runs]}


def machine_info():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} Gio"
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        commit += " (+ modifications non commitées)" if dirty else ""
    except OSError:
        commit = "?"
    from importlib.metadata import version
    versions = {name: version(name) for name in ("gunicorn", "Flask", "Jinja2", "SQLAlchemy")}
    return {"cores": os.cpu_count(), "cpu": cpu, "mem": mem, "python": platform.python_version(),
            "os": platform.platform(), "commit": commit, "versions": versions}


def _history_result(rows, kind, scale_is_million):
    for row in rows:
        h = row.get("history")
        if h and h[0] == kind and (h[1] != "10 000 demandes") == scale_is_million and not row.get("pending"):
            return row
    return None


HISTORY_KINDS = [("page", "page entière, tri par défaut"), ("fragment", "fragment HTMX, tri par défaut"),
                 ("tri", "« Personne concernée » A-Z, statut Résolu (information)")]


def history_growth(ctx):
    """[(label, row at 10k, row at 1M, CPU factor, time factor, p50 factor)] for the report and the summary."""
    out = []
    rows = ctx["throughput"]["rows"]
    for kind, label in HISTORY_KINDS:
        big = _history_result(rows, kind, True)
        if not (big and big.get("paired_small")):
            continue
        # Both measured in the same rounds, against the same minimal-page slices.
        r1, r2, ref = big["paired_small"], big["result"], big["ref"]
        ratio1, ratio2 = r1["rps"] / ref["rps"], r2["rps"] / ref["rps"]
        out.append({"kind": kind, "label": label, "small": r1, "big": r2,
                    "cpu_factor": r2["cpu_ms"] / r1["cpu_ms"], "time_factor": ratio1 / ratio2,
                    "p50_factor": r2["p50_ms"] / r1["p50_ms"], "ratio_small": ratio1, "ratio_big": ratio2})
    return out


def partner_report(ctx):
    p = ctx["partner"]
    if not p.get("enabled") and not p.get("data10k"):
        return ["", "## Espace Partenaires", "", "Non mesuré (`--skip-partenaires`)."]
    lines = ["", "## Espace Partenaires", "", "### Données", ""]
    d = p.get("data10k")
    if d:
        shown = f" ; l’historique en affiche {p['shown10k']} (les demandes annulées n’y figurent pas)" \
            if p.get("shown10k") else ""
        lines.append(f"- {d['rows']} demandes de la structure « {partenaires_data.STRUCTURE_NAME} » auprès de "
                     f"CPAM GIRONDE, générées en {d['seconds']:.1f} s (sqlite3, `executemany` par lots), en plus "
                     f"des demandes de la démo{shown}. Dates réparties sur deux ans, numéros de "
                     "`models.partenaires.format_number` (une séquence par organisme et par année, "
                     "`request_sequence` mise à jour), statuts selon l’ancienneté (anciennes : résolues à 92 %, "
                     "4 % annulées ; récentes : nouvelles, prises en charge, résolues), les cinq offres de service, "
                     "personnes concernées aux noms français accentués ; puis `ANALYZE`.")
    m = p.get("data1m")
    if m:
        lines.append(f"- Puis complétée jusqu’à {nfr(m['total'])} demandes en base : {nfr(m['rows'])} demandes de "
                     f"{nfr(m['structures'])} autres structures (deux techniciens chacune, activité très inégale) "
                     f"auprès de {m['organisations']} CPAM ajoutées et des cinq de la démo (9 demandes sur 10 à la CPAM "
                     f"de la structure), plus 3 000 de la structure de démo auprès de ses autres organismes. "
                     f"CPAM GIRONDE en compte alors {nfr(m['gironde'])} toutes structures confondues. Génération : "
                     f"{m['insert_seconds']:.0f} s d’insertion (lots de {nfr(partenaires_data.BATCH)}, index en place), "
                     f"{m['seconds']:.0f} s avec `ANALYZE` ; base de {m['db_bytes'] / KB / KB:.0f} Mo.")
        if p.get("shown1m") is not None:
            lines.append(f"- L’historique de la technicienne affiche toujours {p['shown1m']} demandes.")
    elif p.get("million") is False and p.get("enabled"):
        lines.append("- Mesure au million non faite (`--skip-million`).")

    growth = history_growth(ctx)
    if growth:
        lines += ["", f"### Croissance : de 10 000 à {p['million_label']} demandes en base", "",
                  "Deux serveurs Guichet identiques tournent en même temps, l’un sur la base à 10 000 demandes, "
                  "l’autre sur une copie de cette base complétée jusqu’au grand volume ; chaque tour de mesure "
                  "enchaîne une tranche de la page minimale, une du serveur à 10 000 et une du serveur au grand "
                  "volume (même URL, même technicienne), si bien que la charge de fond de la machine pèse "
                  "pareillement sur les deux. Facteur CPU = CPU par requête au grand volume ÷ CPU par requête à 10 000 ; "
                  "facteur temps = rapport req/s à 10 000 ÷ rapport req/s au grand volume (le temps par requête, "
                  "rapporté à la page minimale mesurée au même moment, ce qui neutralise la charge de fond). "
                  "Budget : au plus 1,5 pour la page et le fragment.", "",
                  "| variante | CPU / req. 10 000 | CPU / req. {0} | facteur CPU | rapport req/s 10 000 | "
                  "rapport req/s {0} | facteur temps | p50 10 000 | p50 {0} | p95 10 000 | p95 {0} | "
                  "budget | verdict |".format(p["million_label"]),
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
        for g in growth:
            r1, r2 = g["small"], g["big"]
            budgeted = g["kind"] != "tri"
            ok = verdict(g["cpu_factor"] <= BUDGET_HISTORY_GROWTH and g["time_factor"] <= BUDGET_HISTORY_GROWTH) \
                if budgeted else "–"
            lines.append(f"| {g['label']} | {r1['cpu_ms']:.2f} ms | {r2['cpu_ms']:.2f} ms | {fr(g['cpu_factor'])} | "
                         f"{fr(g['ratio_small'])} | {fr(g['ratio_big'])} | {fr(g['time_factor'])} | "
                         f"{r1['p50_ms']:.1f} ms | {r2['p50_ms']:.1f} ms | {r1['p95_ms']:.1f} ms | {r2['p95_ms']:.1f} ms | "
                         f"{'≤ 1.5' if budgeted else '–'} | {ok} |")

    small, big = p.get("inproc10k_paired") or p.get("inproc10k"), p.get("inproc1m")
    if small:
        lines += ["", "### La vue dans le processus, et son SQL", "",
                  "La vue `partenaires.history` appelée par le client de test de Flask (session réelle de la "
                  "technicienne, CSRF actif), sans serveur ni réseau : médianes de temps CPU du thread et de temps "
                  "réel sur 150 appels après 10 de chauffe"
                  + (", par lots de 10 alternant la base à 10 000 et celle du grand volume (deux applis dans le "
                     "même processus)" if big else "") + ". « Balayage » : le plan SQLite d’une requête de la vue "
                  "contient un `SCAN partner_request` (parcours de toute la table).", ""]
        if big:
            lines += [f"| variante | octets | CPU 10 000 | CPU {p['million_label']} | facteur CPU | temps 10 000 | "
                      f"temps {p['million_label']} | balayage de la table |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
            for a, b in zip(small, big):
                scan = "non" if not (a["full_scan"] or b["full_scan"]) else "**oui**"
                lines.append(f"| {a['label']} | {a['bytes']} | {a['cpu_ms']:.2f} ms | {b['cpu_ms']:.2f} ms | "
                             f"{fr(b['cpu_ms'] / a['cpu_ms'])} | {a['wall_ms']:.2f} ms | {b['wall_ms']:.2f} ms | {scan} |")
        else:
            lines += ["| variante | octets | CPU | temps | balayage de la table |", "| --- | ---: | ---: | ---: | --- |"]
            for a in small:
                lines.append(f"| {a['label']} | {a['bytes']} | {a['cpu_ms']:.2f} ms | {a['wall_ms']:.2f} ms | "
                             f"{'**oui**' if a['full_scan'] else 'non'} |")
        plans_of = big or small
        where = f"à {p['million_label']} demandes" if big else "à 10 000 demandes"
        lines += ["", f"Plans SQLite {where} (`EXPLAIN QUERY PLAN` des requêtes exactes de la vue, paramètres compris) :", ""]
        for entry in plans_of:
            if entry["label"] not in (plans_of[0]["label"], plans_of[2]["label"], plans_of[3]["label"]):
                continue
            lines.append(f"- {entry['label']} :")
            for q in entry["plans"]:
                kind = "COUNT" if q["sql"].upper().startswith("SELECT COUNT") else "lignes"
                lines.append(f"  - {kind} : " + " ; ".join(f"`{step}`" for step in q["plan"]))

    u = p.get("upload")
    if u:
        lines += ["", "### Pièces jointes : mémoire d’un worker qui reçoit 8 × 5 Mo", "",
                  f"Un gunicorn à part (`-w 1 -k sync`, même cible), connecté comme la technicienne. Dépôt complet "
                  f"d’une demande ODS {partners.ODS} (« Contacter votre organisme d'assurance Maladie ») avec "
                  f"{u['file_count']} PDF valides de {u['file_size']} octets chacun (5 Mo, le maximum ; une page, "
                  "le remplissage est dans le flux de contenu). Deux façons d’envoyer : sans JavaScript, les fichiers "
                  "partent avec « Envoyer » (une seule requête de 40 Mo) ; avec htmx, ils vont d’abord au composant "
                  "(`/composants/pieces-jointes/ajouter`, une requête de 40 Mo) puis le formulaire est envoyé. "
                  "Avant la mesure, chauffe : quatre dépôts avec 8 petits fichiers et quelques pages. Mémoire lue "
                  "dans `/proc/<pid>/status` du worker : VmRSS avant et après chaque dépôt ; pic = VmHWM après le "
                  "dépôt, remis au RSS courant juste avant (écriture de 5 dans `/proc/<pid>/clear_refs`)"
                  + ("" if u.get("peak_reset") else " — remise à zéro refusée, le pic peut dater de la chauffe")
                  + ", recoupé par un échantillonnage de VmRSS toutes les 2 ms.", "",
                  "| dépôt | octets envoyés | stockés sur disque | durée | RSS avant | RSS après | croissance durable | "
                  "pic (VmHWM) | croissance de pointe | pic échantillonné | budget | verdict |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
        for n, r in enumerate(u["runs"], 1):
            how = "avec htmx (composant, puis Envoyer)" if r["via_component"] else "sans JS (fichiers avec Envoyer)"
            steady = r["rss_after"] - r["rss_before"]
            peak = r["hwm_after"] - r["rss_before"]
            ok = verdict(max(steady, peak) <= BUDGET_UPLOAD_GROWTH_KB)
            lines.append(f"| {n}. {how}, demande {r['number']} | {r['sent'] / KB / KB:.1f} Mo | "
                         f"{r['stored'] / KB / KB:.1f} Mo | {r['seconds']:.2f} s | {r['rss_before'] / KB:.1f} Mo | "
                         f"{r['rss_after'] / KB:.1f} Mo | {steady / KB:+.1f} Mo | {r['hwm_after'] / KB:.1f} Mo | "
                         f"{peak / KB:+.1f} Mo | {r['sampled_peak'] / KB:.1f} Mo | ≤ 10 Mo | {ok} |")
        total = u["final"]["VmRSS"] - u["baseline"]["VmRSS"]
        lines += ["", f"Sur l’ensemble des {len(u['runs'])} dépôts ({len(u['runs']) * u['file_count']} fichiers, "
                      f"{len(u['runs']) * u['file_count'] * u['file_size'] / KB / KB:.0f} Mo reçus) : RSS du worker "
                      f"{u['baseline']['VmRSS'] / KB:.1f} Mo après la chauffe, {u['final']['VmRSS'] / KB:.1f} Mo à la "
                      f"fin ({total / KB:+.1f} Mo). Les fichiers ne passent jamais en mémoire : Werkzeug les reçoit dans "
                      "un fichier temporaire au-delà de 500 Ko, `core.uploads.store_upload` les copie par blocs de 64 Ko."]
    return lines


# --- report -------------------------------------------------------------------------------------

def write_report(ctx):
    m, w, s, t = ctx["machine"], ctx["weights"], ctx["search"], ctx["throughput"]
    lines = [
        "# Guichet – résultats du banc d’essai",
        "",
        f"Produit par `bench/run.py` le {ctx['date']} (durée totale {ctx['elapsed']:.0f} s). "
        "Voir `bench/README.md` pour la méthode. Budgets : `quality.md` §2.",
        "",
        "## Machine et réglages",
        "",
        f"- Machine : {m['cores']} cœurs ({m['cpu']}), {m['mem']} de mémoire, {m['os']}",
        f"- Python {m['python']} ; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        f"- Code : commit {m['commit']}",
        f"- Appli mesurée : `{ctx['target']}`" + (" (variante, pas l’appli telle quelle)" if ctx["target"] != "app:create_app()" else ""),
        f"- Serveur : gunicorn `-w {ctx['workers']} -k sync`, même réglage pour Guichet et les ancres A (la page "
        f"minimale), B-row et C-row (`{ctx['anchors_dir']}`), toutes lancées dans la même exécution ; SQLite neuve "
        "(migrations, "
        "communes, comptes de démo" + (", demandes Espace Partenaires, voir plus bas" if ctx["partner"].get("data10k") else "")
        + ") dans un dossier temporaire",
        f"- Charge : {ctx['load_tool']} ; {ctx['threads']} thread(s), {ctx['connections']} connexions, "
        f"chauffe {ctx['warmup']} s puis mesure {ctx['duration']} s par URL, sur 127.0.0.1 (le générateur de "
        "charge partage les cœurs avec le serveur)",
    ]
    la = ctx["loadavg"]
    lines.append(f"- Charge moyenne du système (1 min) : {la[0][0]:.2f} avant les mesures de débit, "
                 f"{la[1][0]:.2f} après" + (" : la machine n’était pas au repos, les req/s absolues en pâtissent "
                                            "(les rapports, mesurés en alternance, beaucoup moins)"
                                            if max(la[0][0], la[1][0]) > 1.5 * m["cores"] else ""))
    lines += [f"- Note : {n}" for n in ctx["notes"]]
    if ctx.get("anchors"):
        lines += [""] + anchors.report_lines(ctx["anchors"], history_growth(ctx))

    lines += ["", "## Débit et latence (rapport à la page minimale, ancre A)", "",
              f"Chaque page est mesurée en {t['rounds']} tranches de {t['slice']} s alternées avec autant de tranches "
              "de la page minimale (après une chauffe des deux) : le rapport compare la page à sa propre référence "
              "mesurée dans les mêmes conditions, ce qui neutralise une charge de fond qui varie. req/s : sur tout "
              "le temps mesuré ; p50 et p95 : médiane des tranches. Rapport req/s = page / minimale (budget) ; "
              "rapport p95 = p95 page / p95 minimale (combien de fois plus lent).", "",
              f"Débit de la page minimale sur l’ensemble des tranches : de {t['minimal']['rps_min']:.0f} à "
              f"{t['minimal']['rps_max']:.0f} req/s selon le moment.", "",
              "| page | URL | req/s | req/s minimale (alternée) | rapport req/s | p50 | p95 | p95 minimale | rapport p95 | budget | verdict |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    cpu_lines = ["", "### Temps CPU du serveur par requête", "",
                 "Temps CPU (utilisateur + système) consommé par le maître et les workers gunicorn pendant les "
                 "tranches, divisé par le nombre de requêtes servies. Peu sensible à la charge de fond de la machine, "
                 "il indique le rapport de débit qu’on obtiendrait sur une machine dédiée si le serveur seul "
                 "limitait le débit (rapport CPU = CPU minimale / CPU page).", "",
                 "| page | CPU / requête | CPU / requête, minimale | rapport CPU | budget | verdict |",
                 "| --- | ---: | ---: | ---: | --- | --- |"]
    for row in t["rows"]:
        if row.get("pending"):
            lines.append(f"| {row['label']} | – | – | – | – | – | – | – | – | {row['budget_text']} | {row['pending']} |")
            cpu_lines.append(f"| {row['label']} | – | – | – | {row['budget_text']} | {row['pending']} |")
            continue
        r, ref = row["result"], row["ref"]
        ratio = r["rps"] / ref["rps"]
        p95_ratio = r["p95_ms"] / ref["p95_ms"] if ref["p95_ms"] else float("nan")
        flag = ""
        if r["non2xx"] or r["errors"]:
            flag = f" ({r['non2xx']} réponses non 2xx, {r['errors']} erreurs)"
        ok = "–" if row["budget"] is None else verdict(ratio >= row["budget"])
        lines.append(f"| {row['label']}{flag} | `{row['display']}` | {r['rps']:.0f} | {ref['rps']:.0f} | "
                     f"{fr(ratio)} | {r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms | {ref['p95_ms']:.1f} ms | "
                     f"{fr(p95_ratio)} | {row['budget_text']} | {ok} |")
        cpu_ratio = ref["cpu_ms"] / r["cpu_ms"]
        cpu_ok = "–" if row["budget"] is None else verdict(cpu_ratio >= row["budget"])
        cpu_lines.append(f"| {row['label']} | {r['cpu_ms']:.2f} ms | {ref['cpu_ms']:.2f} ms | {fr(cpu_ratio)} | "
                         f"{row['budget_text']} | {cpu_ok} |")
    lines += cpu_lines
    lines += msa_report(ctx)
    lines += armees_bench.wizard_report(ctx.get("wizard"), BUDGET_FRAGMENT, BUDGET_ROW_GROWTH, verdict)
    lines += partner_report(ctx)

    lines += ["", "## Poids des pages", "",
              "HTML tel que servi (non compressé) et compressé gzip niveau 6 à titre indicatif "
              "(l’appli ne compresse pas elle-même ; c’est le rôle du proxy inverse).", "",
              "| page | URL | statut | HTML | gzip | budget | verdict |", "| --- | --- | ---: | ---: | ---: | --- | --- |"]
    for p in w["pages"]:
        if p["status"] in (404, None):
            why = "absente" if p["status"] == 404 else "non mesurée (pas de session)"
            lines.append(f"| {p['label']} | `{p['path']}` | {p['status'] or '–'} | – | – | ≤ 30 Ko | {why} |")
            continue
        ok = verdict(p["raw"] <= BUDGET_HTML) if p["status"] == 200 else f"statut {p['status']}"
        lines.append(f"| {p['label']} | `{p['path']}` | {p['status']} | {kb(p['raw'])} | {kb(p['gzip'])} | ≤ 30 Ko | {ok} |")
    lines += ["", "| fragment HTMX (`HX-Request: true`) | URL | statut | octets | gzip | budget | verdict |",
              "| --- | --- | ---: | ---: | ---: | --- | --- |"]
    for f in w["fragments"]:
        if f["status"] in (404, None):
            why = "absent" if f["status"] == 404 else "non mesuré (pas de session)"
            lines.append(f"| {f['label']} | `{f['path']}` | {f['status'] or '–'} | – | – | ≤ 5 Ko | {why} |")
            continue
        if f["status"] != 200:
            ok = f"statut {f['status']}"
        elif f["has_html"]:
            ok = "page entière renvoyée, pas un fragment"
        else:
            ok = verdict(f["raw"] <= BUDGET_FRAGMENT)
        lines.append(f"| {f['label']} | `{f['path']}` | {f['status']} | {f['raw']} o | {f['gzip']} o | ≤ 5 Ko | {ok} |")

    asset_raw = sum(a["raw"] for a in w["assets"])
    first_visit = w["home"] + asset_raw
    first_visit_gz = next(p["gzip"] for p in w["pages"] if p["path"] == "/") + sum(a["gzip"] for a in w["assets"])
    lines += ["", "### Fichiers statiques et première visite", "",
              "| quoi | non compressé | gzip | budget | verdict |", "| --- | ---: | ---: | --- | --- |",
              f"| CSS du projet (`static/css/`) | {kb(w['own_css'])} ({w['own_css']} o) | {kb(w['own_css_gzip'])} | ≤ 15 Ko | {verdict(w['own_css'] <= BUDGET_CSS)} |",
              f"| JS du projet (`static/js/`) | {kb(w['own_js'])} ({w['own_js']} o) | {kb(w['own_js_gzip'])} | ≤ 3 Ko | {verdict(w['own_js_gzip'] <= BUDGET_JS)} |",
              f"| htmx vendored (`{w['htmx_name']}`) | {kb(w['htmx'])} | – | hors budget JS | – |",
              f"| Première visite : HTML de l’accueil + tout ce qu’il charge | {kb(first_visit)} | {kb(first_visit_gz)} | ≤ 120 Ko | {verdict(first_visit <= BUDGET_FIRST_VISIT)} |",
              "", "Détail de la première visite (ressources référencées par la page d’accueil, téléchargées) :", "",
              "| ressource | type | statut | octets | Cache-Control |", "| --- | --- | ---: | ---: | --- |",
              f"| `/` | HTML | 200 | {w['home']} | – |"]
    for a in w["assets"]:
        lines.append(f"| `{a['url']}` | {a['kind']} | {a['status']} | {a['raw']} | {a.get('cache', '')} |")

    lines += ["", "## Recherche de communes en processus", "",
              f"`core.places.search_communes` dans un contexte d’application, sur {s['pairs']} couples code "
              f"postal – commune (SQLite), {s['all']['n']} requêtes réalistes tirées du référentiel "
              "(2 à 5 chiffres de code postal, ou 2 lettres et plus d’un nom, accents conservés, "
              "casse et tirets variés ; moitié pondérée par la population), après 200 requêtes de chauffe. "
              f"{s['hit_rate'] * 100:.0f} % des requêtes trouvent au moins une commune.", "",
              "| requêtes | nombre | médiane | moyenne | p95 | max | budget | verdict |",
              "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
              f"| toutes | {s['all']['n']} | {s['all']['median']:.3f} ms | {s['all']['mean']:.3f} ms | {s['all']['p95']:.3f} ms | {s['all']['max']:.2f} ms | médiane < 2 ms | {verdict(s['all']['median'] < BUDGET_SEARCH_MEDIAN_MS)} |",
              f"| toutes, temps CPU du thread (hors préemption) | {s['cpu']['n']} | {s['cpu']['median']:.3f} ms | {s['cpu']['mean']:.3f} ms | {s['cpu']['p95']:.3f} ms | {s['cpu']['max']:.2f} ms | | |"]
    for kind, v in sorted(s["kinds"].items()):
        lines.append(f"| {kind} | {v['n']} | {v['median']:.3f} ms | {v['mean']:.3f} ms | {v['p95']:.3f} ms | {v['max']:.2f} ms | | |")
    lines += ["", "Préfixes les plus larges (temps CPU, médiane de 20 appels) : " +
              ", ".join(f"« {q} » {v:.2f} ms" for q, v in s["worst_cases"].items()) + ".",
              "", "Requêtes les plus coûteuses de l’échantillon (temps CPU ; temps réel entre parenthèses) : " +
              ", ".join(f"« {q} » {cpu:.2f} ms ({dt:.2f} ms, {n} résultats)" for cpu, dt, q, n in s["slowest"]) + "."]
    RESULTS.write_text("\n".join(lines) + "\n" + kept_load_section(), encoding="utf-8")


LOAD_HEADING = "## Charge : deux serveurs derrière nginx (Locust)"  # bench/load.py's section


def kept_load_section():
    """The section bench/load.py wrote (a separate, longer run), kept as it is."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    if LOAD_HEADING not in text:
        return ""
    section = LOAD_HEADING + text.split(LOAD_HEADING, 1)[1].split("\n## ", 1)[0]
    return "\n" + section.rstrip("\n") + "\n"


# --- Espace Partenaires -------------------------------------------------------------------------

PARTNER_PAGES = [
    ("Historique des demandes", partners.HISTORY),
    ("Historique des demandes, 25 par page", partners.HISTORY + "?par_page=25"),
    ("Historique des demandes, 50 par page", partners.HISTORY + "?par_page=50"),
    ("Nouvelle demande, ODS 1 (pièces jointes)", f"/partenaires/demandes/nouvelle/{partners.ODS}"),
]
PARTNER_FRAGMENTS = [
    ("Historique, tri par défaut", partners.HISTORY),
    ("Historique, page 500", partners.HISTORY + "?page=500"),
    ("Historique, « Personne concernée » A-Z, Résolu", partners.HISTORY_SORTED),
    ("Historique, recherche « martin »", partners.HISTORY + "?recherche=martin"),
    ("Historique, 25 par page", partners.HISTORY + "?par_page=25"),
    ("Historique, 50 par page", partners.HISTORY + "?par_page=50"),
]


def weigh_partner(base, cookie):
    """Weights of the technician's pages and history fragments (the history holds its 10,000 requests)."""
    pages, fragments = [], []
    who = " (connecté : technicienne partenaire)"
    for label, path in PARTNER_PAGES:
        status, body, _ = fetch(base + path, headers={"Cookie": cookie})
        pages.append({"label": label + who, "path": path, "status": status, "raw": len(body),
                      "gzip": len(gzip.compress(body, 6)), "has_html": b"<html" in body})
    for label, path in PARTNER_FRAGMENTS:
        status, body, _ = fetch(base + path, headers={"Cookie": cookie, "HX-Request": "true"})
        fragments.append({"label": label + who, "path": path, "status": status, "raw": len(body),
                          "gzip": len(gzip.compress(body, 6)), "has_html": b"<html" in body})
    return pages, fragments


def history_rows(cookie, scale, budget):
    """Throughput rows of the partner history (page, fragment, sorted and filtered) at one scale."""
    auth = {"Cookie": cookie}
    hx = {"Cookie": cookie, "HX-Request": "true"}
    return [
        {"label": f"Historique partenaire, page entière ({scale})", "display": partners.HISTORY,
         "paths": [partners.HISTORY], "headers": auth, "budget": budget, "history": ("page", scale)},
        {"label": f"Historique partenaire, fragment HTMX ({scale})", "display": partners.HISTORY + " (HX-Request)",
         "paths": [partners.HISTORY], "headers": hx, "budget": budget, "history": ("fragment", scale)},
        {"label": f"Historique partenaire, « Personne concernée » A-Z, Résolu ({scale}, information)",
         "display": partners.HISTORY_SORTED, "paths": [partners.HISTORY_SORTED], "headers": auth, "budget": None,
         "history": ("tri", scale)},
    ]


def inprocess_history(*instances):
    """The history view timed in process on each instance's database, calls interleaved, with the
    SQL plans (see partenaires.history_in_process). One list of results per instance."""
    from app import create_app
    apps = []
    os.environ.setdefault("GUICHET_PUBLIC_URL", "http://127.0.0.1")
    # The test client sends « Host: localhost »: trusted here as well as the public address.
    os.environ["TRUSTED_HOSTS"] = "127.0.0.1,localhost"
    for instance in instances:
        os.environ["GUICHET_INSTANCE_PATH"] = str(instance)
        apps.append(create_app())
    return partners.history_in_process(apps)


def armees_step(notes, what, fn, *args, outcome="non mesuré", **kwargs):
    """Run one Portail Des Aides step; on failure say so (log and RESULTS.md, in bold) and carry on
    without its figures."""
    try:
        result = fn(*args, **kwargs)
        if result is None:
            raise RuntimeError("check failed")
        return result
    except Exception as error:
        message = f"{type(error).__name__}: {error}".splitlines()[0][:400]
        notes.append(f"**Portail Des Aides, {what} : {outcome}** ({message}).")
        log(f"  ÉCHEC Portail Des Aides, {what} : {message}")
        return None


def partner_step(notes, what, fn, *args, **kwargs):
    """Run one Espace Partenaires step; on failure note why in RESULTS.md and carry on."""
    try:
        return fn(*args, **kwargs)
    except Exception as error:  # the portal is being finished by others: report, don't abort
        message = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        notes.append(f"Espace Partenaires, {what} : non mesuré ({message}).")
        log(f"  ÉCHEC {what} : {message}")
        return None


# --- MSA messaging ------------------------------------------------------------------------------

MSA_WHO = f" (connecté : {msa.MEMBER_LABEL})"
# (label, path, the page htmx is on when it asks for the fragment)
MSA_FRAGMENTS = [
    ("Messagerie MSA, thème choisi : les sujets", msa.SUBJECTS, msa.NEW),
    ("Messagerie MSA, sujet choisi : les motifs", msa.REASONS, msa.SUBJECTS),
    ("Messagerie MSA, motif choisi : l’étape de rédaction", msa.WRITING, msa.REASONS),
    ("Messagerie MSA, motif avec service en ligne : la suggestion", msa.SERVICE, msa.REASONS),
]


def msa_step(notes, what, fn, *args, outcome="non mesuré", **kwargs):
    """Run one MSA messaging step; on failure say so loudly (log and RESULTS.md) and carry on
    without its figures, rather than measure a page that is not the one meant."""
    try:
        return fn(*args, **kwargs)
    except Exception as error:
        message = f"{type(error).__name__}: {error}".splitlines()[0][:400]
        notes.append(f"**Messagerie MSA, {what} : {outcome}** ({message}).")
        log(f"  ÉCHEC messagerie MSA, {what} : {message}")
        return None


def weigh_msa(member):
    """Weights of the new-message pages, of the recap (the answer to the writing step's POST) and
    of every fragment of the cascade, as the member sees them."""
    base = member.base
    pages, fragments = [], []

    def entry(label, path, status, body):
        return {"label": label, "path": path, "status": status, "raw": len(body),
                "gzip": len(gzip.compress(body, 6)), "has_html": b"<html" in body}

    for label, path in (("Nouveau message, choix du thème", msa.NEW),
                        ("Nouveau message, étape de rédaction", msa.WRITING)):
        status, body = msa.replay(base, "GET", path, {"Cookie": member.cascade_cookie})
        pages.append(entry(label + MSA_WHO, path, status, body))
    status, body = msa.replay(base, "GET", msa.RECAP, member.recap_headers)
    pages.append(entry("Récapitulatif de message" + MSA_WHO, msa.RECAP, status, body))
    for label, path, current in MSA_FRAGMENTS:
        status, body = msa.replay(base, "GET", path, member.fragment_headers(current))
        fragments.append(entry(label + MSA_WHO, path, status, body))
    return pages, fragments


MSA_ROW_LABELS = ("Cascade de la messagerie MSA, fragment HTMX (sujet choisi : les motifs)",
                  "Cascade de la messagerie MSA, fragment HTMX (motif choisi : l’étape de rédaction)",
                  "Récapitulatif de message (messagerie MSA)")


def msa_rows(member):
    """Throughput rows of the MSA messaging: the two cascade swaps a member makes last, and the
    recap. Rows marked as not measured when the member's session could not be set up."""
    if member is None:
        return [{"label": label, "pending": "non mesuré (voir les notes)", "budget": None}
                for label in MSA_ROW_LABELS]
    return [
        {"label": MSA_ROW_LABELS[0], "display": msa.REASONS + " (HX-Request)", "paths": [msa.REASONS],
         "headers": member.fragment_headers(msa.SUBJECTS), "budget": None},
        {"label": MSA_ROW_LABELS[1], "display": msa.WRITING + " (HX-Request)", "paths": [msa.WRITING],
         "headers": member.fragment_headers(msa.REASONS), "budget": None},
        {"label": MSA_ROW_LABELS[2],
         "display": f"GET {msa.RECAP} (brouillon enregistré par « Valider » : message de "
                    f"{msa.MESSAGE_CHARS} caractères)",
         "paths": [msa.RECAP], "headers": member.recap_headers, "budget": None},
    ]


def msa_report(ctx):
    m = ctx["msa"]
    lines = ["", "### Messagerie MSA : comment sont faites ces mesures", ""]
    if not m:
        return lines + ["Non mesurée : voir les notes en haut de page."]
    codes = f"`theme={msa.THEME}`, `subject={msa.SUBJECT}`, `reason={msa.REASON}`"
    lines += [
        f"- Session : l’adhérente de démo (NIR {msa.MEMBER_NIR}, MSA Gironde) se connecte par le vrai formulaire "
        f"(`GET {msa.LOGIN}`, jeton CSRF lu dans la page, `POST` NIR et mot de passe), puis parcourt la cascade "
        "comme un navigateur ; le cookie de session obtenu est rejoué tel quel par le générateur de charge.",
        f"- Cascade : les requêtes que fait htmx quand on valide un niveau (`HX-Request: true`, "
        f"`HX-Target: {msa.HTMX_TARGET}`, `HX-Current-URL`), réponse = le bloc `steps` de "
        "`templates/msa/messages/new.html`. Sujet choisi (« Allocations familiales », la plus longue liste "
        "de motifs du catalogue : 8) : la réponse propose les motifs ; motif choisi (« Mon dossier - Famille », "
        "sans service en ligne) : la réponse est l’étape de rédaction (zone de texte, pièces jointes).",
        f"- Récapitulatif : `GET {msa.RECAP}`, la page où mène « Valider » (post/redirect/get). Avant la mesure, "
        f"le formulaire de rédaction est envoyé une fois comme un navigateur (`POST {msa.NEW}` en "
        f"`multipart/form-data` : jeton CSRF, {codes}, un message de {m['chars']} caractères "
        f"({m['message_bytes']} octets UTF-8, accents et apostrophes typographiques, deux retours à la ligne), le "
        f"jeton signé des pièces jointes et le champ fichier vide ; {m['body_bytes']} octets) : le brouillon est "
        f"enregistré côté serveur, et la page (statut 200, « {msa.RECAP_HEADING} », le message repris ; "
        f"{m['recap_bytes']} octets) est vérifiée une fois par le navigateur simulé puis deux fois avec le cookie "
        "fixe que rejoue la charge.",
        "- Pas de budget pour ces mesures dans `quality.md` §2 (seulement le rapport à la page minimale, demandé "
        "pour « a message recap »).",
    ]
    return lines


# --- main ---------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of measurement per URL (10)")
    parser.add_argument("--rounds", type=int, default=10, help="page/minimal alternations per URL (10)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per URL (3)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, both apps (2)")
    parser.add_argument("--queries", type=int, default=3000, help="in-process commune searches (3000)")
    parser.add_argument("--target", default="app:create_app()",
                        help="gunicorn target of the app under test, to compare a variant (app:create_app())")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator, not wrk")
    parser.add_argument("--skip-partenaires", action="store_true",
                        help="no Espace Partenaires figures (history, growth, uploads)")
    parser.add_argument("--skip-million", action="store_true",
                        help="no growth measure: the history at 10,000 requests only (saves ~3 minutes)")
    parser.add_argument("--million", type=int, default=1_000_000, metavar="N",
                        help="rows in partner_request for the growth measure (1000000)")
    parser.add_argument("--structure-requests", type=int, default=10_000, metavar="N",
                        help="requests of the demo structure to CPAM GIRONDE (10000)")
    parser.add_argument("--skip-armees", action="store_true",
                        help="no Portail Des Aides figures (Igesa queue with 10,000 applications)")
    parser.add_argument("--upload-repeats", type=int, default=2, metavar="N",
                        help="8 × 5 MB submissions measured per way of sending them (2)")
    parser.add_argument("--anchors", default=str(anchors.DEFAULT_ANCHORS), metavar="DIR",
                        help="folder of the fixed anchors A, B and C (../shared/bench/anchors)")
    parser.add_argument("--only-anchors", action="store_true",
                        help="the anchor comparison of issue 11 alone (its section of RESULTS.md is replaced)")
    parser.add_argument("--slices", type=int, default=6, metavar="N",
                        help="anchor comparison: 1-second slices of each side per URL (6)")
    parser.add_argument("--skip-postgres", action="store_true",
                        help="anchor comparison on SQLite only (no C-row, no Guichet on PostgreSQL)")
    opts = parser.parse_args()
    if not (Path(opts.anchors) / "minimal_app.py").exists():
        parser.error(f"anchors not found in {opts.anchors} (minimal_app.py, list_app.py): give --anchors DIR")
    if opts.only_anchors:
        opts.skip_million = True

    started = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    instance = tmp / "instance"
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("GUICHET_") or k in ("DATABASE_URL", "REDIS_URL", "PORTALS", "SECRET_KEY"))}
    env.update(GUICHET_INSTANCE_PATH=str(instance), FLASK_APP="app:create_app",
               GUICHET_PUBLIC_URL="http://127.0.0.1",
               PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}")
    servers = []
    partner = {"enabled": not opts.skip_partenaires, "million": not (opts.skip_partenaires or opts.skip_million)}
    try:
        log(f"Instance temporaire : {instance}")
        notes = prepare_instance(env)
        db_path = instance / "guichet.sqlite"

        if partner["enabled"]:
            log(f"Espace Partenaires : {opts.structure_requests} demandes de la structure de démo…")
            partner["data10k"] = partner_step(notes, "génération des 10 000 demandes",
                                              partenaires_data.add_structure_requests, db_path,
                                              opts.structure_requests)
            if partner["data10k"] is None:
                partner["enabled"] = partner["million"] = False
            else:
                log(f"  {partner['data10k']['rows']} lignes en {partner['data10k']['seconds']:.1f} s")
                partner["recount"] = partner_step(notes, "comptes par statut (`flask partenaires recount`)",
                                                  anchors.recount, env, run_cmd, VENV_BIN / "flask")
                anchors.analyze(db_path)

        armees_data = None
        if not opts.skip_armees:
            log("Portail Des Aides : 10 000 demandes envoyées à Igesa…")
            armees_data = partner_step(notes, "génération des 10 000 demandes Igesa", armees_bench.add_applications,
                                       db_path)
            if armees_data:
                notes.append(f"Portail Des Aides : {nfr(armees_data['rows'])} demandes de {armees_data['members']} "
                             f"ressortissants ajoutées à la file d’Igesa en {armees_data['seconds']:.1f} s "
                             "(`bench/armees.py`, sqlite3, états selon l’ancienneté, références PDA-année-numéro).")

        wrk = None if opts.python_load else ensure_wrk()
        load = WrkLoad(wrk, opts.threads, opts.connections, tmp) if wrk else PythonLoad(opts.connections)
        if not wrk and not opts.python_load:
            notes.append("wrk introuvable et non installable : générateur de charge Python, "
                         "les req/s absolues sont sous-estimées (les rapports restent comparables).")

        def gunicorn(name, target, chdir, server_env):
            server = Gunicorn(name, target, chdir, server_env, opts.workers, tmp)
            servers.append(server)
            return server

        realistic = [f"/composants/communes?{urllib.parse.urlencode({'champ': 'ville', 'ville-recherche': q})}"
                     for _, q in commune_queries(LOAD_QUERY_COUNT, seed=7)]

        def run_anchors(guichet, minimal):
            return anchors.run({"opts": opts, "load": load, "env": env, "tmp": tmp, "run_cmd": run_cmd,
                                "flask_bin": VENV_BIN / "flask", "guichet": guichet, "minimal": minimal,
                                "make_server": gunicorn, "search_paths": realistic})

        if opts.only_anchors:
            guichet, minimal = gunicorn("guichet", opts.target, ROOT, env), gunicorn("A", "minimal_app:app",
                                                                                   opts.anchors, env)
            guichet.start("/")
            minimal.start("/")
            found = run_anchors(guichet, minimal)
            found["notes"][:0] = [n for n in notes if "postcode" not in n]   # not the communes count
            text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Guichet – résultats du banc d’essai\n"
            date = datetime.now().strftime("%Y-%m-%d %H:%M")
            RESULTS.write_text(anchors.splice(text, anchors.report_lines(found, None, date, only=True)),
                               encoding="utf-8")
            anchors.print_summary(found)
            log(f"Section des ancres écrite dans {RESULTS.relative_to(ROOT)} ({time.time() - started:.0f} s en tout)")
            return

        log(f"Recherche de communes en processus ({opts.queries} requêtes)…")
        search = bench_search_in_process(instance, opts.queries)
        log(f"  médiane {search['all']['median']:.3f} ms, p95 {search['all']['p95']:.3f} ms")

        if partner["enabled"]:
            log("Historique partenaire en processus (10 000 demandes)…")
            found = partner_step(notes, "historique en processus à 10 000", inprocess_history, instance)
            partner["inproc10k"] = found[0] if found else None

        guichet = gunicorn("guichet", opts.target, ROOT, env)
        minimal = gunicorn("A", "minimal_app:app", opts.anchors, env)   # anchor A, run from its own folder
        guichet.start("/")
        minimal.start("/")
        log(f"gunicorn : Guichet sur {guichet.base}, ancre A (page minimale) sur {minimal.base}")

        try:
            cookie = login_cookie(guichet.base)
        except RuntimeError as e:
            cookie = None
            notes.append(f"connexion du compte de démo impossible ({e}) : pages connectées non mesurées.")
        weights = weigh(guichet.base, cookie)
        demo_status = fetch(guichet.base + "/composants/demo", headers={"Cookie": cookie})[0] if cookie else None

        tech = None
        if partner["enabled"]:
            tech = partner_step(notes, "connexion de la technicienne", partners.technician_session, guichet.base)
            if tech is not None:
                partner["shown10k"] = partners.history_total(tech)
                pages, fragments = weigh_partner(guichet.base, tech.cookie_header)
                weights["pages"] += pages
                weights["fragments"] += fragments

        log("Messagerie MSA : connexion de l’adhérente par NIR, cascade et récapitulatif…")
        member = msa_step(notes, "connexion de l’adhérente, cascade et récapitulatif", msa.member_session,
                          guichet.base)
        msa_info = None
        if member is not None:
            found = msa_step(notes, "poids des pages", weigh_msa, member)
            if found:
                weights["pages"] += found[0]
                weights["fragments"] += found[1]
            msa_info = {"chars": msa.MESSAGE_CHARS,
                        "message_bytes": len(msa.MESSAGE.encode()), "body_bytes": len(member.recap_body),
                        "recap_bytes": member.recap_bytes}
            log(f"  récapitulatif vérifié ({member.recap_bytes} octets), POST de {len(member.recap_body)} octets")

        igesa = None
        if armees_data:
            log("Portail Des Aides : connexion de l’agent Igesa…")
            igesa = partner_step(notes, "connexion de l’agent Igesa", armees_bench.agent_session, guichet.base)
            if igesa is not None:
                igesa_path = f"/agent/armees/demandes/{armees_bench.demo_application_id(db_path)}"
                igesa_total = armees_bench.queue_total(igesa)
                notes.append(f"File Igesa : {igesa_total} demandes affichées (connecté : {armees_bench.AGENT_EMAIL}).")
                pages, fragments = armees_bench.weigh(guichet.base, fetch, igesa.cookie_header, igesa_path)
                weights["pages"] += pages
                weights["fragments"] += fragments

        wizard = None
        if not opts.skip_armees:
            log("Portail Des Aides : le ressortissant mène une demande jusqu’à l’étape 4 et remplit son tableau…")
            wizard = armees_step(notes, "assistant du ressortissant, étape 4 et tableau « Composition de la famille »",
                                 armees_bench.prepare_wizard, guichet.base)
            if wizard is not None:
                pages, fragments = armees_bench.weigh_wizard(wizard)
                weights["pages"] += pages
                weights["fragments"] += fragments
                growth = armees_bench.per_row(wizard["weights"])
                log(f"  {wizard['wizard'].path} : page {kb(pages[0]['raw'])}, ligne ajoutée "
                    f"{wizard['weights'][0]['save']} o, {growth['offered']:.0f} o par ligne supplémentaire")

        rounds = max(1, opts.rounds)
        slice_s = max(1, round(opts.duration / rounds))

        def measure_group(label, targets):
            """Each target (server, paths, headers[, body]) and the minimal app in alternating
            slices, so that background load on the machine weighs on all alike; each ratio compares
            a page with the reference measured in the same rounds. A target with a body is POSTed.
            Returns ([result per target], reference)."""
            log(f"Charge : {label}…")
            targets = [(t[0], t[1], t[2], t[3] if len(t) > 3 else None) for t in targets]
            load.run(minimal.base, ["/"], opts.warmup)
            for server, paths, headers, body in targets:
                load.run(server.base, paths, opts.warmup, headers, body)
            page_runs, ref_runs = [[] for _ in targets], []

            def timed(srv, srv_paths, srv_headers=None, srv_body=None):
                cpu = srv.cpu_seconds()
                result = load.run(srv.base, srv_paths, slice_s, srv_headers, srv_body)
                result["cpu"] = srv.cpu_seconds() - cpu
                return result

            for _ in range(rounds):
                ref_runs.append(timed(minimal, ["/"]))
                for n, (server, paths, headers, body) in enumerate(targets):
                    page_runs[n].append(timed(server, paths, headers, body))
            pages, ref = [combine(runs) for runs in page_runs], combine(ref_runs)
            for page, (server, _, _, _) in zip(pages, targets):
                log(f"  {server.name if len(targets) > 1 else ''}{' : ' if len(targets) > 1 else ''}"
                    f"{page['rps']:.0f} req/s (minimale en alternance : {ref['rps']:.0f}), rapport "
                    f"{page['rps'] / ref['rps']:.2f}, p95 {page['p95_ms']:.1f} ms, CPU {page['cpu_ms']:.2f} ms/req "
                    f"(minimale {ref['cpu_ms']:.2f}, rapport {ref['cpu_ms'] / page['cpu_ms']:.2f})"
                    + (f", {page['non2xx']} non-2xx, {page['errors']} erreurs" if page["non2xx"] or page["errors"] else ""))
            return pages, ref

        def measure(label, server, paths, headers=None, body=None):
            pages, ref = measure_group(label, [(server, paths, headers, body)])
            return pages[0], ref

        hx = {"HX-Request": "true"}

        def search_url(q):
            return "/composants/communes?" + urllib.parse.urlencode({"champ": "ville", "ville-recherche": q})

        broad = [search_url(q) for q in BROAD_QUERIES]
        rows = [
            {"label": "Accueil", "display": "/", "paths": ["/"], "budget": None},
            {"label": "Connexion", "display": "/compte/connexion", "paths": ["/compte/connexion"], "budget": None},
            {"label": "Recherche de communes (fragment)",
             "display": f"/composants/communes ({LOAD_QUERY_COUNT} saisies réalistes en rotation)",
             "paths": realistic, "headers": hx, "budget": 0.7},
            {"label": "Recherche de communes, préfixes larges (information)",
             "display": "/composants/communes (" + ", ".join(BROAD_QUERIES) + ")",
             "paths": broad, "headers": hx, "budget": None},
        ]
        if demo_status == 200:
            rows.append({"label": "Démo (connecté)", "display": "/composants/demo",
                         "paths": ["/composants/demo"], "headers": {"Cookie": cookie}, "budget": None})
        else:
            rows.append({"label": "Démo (connecté)",
                         "pending": "absente (404)" if demo_status == 404 else
                         f"non mesurée (statut {demo_status})" if demo_status else "non mesurée (pas de session)",
                         "budget": None})
        if tech is not None:
            rows += history_rows(tech.cookie_header, "10 000 demandes", BUDGET_HISTORY_RATIO)
            # The floor of any page of the portal: session check, organisation, layout, no list.
            rows.append({"label": "Fiche d’identification partenaire (connecté, plancher du portail, information)",
                         "display": "/partenaires/fiche", "paths": ["/partenaires/fiche"],
                         "headers": {"Cookie": tech.cookie_header}, "budget": None})
        elif not opts.skip_partenaires:
            rows.append({"label": "Historique partenaire (10 000 demandes)", "pending": "non mesuré (voir les notes)",
                         "budget": BUDGET_HISTORY_RATIO})
        partner_rows_end = len(rows)   # the rows at 1,000,000 requests go here, after those at 10,000
        rows += msa_rows(member)
        if igesa is not None:
            rows += armees_bench.rows(igesa.cookie_header, igesa_path, BUDGET_HISTORY_RATIO)
        wizard_rows = armees_bench.wizard_rows(wizard) if wizard is not None else []
        rows += wizard_rows

        def run_rows(selected):
            for row in selected:
                row["budget_text"] = f"≥ {row['budget']}" if row["budget"] else "–"
                if not row.get("pending"):
                    row["result"], row["ref"] = measure(row["label"], guichet, row["paths"], row.get("headers"),
                                                        row.get("body"))

        load_before = os.getloadavg()
        run_rows(rows)
        if member is not None and msa_step(notes, "contrôle des réponses après la mesure",
                                           lambda: msa.check_still_valid(member) or True,
                                           outcome="échec, chiffres à écarter") is None:
            for row in rows:
                if row["label"] in MSA_ROW_LABELS:
                    row["label"] += " (réponses non vérifiées après la mesure, voir les notes)"

        if wizard is not None and armees_step(notes, "contrôle de la ligne ajoutée après la mesure",
                                              lambda: armees_bench.check_row_answer(
                                                  wizard["wizard"], wizard["body"], wizard["cookie"]) or None,
                                              outcome="échec, chiffres à écarter") is None:
            for row in wizard_rows:
                row["label"] += " (réponses non vérifiées après la mesure, voir les notes)"

        if partner["enabled"]:
            # Memory of one worker receiving 8 × 5 MB: a server of its own, one worker, nothing else.
            log("Pièces jointes : 8 × 5 Mo reçus par un worker seul…")
            uploader = Gunicorn("upload", opts.target, ROOT, env, 1, tmp)
            servers.append(uploader)

            def upload():
                uploader.start("/")
                try:
                    return partners.measure_upload(uploader.base, uploader.proc.pid, instance / "uploads",
                                                   repeats=opts.upload_repeats)
                finally:
                    uploader.stop()
            partner["upload"] = partner_step(notes, "pièces jointes 8 × 5 Mo", upload)
            if partner["upload"]:
                worst = max(partner["upload"]["runs"], key=lambda r: r["hwm_after"] - r["rss_before"])
                log(f"  pic +{(worst['hwm_after'] - worst['rss_before']) / 1024:.1f} Mo, "
                    f"durable {(partner['upload']['final']['VmRSS'] - partner['upload']['baseline']['VmRSS']) / 1024:+.1f} Mo")

        if partner["million"] and tech is not None:
            # A copy of the database grows to the million; the Guichet server on the 10,000 keeps
            # running, and both are measured in the same rounds, so the growth factors compare
            # like with like whatever the machine is doing meanwhile.
            instance_big = tmp / "instance-million"
            log(f"Espace Partenaires : copie de la base, remplie jusqu’à {nfr(opts.million)} demandes…")

            def make_million():
                partenaires_data.clone_instance(instance, instance_big)
                return partenaires_data.fill_to(instance_big / "guichet.sqlite", opts.million,
                                                progress=lambda done, total: log(f"  {nfr(done)} / {nfr(total)}"))
            partner["data1m"] = partner_step(notes, "génération du million de demandes", make_million)
            if partner["data1m"]:
                # The kept per-status counts of the copy, rebuilt after the bulk insert (when the app has them).
                partner_step(notes, "comptes par statut de la copie au million", anchors.recount,
                             dict(env, GUICHET_INSTANCE_PATH=str(instance_big)), run_cmd, VENV_BIN / "flask")
                anchors.analyze(instance_big / "guichet.sqlite")
            if partner["data1m"]:
                d = partner["data1m"]
                log(f"  {nfr(d['rows'])} lignes en {d['insert_seconds']:.0f} s (ANALYZE compris : {d['seconds']:.0f} s), "
                    f"{nfr(d['total'])} en base")
                log(f"Historique partenaire en processus, 10 000 et {nfr(opts.million)} demandes en alternance…")
                pair = partner_step(notes, "historique en processus, 10 000 et million", inprocess_history,
                                    instance, instance_big)
                if pair:
                    partner["inproc10k_paired"], partner["inproc1m"] = pair
                big = Gunicorn("million", opts.target, ROOT, dict(env, GUICHET_INSTANCE_PATH=str(instance_big)),
                               opts.workers, tmp)
                servers.append(big)
                guichet.name = "10k"
                started_big = partner_step(notes, "serveur sur la base au million", lambda: big.start("/") or True)
                tech1m = partner_step(notes, "connexion de la technicienne (million)", partners.technician_session,
                                      big.base) if started_big else None
                if tech1m is not None:
                    partner["shown1m"] = partners.history_total(tech1m)
                    million_rows = history_rows(tech1m.cookie_header, f"{nfr(opts.million)} demandes", None)
                    for row in million_rows:
                        row["budget_text"] = "–"
                        small_headers = dict(row["headers"], Cookie=tech.cookie_header)
                        (row["paired_small"], row["result"]), row["ref"] = measure_group(
                            row["label"] + " et 10 000 en alternance",
                            [(guichet, row["paths"], small_headers), (big, row["paths"], row["headers"])])
                    rows[partner_rows_end:partner_rows_end] = million_rows
                big.stop()
                guichet.name = "guichet"
        load_after = os.getloadavg()
        all_refs = [row["ref"] for row in rows if not row.get("pending")]
        ref = {"rps_min": min(r["rps"] for r in all_refs), "rps_max": max(r["rps"] for r in all_refs)}

        for server in servers:
            count, last = server.log_errors()
            if count or last:
                notes.append(f"le journal gunicorn ({server.name}) contient {count} exception(s) ; "
                             f"la dernière : `{(last or '?')[:240]}`")
        for row in rows:
            for key, where in (("result", ""), ("paired_small", ", serveur à 10 000 apparié")):
                r = row.get(key)
                if r and (r["non2xx"] or r["errors"]):
                    notes.append(f"{row['label']}{where} : {r['non2xx']} réponse(s) non 2xx et {r['errors']} erreur(s) "
                                 f"de connexion sur {r['requests']} requêtes (voir le journal gunicorn).")

        partner["million_label"] = f"{opts.million:,}".replace(",", " ")
        partner["structure_requests"] = opts.structure_requests
        log("Ancres de l’issue 11 : A, B-row (SQLite) et C-row (PostgreSQL)…")
        found_anchors = run_anchors(guichet, minimal)
        ctx = {"date": datetime.now().strftime("%Y-%m-%d %H:%M"), "machine": machine_info(),
               "weights": weights, "search": search, "notes": notes, "partner": partner, "msa": msa_info,
               "wizard": wizard,
               "throughput": {"minimal": ref, "rows": rows, "rounds": rounds, "slice": slice_s},
               "loadavg": (load_before, load_after), "target": opts.target, "load_tool": load.name,
               "threads": load.threads, "connections": opts.connections, "warmup": opts.warmup,
               "duration": opts.duration, "workers": opts.workers, "anchors": found_anchors,
               "anchors_dir": os.path.relpath(Path(opts.anchors).resolve(), ROOT)}
        ctx["elapsed"] = time.time() - started
        write_report(ctx)
        print_summary(ctx)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def print_summary(ctx):
    t, w, s = ctx["throughput"], ctx["weights"], ctx["search"]
    log("")
    log(f"=== Résumé ({ctx['load_tool']}, {ctx['connections']} connexions, {t['rounds']}×{t['slice']} s par URL "
        "en alternance avec la page minimale) ===")
    log(f"{'page':55} {'req/s':>7} {'min.':>7} {'ratio':>6} {'p95':>9} {'p95/min':>8} {'CPU/req':>9} {'ratioCPU':>8}  budget")
    for row in t["rows"]:
        if row.get("pending"):
            log(f"{row['label']:55} {row['pending']}")
            continue
        r, ref = row["result"], row["ref"]
        ratio = r["rps"] / ref["rps"]
        budget = "" if row["budget"] is None else f"{row['budget_text']} {verdict(ratio >= row['budget'])}"
        log(f"{row['label']:55} {r['rps']:7.0f} {ref['rps']:7.0f} {ratio:6.2f} {r['p95_ms']:7.1f}ms "
            f"{r['p95_ms'] / ref['p95_ms']:8.2f} {r['cpu_ms']:7.2f}ms {ref['cpu_ms'] / r['cpu_ms']:8.2f}  {budget}")
    log("")
    worst_page = max((p for p in w["pages"] if p["status"] == 200), key=lambda p: p["raw"])
    first_visit = w["home"] + sum(a["raw"] for a in w["assets"])
    frag = [f for f in w["fragments"] if f["status"] == 200]
    log(f"Page la plus lourde : {worst_page['label']} {kb(worst_page['raw'])} (≤ 30 Ko {verdict(worst_page['raw'] <= BUDGET_HTML)})")
    if frag:
        big = max(frag, key=lambda f: f["raw"])
        log(f"Fragment le plus lourd : {big['label']} {big['raw']} o (≤ 5 Ko {verdict(big['raw'] <= BUDGET_FRAGMENT)})")
    if ctx.get("wizard"):
        x, growth = ctx["wizard"]["weights"], armees_bench.per_row(ctx["wizard"]["weights"])
        log(f"Assistant Portail Des Aides, ligne ajoutée au tableau : {x[0]['save']} o à 1 ligne, {x[-1]['save']} o à "
            f"{x[-1]['rows']} (≤ 5 Ko {verdict(max(r['save'] for r in x) <= BUDGET_FRAGMENT)}), "
            f"{growth['offered']:.0f} o par ligne (≤ {BUDGET_ROW_GROWTH} {verdict(growth['offered'] <= BUDGET_ROW_GROWTH)})")
    log(f"CSS {kb(w['own_css'])} ({verdict(w['own_css'] <= BUDGET_CSS)}), JS {kb(w['own_js'])} "
        f"({verdict(w['own_js_gzip'] <= BUDGET_JS)}), htmx {kb(w['htmx'])}, première visite {kb(first_visit)} "
        f"({verdict(first_visit <= BUDGET_FIRST_VISIT)})")
    log(f"Recherche de communes en processus : médiane {s['all']['median']:.3f} ms, p95 {s['all']['p95']:.3f} ms "
        f"({verdict(s['all']['median'] < BUDGET_SEARCH_MEDIAN_MS)})")
    p = ctx["partner"]
    for g in history_growth(ctx):
        budget = "" if g["kind"] == "tri" else \
            f" (≤ 1.5 {verdict(max(g['cpu_factor'], g['time_factor']) <= BUDGET_HISTORY_GROWTH)})"
        log(f"Historique {g['label']} : {p['million_label']} / 10 000 = facteur CPU {g['cpu_factor']:.2f}, "
            f"facteur temps {g['time_factor']:.2f}{budget}")
    if p.get("data1m"):
        log(f"Génération du million : {p['data1m']['insert_seconds']:.0f} s (+ ANALYZE {p['data1m']['seconds']:.0f} s)")
    if p.get("upload"):
        u = p["upload"]
        peak = max(r["hwm_after"] - r["rss_before"] for r in u["runs"])
        steady = max(r["rss_after"] - r["rss_before"] for r in u["runs"])
        log(f"Pièces jointes 8 × 5 Mo, worker seul : pic {peak / KB:+.1f} Mo, durable {steady / KB:+.1f} Mo par dépôt, "
            f"{(u['final']['VmRSS'] - u['baseline']['VmRSS']) / KB:+.1f} Mo après {len(u['runs'])} dépôts "
            f"(≤ 10 Mo {verdict(max(peak, steady) <= BUDGET_UPLOAD_GROWTH_KB)})")
    if ctx.get("anchors"):
        anchors.print_summary(ctx["anchors"], history_growth(ctx))
    log(f"Écrit dans {RESULTS.relative_to(ROOT)} (durée totale {ctx['elapsed'] / 60:.0f} min)")


if __name__ == "__main__":
    main()
