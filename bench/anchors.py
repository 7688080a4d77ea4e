"""Issue 11: Guichet against the fixed anchors of `../shared/bench/anchors`, in the same run, under the
same gunicorn settings, on the same database engine.

- **A** (`minimal_app.py`): the minimal page, no database, no session. Reference of the commune search.
- **B-row** (`list_app.py` on SQLite): a plain Flask-Login list page whose login is a server-side session
  row (looked up by the SHA-256 of a cookie token, touched at most once a minute), as Guichet does.
  Reference of Guichet on SQLite.
- **C-row** (the same app on PostgreSQL): reference of Guichet on PostgreSQL.

The anchors run from their own folder (`gunicorn --chdir <anchors> …`), never copied into the project.
Every Guichet URL is measured in slices alternating with slices of its reference: the anchor's HTMX
fragment (`/list` with `HX-Request`) for an HTMX fragment, the anchor's page (`/list`) for a page.
CPU per request counts the gunicorn master and workers and, on PostgreSQL, the backends serving that
app's database (`pg_stat_activity.datname`, CPU read from `/proc/<pid>/stat`), for the anchor and
Guichet alike.

Used by bench/run.py (`make bench`, or `bench/run.py --only-anchors` for this part alone)."""
import gzip
import os
import re
import statistics
import subprocess
import time
from pathlib import Path

import armees as armees_bench          # bench/armees.py: form_fields
import msa                              # bench/msa.py
import partenaires as partners          # bench/partenaires.py
import partenaires_data                 # bench/partenaires_data.py

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ANCHORS = ROOT.parent / "shared" / "bench" / "anchors"   # ../shared/bench/anchors
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
ANCHOR_DB = "bench_anchor_c"          # throw-away databases, created and dropped by the run
GUICHET_DB = "bench_guichet"
PASSWORD = "Guichet-Demo-2026"
KB = 1024

# Targets of issue 11 (req/s ratio to the reference measured in the same slices).
TARGET_FRAGMENT = 1.0       # history fragment
TARGET_PAGE = 0.8           # history page
TARGET_NO_LIST = 1.5        # logged-in pages without a list
TARGET_SEARCH = 0.7         # commune search ÷ A
TARGET_GROWTH = 1.5         # history at 1,000,000 ÷ at 10,000
TARGET_FRAGMENT_BYTES = 5 * KB
TARGET_ROW_BYTES = 350
TARGET_JS_GZIP = 3 * KB

HX_HISTORY = {"HX-Request": "true", "HX-Target": "historique-resultats"}
ACCOUNTS = {
    "cpam": "agent.cpam33@demo.guichet.fr",
    "igesa": "agent.igesa@demo.guichet.fr",
    "msa_agent": "agent.msa@demo.guichet.fr",
    "apgis_manager": "gestionnaire.apgis@demo.guichet.fr",
    "apgis_insured": "assure.apgis@demo.guichet.fr",
}


def log(msg):
    print(msg, flush=True)


def nfr(n):
    return f"{n:,}".replace(",", " ")


def verdict(ok):
    return "OK" if ok else "DÉPASSÉ"


# --- PostgreSQL ---------------------------------------------------------------------------------

def pg_url(db, driver=False):
    return (PG_SERVER.replace("postgresql://", "postgresql+psycopg://", 1) if driver else PG_SERVER) + "/" + db


def _admin():
    import psycopg
    return psycopg.connect(pg_url("postgres"), autocommit=True)


def pg_available():
    try:
        with _admin() as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception:   # noqa: BLE001 — no server: the PostgreSQL half is skipped, and said so
        return None


def create_database(name):
    """A fresh, empty database (dropped first if a previous run left it behind)."""
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name):
    try:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as error:   # noqa: BLE001 — reported, never fatal at clean-up
        log(f"  base {name} non supprimée : {error}")


