"""Espace Partenaires figures of the benchmark: the technician's session, the history URLs and the
memory a gunicorn worker takes to receive 8 × 5 MB attachments (quality.md §2, « uploads »).

Used by bench/run.py; the bulk data comes from bench/partenaires_data.py."""
import http.client
import http.cookiejar
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

TECHNICIAN_EMAIL = "martine.lapierre@demo.guichet.fr"
PASSWORD = "Guichet-Demo-2026"
ORGANISATION_CODE = "331"
ODS = 1                       # « Contacter votre organisme d'assurance Maladie »: 8 attachments
FILE_COUNT = 8
FILE_SIZE = 5 * 1024 * 1024   # the policy's maximum, exactly (5 Mo)
HISTORY = "/partenaires/demandes"
# Sorted by « Personne concernée » A-Z, resolved only: the costliest sort (computed key, no index).
HISTORY_SORTED = HISTORY + "?" + urllib.parse.urlencode({"statut": "resolu", "tri": "personne", "ordre": "az"})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Session:
    """A browser-like session (cookie jar, no redirects followed) on one server."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def get(self, path, headers=None, data=None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=120) as resp:
                return resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def post_form(self, path, fields):
        return self.get(path, {"Content-Type": "application/x-www-form-urlencoded"},
                        urllib.parse.urlencode(fields, doseq=True).encode())

    @property
    def cookie_header(self):
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


def csrf_token(body):
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or \
        re.search(rb'value="([^"]+)"[^>]*name="csrf_token"', body)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1).decode()


def technician_session(base, organisation_code=ORGANISATION_CODE):
    """Logged in as the demo technician, with CPAM GIRONDE chosen, through the real forms."""
    s = Session(base)
    status, body, _ = s.get("/compte/connexion")
    status, _, headers = s.post_form("/compte/connexion", {"csrf_token": csrf_token(body), "email": TECHNICIAN_EMAIL,
                                                          "password": PASSWORD})
    if status != 302:
        raise RuntimeError(f"technician login answered {status}")
    status, body, _ = s.get("/partenaires/organisme")
    if status != 200:
        raise RuntimeError(f"/partenaires/organisme answered {status}")
    options = dict((name.decode().replace("&#39;", "'").rstrip(" *"), value.decode()) for value, name in
                   re.findall(rb'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', body))
    organisation_id = options.get("CPAM GIRONDE")
    if organisation_id is None:
        raise RuntimeError(f"CPAM GIRONDE not offered ({sorted(options)})")
    status, _, headers = s.post_form("/partenaires/organisme", {"csrf_token": csrf_token(body),
                                                               "organisation": organisation_id})
    if status != 302:
        raise RuntimeError(f"choosing the organisation answered {status}")
    status, _, _ = s.get(HISTORY)
    if status != 200:
        raise RuntimeError(f"{HISTORY} answered {status}")
    return s


def history_total(session):
    """« 10036 demandes » as shown at the top of the history."""
    _, body, _ = session.get(HISTORY, {"HX-Request": "true"})
    match = re.search(rb'id="historique-total"[^>]*>(\d+) demande', body)
    return int(match.group(1)) if match else None


# --- attachments ---------------------------------------------------------------------------------

def padded_pdf(size, label="Piece jointe du banc d'essai"):
    """A valid one-page PDF of exactly `size` bytes: the padding is the content of a stream
    (a comment line in the page's content stream), so readers open it and the type check sees
    a PDF from its first bytes."""
    def build(pad):
        text = f"BT /F1 18 Tf 72 720 Td ({label}) Tj ET\n".encode("latin-1")
        content = text + b"%" + b"0" * pad + b"\n"
        objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
                   b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                   b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
                   b"/Resources << /Font << /F1 5 0 R >> >> >>",
                   b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
                   b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for n, obj in enumerate(objects, 1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
        return bytes(out)
    # The /Length and startxref digits change with the padding: adjust until the size is exact.
    pad = max(size - len(build(0)), 0)
    for _ in range(5):
        data = build(pad)
        if len(data) == size:
            return data
        pad += size - len(data)
    raise RuntimeError("could not build a PDF of the requested size")


def multipart(fields, files):
    """(body, content type) of a multipart/form-data request. fields: [(name, value)];
    files: [(field name, file name, content type, bytes)]."""
    boundary = "----guichet-bench-" + secrets.token_hex(8)
    parts = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, ctype, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {ctype}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_multipart(session, path, fields, files, headers=None):
    body, ctype = multipart(fields, files)
    host, port = session.base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=300)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": ctype, "Content-Length": str(len(body)),
                                                        "Cookie": session.cookie_header, **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.read(), resp.headers, len(body)
    finally:
        conn.close()


def _form_values(body):
    """What a browser would post for ODS 1, read from the page: CSRF, the first motive, a
    modality, a comment, the signed token of the attachment set."""
    motive = re.search(rb'<select[^>]*name="motive"[^>]*>.*?<option[^>]*value="([^"]+)"', body, re.S)
    modality = re.search(rb'name="rdv_modalities"[^>]*value="([^"]+)"', body)
    lot = re.search(rb'name="pieces_jointes-lot" value="([^"]+)"', body)
    if not (motive and modality and lot):
        raise RuntimeError("the ODS 1 form lacks its motive, modalities or attachment token")
    unescape = lambda b: b.decode().replace("&#39;", "'").replace("&amp;", "&").replace("&#34;", '"')  # noqa: E731
    return [("csrf_token", csrf_token(body)), ("motive", unescape(motive.group(1))),
            ("rdv_modalities", unescape(modality.group(1))),
            ("comments", "Demande du banc d’essai : huit pièces jointes de 5 Mo."),
            ("pieces_jointes-lot", lot.group(1).decode())]


def submit_with_files(session, files, via_component=False):
    """File an ODS 1 request with `files` attached. Without JavaScript (default) the files go with
    the final « Envoyer »; `via_component` posts them first to the attachment component's own
    endpoint (what htmx does when files are chosen), then submits the form without files.
    Returns (status of the final post, Location, body bytes sent)."""
    path = f"/partenaires/demandes/nouvelle/{ODS}"
    status, body, _ = session.get(path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    fields = _form_values(body)
    parts = [("pieces_jointes", f"piece-{n + 1}.pdf", "application/pdf", data) for n, data in enumerate(files)]
    sent = 0
    if via_component:
        csrf = dict(fields)["csrf_token"]
        status, answer, _, sent = post_multipart(
            session, "/composants/pieces-jointes/ajouter?champ=pieces_jointes", fields, parts,
            {"HX-Request": "true", "X-CSRFToken": csrf})
        if status != 200 or len(re.findall(rb'/composants/pieces-jointes/\d+"', answer)) < len(files):
            raise RuntimeError(f"the attachment component answered {status}: {answer[:300]!r}")
        parts = []
    status, answer, headers, size = post_multipart(session, path, fields, parts)
    return status, headers.get("Location"), sent + size, answer


# --- worker memory --------------------------------------------------------------------------------

def worker_pids(master_pid):
    pids = []
    for task in Path(f"/proc/{master_pid}/task").iterdir():
        pids += [int(p) for p in (task / "children").read_text().split()]
    return pids


def memory_kb(pid):
    """{"VmRSS": kB, "VmHWM": kB, "RssAnon": kB, "RssFile": kB} of a process."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            values[key] = int(rest.split()[0])
    return values


def reset_peak(pid):
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs). False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class RssSampler(threading.Thread):
    """Samples a process's VmRSS every few milliseconds (cross-checks VmHWM)."""

    def __init__(self, pid, interval=0.002):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak, self.samples = pid, interval, 0, 0
        self._done = threading.Event()

    def run(self):
        while not self._done.is_set():
            try:
                self.peak = max(self.peak, memory_kb(self.pid)["VmRSS"])
                self.samples += 1
            except OSError:
                return
            time.sleep(self.interval)

    def stop(self):
        self._done.set()
        self.join()


