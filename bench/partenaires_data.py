"""Bulk data for the Espace Partenaires figures of the benchmark (quality.md §2).

Writes straight into the benchmark's throw-away database with `sqlite3` (executemany in batches,
one connection, no ORM), or with psycopg when given a PostgreSQL URL (the 10,000 requests only): 10,000 requests of the demo structure to CPAM GIRONDE, then
enough requests of other structures and organisations to reach 1,000,000 rows, as in real life.
Values look like the app's own: numbers from `models.partenaires.format_number` (one sequence
per organisation and calendar year, Europe/Paris, `request_sequence` brought up to date), a mix
of statuses by age, dates spread over two years, French names in upper case with accents.

Imported by bench/run.py; can also be run on its own against an instance folder:

    .venv/bin/python bench/partenaires_data.py INSTANCE_DIR [--million]
    .venv/bin/python bench/partenaires_data.py postgresql://postgres@127.0.0.1:5432/bench_guichet
"""
import csv
import json
import random
import sqlite3
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from models.partenaires import fold_text, format_number, person_sort_key  # the app’s own numbering and sort keys

ROOT = Path(__file__).resolve().parent.parent

PARIS = ZoneInfo("Europe/Paris")
STRUCTURE_NAME = "Centre communal d’action sociale de Bordeaux"
ORGANISATION_CODE = "331"          # CPAM GIRONDE
SPAN_DAYS = 730                    # two years of history
BATCH = 20_000

LAST_NAMES = ["MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU",
              "LAURENT", "SIMON", "MICHEL", "LEFÈVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL",
              "FOURNIER", "GIRARD", "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT",
              "MULLER", "LEFEBVRE", "FAURE", "ANDRÉ", "MERCIER", "BLANC", "GUÉRIN", "BOYER", "GARNIER",
              "CHEVALIER", "FRANÇOIS", "LEGRAND", "GAUTHIER", "GARCIA", "PERRIN", "ROBIN", "CLÉMENT",
              "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU", "GAUTIER", "MASSON", "MARCHAND",
              "DUVAL", "DENIS", "DUMONT", "MARIE", "LEMAIRE", "NOËL", "MEYER", "DUFOUR", "MEUNIER",
              "BRUN", "BLANCHARD", "GIRAUD", "JOLY", "RIVIÈRE", "LUCAS", "BRUNET", "GAILLARD", "BARBIER",
              "ARNAUD", "MARTINEZ", "GÉRARD", "ROCHE", "RENARD", "SCHMITT", "ROY", "LEROUX", "COLIN",
              "VIDAL", "CARON", "PICARD", "ROGER", "FABRE", "AUBERT", "LEMOINE", "RENAUD", "DUMAS",
              "LACROIX", "OLIVIER", "PHILIPPE", "BOURGEOIS", "PIERRE", "BENOÎT", "REY", "LECLERC",
              "PAYET", "ROLLAND", "LECLERCQ", "GUILLAUME", "LECOMTE", "LOPEZ", "JEAN", "DUPUY",
              "N'DIAYE", "LE GOFF", "ÉLIE", "DA SILVA", "LE GALL", "ÉTIENNE", "ÉVRARD", "TUTU", "PRINCE"]
FIRST_NAMES_F = ["Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise", "Valérie", "Christine",
                 "Sandrine", "Céline", "Stéphanie", "Julie", "Camille", "Léa", "Manon", "Chloé", "Emma",
                 "Inès", "Zoé", "Anne-Sophie", "Joséphine", "Hélène", "Élodie", "Aurélie", "Agnès"]
FIRST_NAMES_M = ["Jean", "Philippe", "Michel", "Alain", "Patrick", "Nicolas", "Christophe", "Pierre",
                 "Laurent", "Frédéric", "Thomas", "Julien", "Lucas", "Hugo", "Louis", "Gabriel", "Loïc",
                 "Jérôme", "Stéphane", "Jean-Marc", "François", "Marius", "Noé", "Mathéo", "Éric"]
STRUCTURE_KINDS = ["Centre communal d’action sociale", "Mission locale", "Union départementale des associations "
                   "familiales", "Maison France services", "Centre social", "Point d’accès au droit",
                   "Association d’aide aux migrants", "Service social départemental"]


# --- helpers -----------------------------------------------------------------------------------