def _proc_cpu(pid):
    """utime + stime of a process, in clock ticks; None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


class BackendCpu:
    """CPU of the PostgreSQL backends serving one database: the pids come from pg_stat_activity
    (datname) at the start and at the end of a slice, through a monitoring connection to another
    database (so it never counts itself); a backend that appears during the slice counts from zero,
    one that ends during it is lost (the apps keep their pooled connections, so that is rare)."""

    def __init__(self, datname):
        import psycopg
        self.datname = datname
        self.conn = psycopg.connect(pg_url("postgres"), autocommit=True)
        self.tick = os.sysconf("SC_CLK_TCK")

    def snapshot(self):
        pids = [r[0] for r in self.conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                                (self.datname,))]
        return {pid: cpu for pid in pids if (cpu := _proc_cpu(pid)) is not None}

    def since(self, before):
        after = self.snapshot()
        ticks = sum(cpu - before.get(pid, 0) for pid, cpu in after.items())
        return ticks / self.tick, len(after)

    def close(self):
        self.conn.close()


# --- sessions and URLs --------------------------------------------------------------------------

def anchor_row_session(base):
    """B-row / C-row: `GET /login/row/1` (server-side session row), the cookie kept; then /list as a
    page and as a fragment, checked."""
    s = partners.Session(base)
    status, body, headers = s.get("/login/row/1")
    if status != 302:
        raise RuntimeError(f"{base}/login/row/1 answered {status}")
    cookie = s.cookie_header
    check_anchor(base, cookie)
    return cookie


def check_anchor(base, cookie):
    for hx in (False, True):
        status, body = msa.replay(base, "GET", "/list", {"Cookie": cookie, **({"HX-Request": "true"} if hx else {})})
        text = body.decode("utf-8", "replace")
        if status != 200 or "10000 demandes" not in text or ("<html" in text) == hx:
            raise RuntimeError(f"anchor {base}/list{' (HX-Request)' if hx else ''} answered {status}: {text[:200]!r}")


def login(base, email):
    """A demo account logged in through the real form (CSRF token read from the page)."""
    s = partners.Session(base)
    status, body, _ = s.get("/compte/connexion")
    if status != 200:
        raise RuntimeError(f"/compte/connexion answered {status}")
    status, _, _ = s.post_form("/compte/connexion", {"csrf_token": partners.csrf_token(body), "email": email,
                                                     "password": PASSWORD})
    if status != 302:
        raise RuntimeError(f"login of {email} answered {status} (expected 302)")
    return s


def first_link(session, path, pattern, what):
    status, body, _ = session.get(path)
    found = re.search(pattern.encode(), body)
    if status != 200 or not found:
        raise RuntimeError(f"{path} answered {status} without a link to {what}")
    return found.group(0).decode()


def send_msa_message(base):
    """The demo member sends one message through the real forms (cascade, writing step, recap,
    « Envoyer »), so that the MSA agent has a conversation to open."""
    member = msa.member_session(base)
    s = member.session
    status, body, _ = s.get(msa.RECAP)
    fields = armees_bench.form_fields(body, "msg-envoi")
    if not fields:
        raise RuntimeError("the recap has no « msg-envoi » form")
    status, answer, headers = s.post_form(msa.RECAP, fields)
    if status != 303 or "/envoye" not in (headers.get("Location") or ""):
        raise RuntimeError(f"sending the MSA message answered {status} ({headers.get('Location')})")


def row(label, path, cookie, expect, target, kind, hx=None, display=None):
    """One measured URL: `expect` is a text the answer must contain (or a function raising on a bad
    answer); `hx`: the HTMX headers it is sent with (then it is compared with the anchor's fragment)."""
    headers = {"Cookie": cookie, **(hx or {})}
    return {"label": label, "display": display or path + (" (HX-Request)" if hx else ""), "paths": [path],
            "headers": headers, "expect": expect, "target": target, "kind": kind, "fragment": bool(hx)}


def check_row(base, r):
    status, body = msa.replay(base, "GET", r["paths"][0], r["headers"])
    if callable(r["expect"]):
        r["expect"](status, body)
        return True
    text = body.decode("utf-8", "replace")
    problems = []
    if status != 200:
        problems.append(f"statut {status}")
    if r["expect"] not in text:
        problems.append(f"pas de « {r['expect']} »")
    if r["fragment"] and "<html" in text:
        problems.append("page entière au lieu d’un fragment")
    if problems:
        raise RuntimeError(f"{r['paths'][0]} : {', '.join(problems)}")
    return True


def guichet_rows(base, notes, where):
    """Every Guichet URL of issue 11 on one server, each answer checked before it is measured.
    A step that fails is noted (in bold in RESULTS.md) and its rows are marked « non mesuré »."""
    rows = []

    def step(what, fn, *args):
        try:
            return fn(*args)
        except Exception as error:   # noqa: BLE001 — the app changes under our feet: say so, carry on
            message = f"{type(error).__name__}: {error}".splitlines()[0][:300]
            notes.append(f"**Ancres, Guichet {where}, {what} : non mesuré** ({message}).")
            log(f"  ÉCHEC {where}, {what} : {message}")
            return None

    tech = step("connexion de la technicienne", partners.technician_session, base)
    if tech:
        c = tech.cookie_header
        rows += [
            row("Historique partenaire, fragment HTMX", partners.HISTORY, c, 'id="historique-resultats"',
                TARGET_FRAGMENT, "historique", hx=HX_HISTORY),
            row("Historique partenaire, page entière", partners.HISTORY, c, "Historique des demandes", TARGET_PAGE,
                "historique"),
            row("Fiche d’identification partenaire", "/partenaires/fiche", c, "Fiche d’identification",
                TARGET_NO_LIST, "sans liste"),
        ]
    # First a message sent (one session), then the session measured: the draft is the member's own.
    step("envoi d’un message MSA (pour la conversation de l’agent)", send_msa_message, base)
    member = step("connexion de l’adhérente MSA, cascade et récapitulatif", msa.member_session, base)
    if member:
        cascade = member.cascade_cookie
        rows += [
            row("Messagerie MSA, cascade : les motifs (fragment)", msa.REASONS, cascade, 'id="msg-objet-reason"',
                TARGET_NO_LIST, "sans liste", hx=msa.htmx_headers(base, msa.SUBJECTS)),
            row("Messagerie MSA, cascade : l’étape de rédaction (fragment)", msa.WRITING, cascade, 'name="body"',
                TARGET_NO_LIST, "sans liste", hx=msa.htmx_headers(base, msa.REASONS)),
            row("Messagerie MSA, récapitulatif de message", msa.RECAP, member.recap_cookie,
                lambda status, body: msa.check_recap(status, body), TARGET_NO_LIST, "sans liste"),
            row("Services MSA, accueil de l’adhérente", "/msa/", cascade, "Mon espace privé", TARGET_NO_LIST,
                "sans liste"),
            row("Services MSA, « Modifier vos coordonnées » (formulaire)", "/msa/coordonnees", cascade,
                "Modifier vos coordonnées", TARGET_NO_LIST, "sans liste"),
            row("Services MSA, envoi de document, étape « Objet de l’envoi »", "/msa/documents/envoi/objet", cascade,
                "Objet de l’envoi", TARGET_NO_LIST, "sans liste"),
            row("Services MSA, paiements (liste, information)", "/msa/paiements", cascade,
                "Mes paiements et mes remboursements", None, "liste"),
        ]
    agent = step("connexion de l’agent CPAM", login, base, ACCOUNTS["cpam"])
    if agent:
        path = step("demande dans la file de l’agent CPAM", first_link, agent, "/agent/partenaires/",
                    r"/agent/partenaires/demandes/\d+", "a request")
        if path:
            rows.append(row("Agent CPAM, détail d’une demande partenaire", path, agent.cookie_header, "Demande N°",
                            TARGET_NO_LIST, "sans liste"))
    igesa = step("connexion de l’agent Igesa", login, base, ACCOUNTS["igesa"])
    if igesa:
        path = step("demande dans la file Igesa", first_link, igesa, "/agent/armees/demandes/",
                    r"/agent/armees/demandes/\d+", "an application")
        if path:
            rows.append(row("Agent Igesa, détail d’une demande (Portail Des Aides)", path, igesa.cookie_header,
                            "Demande PDA-", TARGET_NO_LIST, "sans liste"))
    msa_agent = step("connexion de l’agent MSA", login, base, ACCOUNTS["msa_agent"])
    if msa_agent:
        path = step("conversation dans la messagerie de l’agent MSA", first_link, msa_agent, "/agent/msa/",
                    r"/agent/msa/conversations/\d+", "a conversation")
        if path:
            rows.append(row("Agent MSA, détail d’un message", path, msa_agent.cookie_header, msa.MESSAGE_SAMPLE,
                            TARGET_NO_LIST, "sans liste"))
        rows.append(row("Agent MSA, « Documents reçus » (liste, information)", "/agent/msa/documents/",
                        msa_agent.cookie_header, "Documents reçus", None, "liste"))
    manager = step("connexion du gestionnaire Apgis", login, base, ACCOUNTS["apgis_manager"])
    if manager:
        path = step("DIT dans la file du gestionnaire Apgis", first_link, manager, "/agent/apgis/demandes",
                    r"/agent/apgis/demandes/\d+", "a DIT")
        if path:
            rows.append(row("Apgis, gestionnaire : détail d’une DIT", path, manager.cookie_header, "Demande DIT-",
                            TARGET_NO_LIST, "sans liste"))
        rows.append(row("Apgis, gestionnaire : file des DIT (liste, information)", "/agent/apgis/demandes",
                        manager.cookie_header, "Demandes d’intervention (DIT)", None, "liste"))
    insured = step("connexion de l’assuré Apgis", login, base, ACCOUNTS["apgis_insured"])
    if insured:
        # A first page as a browser shows it after the login: it takes the flashed « Vous êtes connecté. »
        # and puts the CSRF token in the session. Replaying the login's own cookie instead would show the
        # flash and sign a new token on every request (every other row's cookie is taken after a page).
        insured.get("/apgis/")
        c = insured.cookie_header
        rows += [
            row("Apgis, accueil de l’assuré", "/apgis/", c, "Mon Espace Assuré", TARGET_NO_LIST, "sans liste"),
            row("Apgis, « Mes données personnelles »", "/apgis/mes-donnees", c, "Mes données personnelles",
                TARGET_NO_LIST, "sans liste"),
            row("Apgis, remboursements (liste, information)", "/apgis/remboursements", c, "Mes remboursements", None,
                "liste"),
            row("Apgis, décomptes (liste, information)", "/apgis/decomptes", c, "Mes décomptes", None, "liste"),
        ]
    return [r for r in rows if step(f"contrôle de « {r['label']} »", check_row, base, r)], tech


# --- measure ------------------------------------------------------------------------------------

def combine(runs):
    seconds = sum(r["seconds"] for r in runs)
    requests = sum(r["requests"] for r in runs)
    app_cpu = sum(r["cpu"] for r in runs)
    db_cpu = sum(r.get("db_cpu", 0.0) for r in runs)
    return {"rps": requests / seconds, "requests": requests,
            "p50_ms": statistics.median(r["p50_ms"] for r in runs),
            "p95_ms": statistics.median(r["p95_ms"] for r in runs),
            "non2xx": sum(r["non2xx"] for r in runs), "errors": sum(r["errors"] for r in runs),
            "cpu_ms": 1000 * (app_cpu + db_cpu) / max(1, requests),
            "app_cpu_ms": 1000 * app_cpu / max(1, requests), "db_cpu_ms": 1000 * db_cpu / max(1, requests),
            "backends": max((r.get("backends", 0) for r in runs), default=0)}


class Side:
    """What one side of a comparison sends, and where its CPU is counted."""

    def __init__(self, server, paths, headers=None, backends=None):
        self.server, self.paths, self.headers, self.backends = server, paths, headers or {}, backends

    def slice(self, load, seconds):
        cpu = self.server.cpu_seconds()
        before = self.backends.snapshot() if self.backends else None
        result = load.run(self.server.base, self.paths, seconds, self.headers)
        result["cpu"] = self.server.cpu_seconds() - cpu
        if self.backends:
            result["db_cpu"], result["backends"] = self.backends.since(before)
        return result


def compare(load, page, ref, rounds, slice_s, warmup):
    """Warm-up of both sides, then `rounds` slices of the reference and of the page in turn."""
    load.run(ref.server.base, ref.paths, warmup, ref.headers)
    load.run(page.server.base, page.paths, warmup, page.headers)
    page_runs, ref_runs = [], []
    for _ in range(rounds):
        ref_runs.append(ref.slice(load, slice_s))
        page_runs.append(page.slice(load, slice_s))
    return combine(page_runs), combine(ref_runs)


# --- weights ------------------------------------------------------------------------------------

def weigh(base, cookie):
    """History fragment bytes at 10, 25 and 50 rows per page, and the project's own JS gzipped."""
    sizes = {}
    for n in (10, 25, 50):
        path = partners.HISTORY + ("" if n == 10 else f"?par_page={n}")
        status, body = msa.replay(base, "GET", path, {"Cookie": cookie, **HX_HISTORY})
        rows_shown = len(re.findall(rb"<tr[ >]", body)) - 1   # minus the header row
        if status != 200 or rows_shown != n:
            raise RuntimeError(f"{path} (HX-Request): statut {status}, {rows_shown} lignes au lieu de {n}")
        sizes[n] = len(body)
    js = sorted((ROOT / "static" / "js").glob("*.js"))
    return {"sizes": sizes, "per_row": {n: (sizes[n] - sizes[10]) / (n - 10) for n in (25, 50)},
            "js": [(p.name, p.stat().st_size, len(gzip.compress(p.read_bytes(), 6))) for p in js]}


# --- the run ------------------------------------------------------------------------------------

def seed_anchor(anchors_dir, env, flask_bin):
    proc = subprocess.run([str(flask_bin), "--app", "list_app", "seed"], cwd=anchors_dir, env=env,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"flask --app list_app seed: {(proc.stdout + proc.stderr).strip()[-500:]}")
    return proc.stdout.strip().splitlines()[-1]


def prepare_guichet_pg(env, run_cmd, flask_bin, structure_requests):
    """Guichet on a throw-away PostgreSQL database: migrations, communes, demo, the 10,000 partner
    requests (psycopg), the kept counts rebuilt when the app has that command, ANALYZE."""
    url = pg_url(GUICHET_DB)
    create_database(GUICHET_DB)
    for args in (["db", "upgrade"], ["communes", "load"], ["demo"]):
        code, out = run_cmd([str(flask_bin), *args], env, timeout=600)
        if code != 0:
            raise RuntimeError(f"flask {' '.join(args)} (PostgreSQL) failed: {out[-500:]}")
    data = partenaires_data.add_structure_requests(url, structure_requests)
    data["recount"] = recount(env, run_cmd, flask_bin)
    analyze(url)
    return data


def recount(env, run_cmd, flask_bin):
    """`flask partenaires recount` (rebuilds the kept per-status counts) when the app has it."""
    code, _ = run_cmd([str(flask_bin), "partenaires", "recount", "--help"], env)
    if code != 0:
        return "absente"
    code, out = run_cmd([str(flask_bin), "partenaires", "recount"], env, timeout=600)
    if code != 0:
        raise RuntimeError(f"flask partenaires recount failed: {out[-300:]}")
    return "exécutée"


def analyze(db):
    if partenaires_data.is_postgres(db):
        import psycopg
        with psycopg.connect(str(db), autocommit=True) as conn:
            conn.execute("ANALYZE")
    else:
        import sqlite3
        conn = sqlite3.connect(db, timeout=60)
        conn.execute("ANALYZE")
        conn.close()


def run(ctx):
    """The anchor comparison. `ctx`: load (WrkLoad/PythonLoad), make_server(name, target, chdir, env),
    env (the run's environment), tmp, run_cmd, flask_bin, guichet (the SQLite Guichet server, started),
    db_path (its database), opts (anchors, slices, warmup, skip_postgres, target, structure_requests).
    Returns the figures for the report; every server and database it creates is gone on return."""
    opts, load, env = ctx["opts"], ctx["load"], ctx["env"]
    anchors_dir = Path(opts.anchors).resolve()
    notes = []
    out = {"anchors_dir": anchors_dir, "notes": notes, "groups": [], "started": time.time()}
    rounds, slice_s, warmup = opts.slices, 1, 1   # 1 s of warm-up per side: pools, template cache
    out.update(rounds=rounds, slice=slice_s, warmup=warmup)
    servers, backends, databases = [], [], []
    try:
        if not (anchors_dir / "list_app.py").exists():
            raise RuntimeError(f"anchors not found in {anchors_dir} (--anchors DIR)")
        anchor_env = dict(env, DATABASE_URL="sqlite:///" + str(Path(ctx["tmp"]) / "anchor_b.sqlite"))
        log(f"Ancres : {anchors_dir}")
        out["seed_b"] = seed_anchor(anchors_dir, anchor_env, ctx["flask_bin"])
        a = ctx["minimal"]
        b = ctx["make_server"]("B-row", "list_app:app", anchors_dir, anchor_env)
        servers.append(b)
        b.start("/login/row/1")
        b_cookie = anchor_row_session(b.base)

        groups = [("SQLite", ctx["guichet"], b, b_cookie, None, None)]
        pg_version = None if opts.skip_postgres else pg_available()
        out["pg_version"] = pg_version
        if opts.skip_postgres:
            notes.append("PostgreSQL non mesuré (`--skip-postgres`).")
        elif not pg_version:
            notes.append(f"**PostgreSQL injoignable sur {PG_SERVER} : C-row et Guichet sur PostgreSQL non mesurés.**")
        else:
            def setup_postgres():
                log("Ancre C-row : base PostgreSQL jetable, 16 000 lignes…")
                databases.append(ANCHOR_DB)
                create_database(ANCHOR_DB)
                c_env = dict(env, DATABASE_URL=pg_url(ANCHOR_DB, driver=True))
                out["seed_c"] = seed_anchor(anchors_dir, c_env, ctx["flask_bin"])
                c = ctx["make_server"]("C-row", "list_app:app", anchors_dir, c_env)
                servers.append(c)
                c.start("/login/row/1")
                c_cookie = anchor_row_session(c.base)
                log(f"Guichet sur PostgreSQL : base {GUICHET_DB}, migrations, communes, démo, "
                    f"{nfr(opts.structure_requests)} demandes…")
                databases.append(GUICHET_DB)
                g_env = dict(env, DATABASE_URL=pg_url(GUICHET_DB),
                             GUICHET_INSTANCE_PATH=str(Path(ctx["tmp"]) / "instance-pg"))
                t0 = time.time()
                out["pg_data"] = prepare_guichet_pg(g_env, ctx["run_cmd"], ctx["flask_bin"], opts.structure_requests)
                out["pg_data"]["prepare_seconds"] = time.time() - t0
                g = ctx["make_server"]("guichet-pg", opts.target, ROOT, g_env)
                servers.append(g)
                g.start("/")
                c_cpu, g_cpu = BackendCpu(ANCHOR_DB), BackendCpu(GUICHET_DB)
                backends.extend([c_cpu, g_cpu])
                return ("PostgreSQL", g, c, c_cookie, g_cpu, c_cpu)

            try:   # PostgreSQL failing leaves the SQLite half measured
                groups.append(setup_postgres())
            except Exception as error:   # noqa: BLE001 — said in RESULTS.md
                message = f"{type(error).__name__}: {error}".splitlines()[0][:400]
                notes.append(f"**Ancres sur PostgreSQL : non mesuré** ({message}).")
                log(f"  ÉCHEC PostgreSQL : {message}")

        for engine, guichet, anchor, cookie, g_cpu, a_cpu in groups:
            ref_name = "B-row" if engine == "SQLite" else "C-row"
            log(f"Ancres : Guichet sur {engine} contre {ref_name} ({rounds} tranches de {slice_s} s en alternance)")
            rows, tech = guichet_rows(guichet.base, notes, f"sur {engine}")
            group = {"engine": engine, "ref": ref_name, "rows": rows}
            out["groups"].append(group)
            if engine == "SQLite":
                search = {"label": "Recherche de communes (fragment) ÷ A", "display": "/composants/communes (500 saisies "
                          "réalistes en rotation, HX-Request)", "paths": ctx["search_paths"],
                          "headers": {"HX-Request": "true"}, "target": TARGET_SEARCH, "kind": "communes",
                          "fragment": True, "ref_label": "A"}
                rows.insert(0, search)
            for r in rows:
                if r.get("ref_label") == "A":
                    ref = Side(a, ["/"])
                else:
                    r["ref_label"] = ref_name + (" fragment" if r["fragment"] else " page")
                    ref = Side(anchor, ["/list"], {"Cookie": cookie, **({"HX-Request": "true"} if r["fragment"] else {})},
                               a_cpu)
                page = Side(guichet, r["paths"], r["headers"], g_cpu)
                r["result"], r["ref"] = compare(load, page, ref, rounds, slice_s, warmup)
                res, refr = r["result"], r["ref"]
                r["ratio"] = res["rps"] / refr["rps"]
                r["cpu_ratio"] = refr["cpu_ms"] / res["cpu_ms"] if res["cpu_ms"] else float("nan")
                log(f"  {r['label'][:70]:70} {res['rps']:6.0f} req/s ÷ {refr['rps']:6.0f} ({r['ref_label']}) = "
                    f"{r['ratio']:.2f} ; CPU {res['cpu_ms']:.2f} ms ÷ {refr['cpu_ms']:.2f} ms")
                if "expect" in r:   # still the page meant after the measure (sessions expire, apps change)
                    try:
                        check_row(guichet.base, r)
                    except RuntimeError as error:
                        notes.append(f"**{r['label']} ({engine}) : réponse différente après la mesure, chiffres à "
                                     f"écarter** ({error}).")
            try:   # the anchor's session still valid: its figures were its list, not a login redirect
                check_anchor(anchor.base, cookie)
            except RuntimeError as error:
                notes.append(f"**{ref_name} : réponse différente après les mesures, rapports à écarter** ({error}).")
            if tech is not None and engine == "SQLite":
                try:
                    out["weights"] = weigh(guichet.base, tech.cookie_header)
                except RuntimeError as error:
                    notes.append(f"**Poids du fragment d’historique non mesurés** ({error}).")
    except Exception as error:   # noqa: BLE001 — the rest of the benchmark goes on; RESULTS.md says why
        message = f"{type(error).__name__}: {error}".splitlines()[0][:400]
        notes.append(f"**Ancres : arrêt de la comparaison** ({message}).")
        log(f"  ÉCHEC ancres : {message}")
    finally:
        for server in servers:
            count, last = server.log_errors()
            if count or last:
                notes.append(f"le journal gunicorn ({server.name}) contient {count} exception(s) ; la dernière : "
                             f"`{(last or '?')[:240]}`")
            server.stop()
        for meter in backends:
            meter.close()
        for name in databases:
            drop_database(name)
    out["seconds"] = time.time() - out["started"]
    return out


# --- report -------------------------------------------------------------------------------------

HEADING = "## Ancres : Guichet contre A, B-row et C-row (issue 11)"


def _kb(n):
    return f"{n / KB:.1f} Ko"


def summary_rows(out, growth=None):
    """(target, measured, verdict) for every target of issue 11, in the order of the summary table."""
    items = []
    for group in out["groups"]:
        for r in group["rows"]:
            if r["target"] is None:
                continue
            if "result" not in r:
                items.append((f"{r['label']} ({group['engine']})", f"≥ {r['target']:.1f}", "non mesuré (voir les notes)",
                              "–"))
                continue
            ok = r["ratio"] >= r["target"]
            items.append((f"{r['label']} ({group['engine']})", f"≥ {r['target']:.1f} × {r['ref_label']}",
                          f"{r['ratio']:.2f} × (CPU : {r['cpu_ratio']:.2f} ×)", verdict(ok)))
    if growth:
        for g in growth:
            worst = max(g["cpu_factor"], g["time_factor"])
            info = g["kind"] == "tri"     # the costliest sort: for information, no target
            items.append((f"Croissance 10 000 → 1 000 000, historique {g['label']}",
                          "–" if info else f"≤ {TARGET_GROWTH}",
                          f"{worst:.2f} (CPU {g['cpu_factor']:.2f}, temps {g['time_factor']:.2f})",
                          "–" if info else verdict(worst <= TARGET_GROWTH)))
    else:
        items.append(("Croissance 10 000 → 1 000 000 (historique)", f"≤ {TARGET_GROWTH}",
                      "non mesurée dans cette exécution", "–"))
    w = out.get("weights")
    if w:
        per_row = max(w["per_row"].values())
        js_gz = sum(gz for _, _, gz in w["js"])
        items += [("Fragment d’historique à 10 lignes", f"≤ {_kb(TARGET_FRAGMENT_BYTES)}",
                   f"{nfr(w['sizes'][10])} o", verdict(w["sizes"][10] <= TARGET_FRAGMENT_BYTES)),
                  ("Fragment d’historique, octets par ligne supplémentaire", f"≤ {TARGET_ROW_BYTES} o",
                   f"{per_row:.0f} o (10 → 25 : {w['per_row'][25]:.0f} ; 10 → 50 : {w['per_row'][50]:.0f})",
                   verdict(per_row <= TARGET_ROW_BYTES)),
                  ("JavaScript du projet (`static/js/*.js`), gzip", f"≤ {_kb(TARGET_JS_GZIP)}",
                   f"{nfr(js_gz)} o", verdict(js_gz <= TARGET_JS_GZIP))]
    else:
        items.append(("Poids du fragment d’historique et du JavaScript", "≤ 5 Ko, ≤ 350 o par ligne, JS ≤ 3 Ko",
                      "non mesurés (voir les notes)", "–"))
    return items


def report_lines(out, growth=None, date=None, only=False):
    lines = [HEADING, ""]
    if only:
        lines += [f"Exécution `bench/run.py --only-anchors` du {date} ({out['seconds']:.0f} s) : seule cette section "
                  "a été régénérée, les autres sections datent de la dernière exécution complète.", ""]
    lines += ["Chaque URL de Guichet est mesurée en tranches alternées avec sa référence, dans la même exécution et "
              "sous les mêmes réglages gunicorn (`-w 2 -k sync`) : **B-row** (`list_app.py` sur SQLite, connexion "
              "tenue par une ligne de session côté serveur) pour Guichet sur SQLite, **C-row** (le même sur "
              "PostgreSQL) pour Guichet sur PostgreSQL, **A** (`minimal_app.py`) pour la recherche de communes. Un "
              "fragment HTMX est comparé au fragment de l’ancre (`/list` avec `HX-Request`), une page à sa page "
              f"(`/list`). Ancres lancées depuis `{os.path.relpath(out['anchors_dir'], ROOT)}`, jamais copiées dans le projet. "
              f"{out['rounds']} tranches de {out['slice']} s de chaque côté par URL, après {out['warmup']} s de "
              "chauffe de chaque côté. Le rapport est req/s Guichet ÷ req/s référence ; « CPU » est le rapport "
              "inverse des temps CPU par requête (référence ÷ Guichet) : gunicorn (maître et workers) et, sur "
              "PostgreSQL, les processus serveur (backends) de la base de l’appli, pour l’ancre comme pour Guichet.",
              "", "### Synthèse : chaque cible et son verdict", "",
              "| cible | seuil | mesuré | verdict |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in summary_rows(out, growth)]
    bad = sum(1 for *_, d in summary_rows(out, growth) if d == "DÉPASSÉ")
    good = sum(1 for *_, d in summary_rows(out, growth) if d == "OK")
    lines += ["", f"{good} cible(s) atteinte(s), {bad} dépassée(s)."]
    lines += [""] + [f"- Note : {n}" for n in out["notes"]]
    setup = [f"- Ancre B-row : SQLite jetable, `flask --app list_app seed` ({out.get('seed_b', '?')})."]
    if out.get("pg_version"):
        d = out.get("pg_data") or {}
        setup += [f"- PostgreSQL {out['pg_version']} sur 127.0.0.1 : bases jetables `{ANCHOR_DB}` (C-row, "
                  f"{out.get('seed_c', '?')}) et `{GUICHET_DB}` (Guichet : migrations, communes, démo, "
                  f"{nfr(d.get('rows', 0))} demandes de la structure de démo par psycopg, "
                  f"`flask partenaires recount` {d.get('recount', '?')}, ANALYZE ; "
                  f"{d.get('prepare_seconds', 0):.0f} s), supprimées à la fin."]
    if not only:
        setup.append(f"- Durée de cette comparaison : {out['seconds'] / 60:.0f} min (dans la durée totale indiquée en "
                     "tête du fichier).")
    lines += setup
    for group in out["groups"]:
        pg = group["engine"] == "PostgreSQL"
        lines += ["", f"### Guichet sur {group['engine']} contre {group['ref']}", "",
                  "| page | URL | réf. | req/s | req/s réf. | rapport | p95 | p95 réf. | CPU / req" +
                  (" (appli + PostgreSQL)" if pg else "") + " | CPU / req réf. | rapport CPU | cible | verdict |",
                  "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
        for r in group["rows"]:
            if "result" not in r:
                lines.append(f"| {r['label']} | `{r['display']}` | – | – | – | – | – | – | – | – | – | – | non mesuré |")
                continue
            res, ref = r["result"], r["ref"]
            flag = f" ({res['non2xx']} non 2xx, {res['errors']} erreurs)" if res["non2xx"] or res["errors"] else ""

            def cpu(x):
                return f"{x['cpu_ms']:.2f} ms" + (f" ({x['app_cpu_ms']:.2f} + {x['db_cpu_ms']:.2f})"
                                                   if pg and r.get("ref_label") != "A" else "")
            target = "–" if r["target"] is None else f"≥ {r['target']:.1f}"
            ok = "–" if r["target"] is None else verdict(r["ratio"] >= r["target"])
            lines.append(f"| {r['label']}{flag} | `{r['display']}` | {r['ref_label']} | {res['rps']:.0f} | "
                         f"{ref['rps']:.0f} | {r['ratio']:.2f} | {res['p95_ms']:.1f} ms | {ref['p95_ms']:.1f} ms | "
                         f"{cpu(res)} | {cpu(ref)} | {r['cpu_ratio']:.2f} | {target} | {ok} |")
        if pg:
            seen = [r for r in group["rows"] if "result" in r]
            lines += ["", "CPU / requête sur PostgreSQL : total (gunicorn + processus serveur PostgreSQL de la base, "
                      "trouvés par `pg_stat_activity.datname` au début et à la fin de chaque tranche, temps lus dans "
                      "`/proc/<pid>/stat`)" + (
                          f" ; au plus {max(r['result']['backends'] for r in seen)} processus serveur pour Guichet, "
                          f"{max(r['ref']['backends'] for r in seen)} pour {group['ref']}" if seen else "") + "."]
    w = out.get("weights")
    if w:
        lines += ["", "### Poids", "",
                  "| quoi | octets |", "| --- | ---: |"]
        lines += [f"| Fragment d’historique (`HX-Request`), {n} lignes | {nfr(size)} |" for n, size in w["sizes"].items()]
        lines += [f"| `static/js/{name}` | {nfr(raw)} (gzip {nfr(gz)}) |" for name, raw, gz in w["js"]]
    return lines


def splice(text, section_lines):
    """RESULTS.md with this section replaced (or added before the throughput section, else at the end)."""
    section = "\n".join(section_lines).rstrip("\n") + "\n"
    if HEADING in text:
        before, rest = text.split(HEADING, 1)
        after = rest.split("\n## ", 1)
        return before + section + ("\n## " + after[1] if len(after) > 1 else "")
    marker = "\n## Débit et latence"
    if marker in text:
        before, after = text.split(marker, 1)
        return before.rstrip("\n") + "\n\n" + section + marker + after
    return text.rstrip("\n") + "\n\n" + section


def print_summary(out, growth=None):
    log("")
    log("=== Ancres (issue 11) ===")
    for a, b, c, d in summary_rows(out, growth):
        log(f"{a[:78]:78} {b:24} {c:34} {d}")
    for n in out["notes"]:
        log(f"Note : {n}")