def measure_upload(base, master_pid, uploads_dir, repeats=3):
    """Memory of the only gunicorn worker while it receives 8 × 5 MB PDFs, for both ways of sending
    them. Warm-up first (same requests with 8 small files), so that imports, templates and caches
    do not count as growth. Returns a dict of figures in kB."""
    pids = worker_pids(master_pid)
    if len(pids) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {len(pids)}")
    pid = pids[0]
    session = technician_session(base)
    small = [padded_pdf(64 * 1024, f"Echauffement {n}") for n in range(FILE_COUNT)]
    big = [padded_pdf(FILE_SIZE, f"Piece {n + 1}") for n in range(FILE_COUNT)]
    for via in (False, True, False, True):
        status, location, _, _ = submit_with_files(session, small, via_component=via)
        if status != 302:
            raise RuntimeError(f"warm-up submission answered {status}")
    for _ in range(3):
        session.get(HISTORY)
    time.sleep(0.5)
    results = {"pid": pid, "file_size": FILE_SIZE, "file_count": FILE_COUNT, "runs": []}
    baseline = memory_kb(pid)
    results["baseline"] = baseline
    results["peak_reset"] = True
    for n in range(repeats):
        for via in (False, True):
            before = memory_kb(pid)
            results["peak_reset"] &= reset_peak(pid)
            sampler = RssSampler(pid)
            sampler.start()
            t0 = time.perf_counter()
            stored_before = sum(p.stat().st_size for p in Path(uploads_dir).iterdir())
            status, location, sent, answer = submit_with_files(session, big, via_component=via)
            elapsed = time.perf_counter() - t0
            sampler.stop()
            after = memory_kb(pid)
            stored = sum(p.stat().st_size for p in Path(uploads_dir).iterdir()) - stored_before
            if status != 302 or "/partenaires/demandes/confirmation/" not in (location or ""):
                raise RuntimeError(f"submission with 8 × 5 MB answered {status} ({location}): {answer[:400]!r}")
            results["runs"].append({
                "via_component": via, "status": status, "number": location.rsplit("/", 1)[-1], "seconds": elapsed,
                "sent": sent, "stored": stored, "rss_before": before["VmRSS"], "rss_after": after["VmRSS"],
                "hwm_after": after["VmHWM"], "hwm_before": before["VmHWM"], "sampled_peak": sampler.peak,
                "samples": sampler.samples, "anon_before": before.get("RssAnon"), "anon_after": after.get("RssAnon")})
    results["final"] = memory_kb(pid)
    return results