class _PgConnection:
    """The few sqlite3.Connection calls used here, on PostgreSQL (psycopg, autocommit: BEGIN and
    COMMIT are sent as written). `?` placeholders become `%s`; the session is in UTC, as `_ts`
    writes naive UTC timestamps."""

    dialect = "postgresql"

    def __init__(self, url):
        import psycopg
        url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.conn = psycopg.connect(url, autocommit=True, options="-c TimeZone=UTC")

    @staticmethod
    def _sql(sql):
        return "BEGIN" if sql == "BEGIN IMMEDIATE" else sql.replace("?", "%s")

    def execute(self, sql, params=()):
        return self.conn.execute(self._sql(sql), params or None)

    def executemany(self, sql, rows):
        with self.conn.cursor() as cur:
            cur.executemany(self._sql(sql), rows)

    def close(self):
        self.conn.close()


def is_postgres(db):
    return str(db).startswith(("postgresql://", "postgresql+psycopg://", "postgres://"))


def _connect(db_path):
    if is_postgres(db_path):
        return _PgConnection(str(db_path).replace("postgres://", "postgresql://", 1))
    conn = sqlite3.connect(db_path, timeout=60, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")      # throw-away database: speed over durability
    conn.execute("PRAGMA cache_size=-65536")    # 64 MB of page cache for the index updates
    conn.execute("PRAGMA foreign_keys=OFF")     # ids are taken from the tables just read
    return conn


def _ts(dt):
    """The way UTCDateTime stores on SQLite: naive UTC, microseconds."""
    return dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _catalogue():
    return json.loads((ROOT / "data" / "catalogues" / "partenaires.json").read_text(encoding="utf-8"))


class Numbering:
    """Sequences per (organisation id, Paris year), starting after request_sequence."""

    def __init__(self, conn, codes):
        self.codes = codes
        self.last = {(o, y): v for o, y, v in conn.execute("SELECT organisation_id, year, last_value "
                                                             "FROM request_sequence")}

    def next(self, organisation_id, created):
        key = (organisation_id, created.astimezone(PARIS).year)
        value = self.last.get(key, 0) + 1
        if value > 99_999:
            raise RuntimeError(f"more than 99,999 requests for organisation {organisation_id} in {key[1]}")
        self.last[key] = value
        return format_number(key[1], self.codes[organisation_id], value)

    def save(self, conn):
        conn.executemany("INSERT INTO request_sequence (organisation_id, year, last_value) VALUES (?, ?, ?) "
                         "ON CONFLICT (organisation_id, year) DO UPDATE SET last_value = excluded.last_value",
                         [(o, y, v) for (o, y), v in self.last.items()])


class RowMaker:
    """Realistic partner_request rows (every column, in table order minus id)."""

    COLUMNS = ("number", "organisation_id", "structure_id", "requester_id", "requester_name", "ods", "motive",
               "rdv_modalities", "documents", "saisine", "person_civility", "person_last_name",
               "person_first_name", "person_birth_date", "person_birth_place", "person_phone", "comments",
               "status", "created_at", "status_at", "taken_by_id", "resolved_by_id", "resolved_at", "answer",
               "cancel_motive", "requester_sort_key", "person_sort_key")

    def __init__(self, rng, numbering, now, agents):
        self.rng, self.numbering, self.now, self.agents = rng, numbering, now, agents
        cat = _catalogue()
        self.ods = cat["ods"]
        self.cancel_motives = cat["cancel_motives"]
        self.json_empty = "[]"
        self.rdv = [json.dumps(m) for m in (["Téléphonique / Visio"], ["Physique"],
                                              ["Téléphonique / Visio", "Physique"])]
        self.documents = {o["code"]: [json.dumps(o["documents"][:k]) for k in range(1, len(o["documents"]) + 1)]
                          for o in self.ods if "documents" in o}
        self.comments = ["Merci de bien vouloir étudier la situation de la personne.",
                         "La personne a déjà contacté l’accueil sans réponse ; situation urgente.",
                         "Dossier transmis suite au rendez-vous du jour, pièces jointes à suivre.",
                         "Demande de rendez-vous pour faire le point sur les droits.",
                         "Situation signalée par le travailleur social référent."]
        self.sql = (f"INSERT INTO partner_request ({', '.join(self.COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(self.COLUMNS))})")

    def status_for(self, created):
        """Old requests are resolved (a few cancelled or still in charge); recent ones are mixed."""
        age = (self.now - created).days
        roll = self.rng.random()
        if age > 30:
            return "resolu" if roll < 0.92 else "annulee" if roll < 0.96 else "pris-en-charge"
        if age > 7:
            return "resolu" if roll < 0.45 else "pris-en-charge" if roll < 0.80 else "nouveau" if roll < 0.95 \
                else "annulee"
        return "nouveau" if roll < 0.55 else "pris-en-charge" if roll < 0.85 else "resolu" if roll < 0.95 \
            else "annulee"

    def row(self, organisation_id, structure_id, requester, created):
        rng = self.rng
        entry = self.ods[rng.randrange(len(self.ods))]
        code = entry["code"]
        motive = rng.choice(entry["motives"]) if "motives" in entry else None
        rdv = rng.choice(self.rdv) if code == 1 else self.json_empty
        documents = rng.choice(self.documents[code]) if code in self.documents else self.json_empty
        if entry.get("person", True):
            if rng.random() < 0.5:
                civility, first = "Mme", rng.choice(FIRST_NAMES_F)
            else:
                civility, first = "M.", rng.choice(FIRST_NAMES_M)
            last = rng.choice(LAST_NAMES)
            birth = (created - timedelta(days=rng.randint(18 * 365, 90 * 365))).date().isoformat()
            place = f"{rng.randint(1, 95):02d}"
            phone = "0%d.%02d.%02d.%02d.%02d" % (rng.choice((1, 5, 6, 7)), rng.randrange(100), rng.randrange(100),
                                                 rng.randrange(100), rng.randrange(100))
        else:
            civility = last = first = birth = place = phone = None
        status = self.status_for(created)
        agent = self.agents.get(organisation_id)
        taken_by = resolved_by = resolved_at = answer = cancel_motive = None
        if status == "nouveau" or status == "annulee":
            status_at = created if status == "nouveau" else created + timedelta(hours=rng.randint(1, 48))
            if status == "annulee":
                cancel_motive = rng.choice(self.cancel_motives)
        elif status == "pris-en-charge":
            status_at, taken_by = created + timedelta(hours=rng.randint(1, 72)), agent
        else:
            status_at = created + timedelta(hours=rng.randint(2, 240))
            taken_by = resolved_by = agent
            resolved_at = _ts(status_at)
            answer = "Prise en charge faite. Le dossier a été régularisé."
        if status_at > self.now:
            status_at = self.now
            resolved_at = _ts(status_at) if resolved_at else None
        return (self.numbering.next(organisation_id, created), organisation_id, structure_id, requester[0],
                requester[1], code, motive, rdv, documents, None, civility, last, first, birth, place, phone,
                rng.choice(self.comments), status, _ts(created), _ts(status_at), taken_by, resolved_by,
                resolved_at, answer, cancel_motive, fold_text(requester[1]), person_sort_key(last, first))


def _spread(rng, count, now):
    """`count` creation times over the last two years, ascending, busier on working hours."""
    start = now - timedelta(days=SPAN_DAYS)
    step = SPAN_DAYS * 86400 / count
    times = []
    for i in range(count):
        t = start + timedelta(seconds=i * step + rng.random() * step)
        times.append(t)
    return times


def _insert(conn, maker, rows_iter, total, progress=None):
    done = 0
    batch = []
    conn.execute("BEGIN IMMEDIATE")
    for row in rows_iter:
        batch.append(row)
        if len(batch) >= BATCH:
            conn.executemany(maker.sql, batch)
            done += len(batch)
            batch.clear()
            if done % 200_000 == 0:
                conn.execute("COMMIT")  # keeps the WAL file small
                if progress:
                    progress(done, total)
                conn.execute("BEGIN IMMEDIATE")
    if batch:
        conn.executemany(maker.sql, batch)
        done += len(batch)
    maker.numbering.save(conn)
    conn.execute("COMMIT")
    return done


# --- the two steps -----------------------------------------------------------------------------

def _check_columns(conn):
    """Columns added to partner_request since this file was written must be nullable or have a
    default: the generator leaves them out."""
    if isinstance(conn, _PgConnection):
        columns = [(name, notnull == "NO", default, (default or "").startswith("nextval(")) for name, notnull, default
                   in conn.execute("SELECT column_name, is_nullable, column_default FROM information_schema.columns "
                                   "WHERE table_name = 'partner_request' AND table_schema = current_schema()")]
    else:
        columns = [(name, notnull, default, pk) for _, name, _, notnull, default, pk
                   in conn.execute("PRAGMA table_info(partner_request)")]
    missing = [name for name, notnull, default, pk in columns
               if notnull and default is None and not pk and name not in RowMaker.COLUMNS]
    if missing:
        raise RuntimeError(f"bench/partenaires_data.py: partner_request has new required columns {missing}")


def _context(conn):
    _check_columns(conn)
    structure_id = conn.execute("SELECT id FROM structure WHERE name = ?", (STRUCTURE_NAME,)).fetchone()[0]
    organisation_id = conn.execute("SELECT id FROM organisation WHERE portal = 'partenaires' AND code = ?",
                                   (ORGANISATION_CODE,)).fetchone()[0]
    codes = {i: c for i, c in conn.execute("SELECT id, code FROM organisation WHERE portal = 'partenaires'")}
    agents = {}
    for uid, org in conn.execute("""SELECT id, organisation_id FROM "user" WHERE role = 'agent' ORDER BY id"""):
        agents.setdefault(org, uid)
    return structure_id, organisation_id, codes, agents


def add_structure_requests(db_path, count=10_000, seed=331):
    """`count` requests of the demo structure to CPAM GIRONDE, filed by its technicians over two
    years. `db_path`: the SQLite file, or a PostgreSQL URL. Returns {"rows", "seconds", "structure_id", "organisation_id"}."""
    t0 = time.perf_counter()
    conn = _connect(db_path)
    structure_id, organisation_id, codes, agents = _context(conn)
    technicians = [(uid, f"{last.upper()} {first}") for uid, last, first in conn.execute(
        """SELECT id, last_name, first_name FROM "user" WHERE structure_id = ? AND role IN """
        "('partner_technician', 'partner_manager') ORDER BY id", (structure_id,))]
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    maker = RowMaker(rng, Numbering(conn, codes), now, agents)
    rows = (maker.row(organisation_id, structure_id, rng.choice(technicians), created)
            for created in _spread(rng, count, now))
    done = _insert(conn, maker, rows, count)
    conn.execute("ANALYZE")
    conn.close()
    return {"rows": done, "seconds": time.perf_counter() - t0, "structure_id": structure_id,
            "organisation_id": organisation_id}


def fill_to(db_path, total=1_000_000, seed=2026, progress=None):
    """Requests of other structures (and a few of the demo structure to other organisations) until
    partner_request holds `total` rows: about a hundred CPAM, 2,000 structures with two
    technicians each; CPAM GIRONDE gets its share from other Gironde structures. Then ANALYZE.
    Returns {"rows", "seconds", "organisations", "structures", "total"}."""
    t0 = time.perf_counter()
    conn = _connect(db_path)
    structure_id, gironde_id, codes, agents = _context(conn)
    existing = conn.execute("SELECT count(*) FROM partner_request").fetchone()[0]
    count = total - existing
    if count <= 0:
        conn.close()
        return {"rows": 0, "seconds": 0.0, "organisations": 0, "structures": 0, "total": existing}
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)

    # Organisations: one CPAM per metropolitan département (code: département + "1"), except the
    # demo ones.
    with (ROOT / "data" / "departements-fr.csv").open(encoding="utf-8", newline="") as f:
        departements = [(r["code"], r["nom"]) for r in csv.DictReader(f) if r.get("zone", "metro") == "metro"]
    conn.execute("BEGIN IMMEDIATE")
    taken_codes = set(codes.values())
    new_orgs = []
    for dep, name in departements:
        code = f"{dep[:2]}1" if dep[:2].isdigit() else None
        if code is None or code in taken_codes:
            continue
        new_orgs.append(("partenaires", code, f"CPAM {name.upper()}"))
        taken_codes.add(code)
    conn.executemany("INSERT INTO organisation (portal, code, name) VALUES (?, ?, ?)", new_orgs)
    codes = {i: c for i, c in conn.execute("SELECT id, code FROM organisation WHERE portal = 'partenaires'")}
    org_ids = sorted(codes)
    stamp = _ts(now - timedelta(days=SPAN_DAYS + 30))
    # An agent per new organisation, who takes in charge and resolves its requests.
    agent_rows = [(f"agent.bench.{codes[o]}@bench.guichet.invalid", "agent", 1, "M.", "Agent", f"CPAM {codes[o]}",
                   o, stamp, stamp) for o in org_ids if o not in agents]
    conn.executemany("INSERT INTO user (email, role, active, civility, first_name, last_name, organisation_id, "
                     "created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", agent_rows)
    for uid, org in conn.execute("SELECT id, organisation_id FROM user WHERE role = 'agent' ORDER BY id"):
        agents.setdefault(org, uid)

    # Structures: 2,000, each attached to one CPAM (60 of them to CPAM GIRONDE), two technicians each.
    structures = []
    for n in range(2000):
        home = gironde_id if n < 60 else org_ids[n % len(org_ids)]
        structures.append((f"{STRUCTURE_KINDS[n % len(STRUCTURE_KINDS)]} n° {n + 1} ({codes[home]})", home))
    conn.executemany("INSERT INTO structure (name, max_active_technicians) VALUES (?, 10)",
                     [(name,) for name, _ in structures])
    ids = dict(conn.execute("SELECT name, id FROM structure"))
    home_of = {ids[name]: home for name, home in structures}
    tech_rows = []
    for sid in home_of:
        for k in range(2):
            civ, first = ("Mme", rng.choice(FIRST_NAMES_F)) if k == 0 else ("M.", rng.choice(FIRST_NAMES_M))
            last = rng.choice(LAST_NAMES)
            tech_rows.append((f"technicien.{sid}.{k}@bench.guichet.invalid", "partner_technician", 1, civ, first,
                              last, sid, stamp, stamp))
    conn.executemany("INSERT INTO user (email, role, active, civility, first_name, last_name, structure_id, "
                     "created_at, password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", tech_rows)
    techs = {}
    for uid, sid, last, first in conn.execute("SELECT id, structure_id, last_name, first_name FROM user "
                                              "WHERE email LIKE '%@bench.guichet.invalid' AND structure_id IS NOT NULL"):
        techs.setdefault(sid, []).append((uid, f"{last.upper()} {first}"))
    demo_techs = [(uid, f"{last.upper()} {first}") for uid, last, first in conn.execute(
        "SELECT id, last_name, first_name FROM user WHERE structure_id = ? AND role = 'partner_technician'",
        (structure_id,))]
    conn.execute("COMMIT")

    # Who files: some structures are much busier than others (Pareto weights, capped so that no
    # CPAM numbers more than 99,999 requests a year); 1 request in 10 goes
    # to another CPAM than the structure's own; the demo structure adds a few to its other CPAM.
    sids = list(home_of)
    weights = [min(rng.paretovariate(1.2), 25.0) for _ in sids]
    cumulative, acc = [], 0.0
    for w in weights:
        acc += w
        cumulative.append(acc)
    demo_others = [o for o in codes if codes[o] in ("623", "471", "401")]
    demo_share = 3000 / count
    numbering = Numbering(conn, codes)
    maker = RowMaker(rng, numbering, now, agents)

    def rows():
        import bisect
        for created in _spread(rng, count, now):
            if rng.random() < demo_share:
                yield maker.row(rng.choice(demo_others), structure_id, rng.choice(demo_techs), created)
                continue
            sid = sids[min(bisect.bisect(cumulative, rng.random() * acc), len(sids) - 1)]
            org = home_of[sid] if rng.random() < 0.9 else org_ids[rng.randrange(len(org_ids))]
            yield maker.row(org, sid, rng.choice(techs[sid]), created)

    done = _insert(conn, maker, rows(), count, progress)
    t_insert = time.perf_counter() - t0
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    final = conn.execute("SELECT count(*) FROM partner_request").fetchone()[0]
    gironde = conn.execute("SELECT count(*) FROM partner_request WHERE organisation_id = ?", (gironde_id,)).fetchone()[0]
    conn.close()
    return {"rows": done, "seconds": time.perf_counter() - t0, "insert_seconds": t_insert,
            "organisations": len(new_orgs), "structures": len(structures), "total": final,
            "gironde": gironde, "db_bytes": Path(db_path).stat().st_size}


def clone_instance(source, target):
    """A copy of an instance folder's database (SQLite online backup: safe while a server reads it)
    and secret key, so that the same session cookies are valid on both. No uploads."""
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(Path(source) / "guichet.sqlite", timeout=60)
    dst = sqlite3.connect(target / "guichet.sqlite")
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    key = Path(source) / "secret_key"
    if key.exists():
        (target / "secret_key").write_bytes(key.read_bytes())
        (target / "secret_key").chmod(0o600)
    return target


if __name__ == "__main__":
    if is_postgres(sys.argv[1]):
        print(add_structure_requests(sys.argv[1]))
        sys.exit()
    instance = Path(sys.argv[1])
    db = instance / "guichet.sqlite"
    print(add_structure_requests(db))
    if "--million" in sys.argv:
        print(fill_to(db, progress=lambda d, t: print(f"  {d}/{t}", flush=True)))