# --- in process: the view's time and its SQL --------------------------------------------------------

# URLs timed in process (label, query string, sent as htmx), each at 10,000 and at 1,000,000 rows.
IN_PROCESS_URLS = [
    ("page entière, tri par défaut", "", False),
    ("fragment HTMX, tri par défaut", "", True),
    ("tri « Personne concernée » A-Z, statut Résolu", HISTORY_SORTED.partition("?")[2], False),
    ("recherche « martin »", "recherche=martin", True),
    ("page 500 (décalage de 4 990 lignes)", "page=500", True),
]


def _client_session(app):
    """A test client logged in as the technician with CPAM GIRONDE chosen (CSRF on, real forms)."""
    client = app.test_client()
    body = client.get("/compte/connexion").data
    resp = client.post("/compte/connexion", data={"csrf_token": csrf_token(body), "email": TECHNICIAN_EMAIL,
                                                  "password": PASSWORD})
    if resp.status_code != 302:
        raise RuntimeError(f"in-process login answered {resp.status_code}")
    body = client.get("/partenaires/organisme").data
    options = {name.decode().replace("&#39;", "'").rstrip(" *"): value.decode() for value, name in
               re.findall(rb'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', body)}
    resp = client.post("/partenaires/organisme", data={"csrf_token": csrf_token(body),
                                                       "organisation": options["CPAM GIRONDE"]})
    if resp.status_code != 302:
        raise RuntimeError(f"in-process organisation choice answered {resp.status_code}")
    return client


def history_in_process(apps, calls=150, batch=10):
    """Median wall and thread-CPU time of the history view through Flask's test client, and the SQL
    it runs with SQLite's query plan for each statement (EXPLAIN QUERY PLAN).

    `apps`: one app per database (10,000 and 1,000,000 requests, say). Their calls are interleaved
    in batches, so that background load on the machine weighs on each alike. Returns one list of
    results per app, in the order of IN_PROCESS_URLS."""
    import statistics

    from sqlalchemy import event

    from extensions import db

    engines, clients = [], []
    for app in apps:
        with app.app_context():
            db.engine.dispose()  # new connections: fresh statistics after ANALYZE
            engines.append(db.engine)
        clients.append(_client_session(app))
    captured = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "partner_request" in statement:
            captured.append((statement, parameters))

    results = [[] for _ in apps]
    for label, query, htmx in IN_PROCESS_URLS:
        url = HISTORY + ("?" + query if query else "")
        headers = {"HX-Request": "true"} if htmx else {}
        for client in clients:
            for _ in range(10):
                resp = client.get(url, headers=headers)
                if resp.status_code != 200:
                    raise RuntimeError(f"{url} answered {resp.status_code} in process")
        walls, cpus = [[] for _ in apps], [[] for _ in apps]
        for _ in range(max(1, calls // batch)):
            for n, client in enumerate(clients):
                for _ in range(batch):
                    c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
                    client.get(url, headers=headers)
                    walls[n].append((time.perf_counter_ns() - t0) / 1e6)
                    cpus[n].append((time.thread_time_ns() - c0) / 1e6)
        for n, (client, engine) in enumerate(zip(clients, engines)):
            captured.clear()
            event.listen(engine, "before_cursor_execute", capture)
            try:
                size = len(client.get(url, headers=headers).data)
            finally:
                event.remove(engine, "before_cursor_execute", capture)
            plans = []
            with engine.connect() as conn:
                for statement, params in captured:
                    if statement.lstrip().upper().startswith("SELECT"):
                        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).fetchall()
                        plans.append({"sql": " ".join(statement.split()), "plan": [r[-1] for r in rows]})
            w = sorted(walls[n])
            results[n].append({"label": label, "url": url, "htmx": htmx, "bytes": size,
                               "wall_ms": statistics.median(w), "cpu_ms": statistics.median(cpus[n]),
                               "p95_ms": w[int(0.95 * (len(w) - 1))], "plans": plans,
                               "full_scan": any(step.startswith("SCAN partner_request")
                                                for p in plans for step in p["plan"])})
    return results
