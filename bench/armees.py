"""Portail Des Aides figures of the benchmark: the Igesa agents' queue with 10,000 applications
(quality.md §2: every new portal's list and detail pages get the rows of the partner history).

`add_applications` writes straight into the benchmark's throw-away SQLite database with
`sqlite3` (executemany, one transaction, no ORM), like bench/partenaires_data.py: 400 ressortissants
with French names, and 10,000 applications of theirs sent to Igesa over two years, their states by
age (old: mostly « Instruction terminée », accordée or refusée; recent: « Prise en charge »,
« Instruction en cours »), references from the application's own format and yearly sequence
(`armees_application_sequence` brought up to date), the queue's folded search key from
`models.armees.application_search_key`. `agent_session` logs the demo Igesa agent in through the
real form; `rows` and `weigh` give bench/run.py the URLs to load and to weigh.

    .venv/bin/python bench/armees.py INSTANCE_DIR    # the data alone, on an instance folder
"""
import gzip
import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import partenaires as partners                      # bench/partenaires.py: Session, csrf_token
from partenaires_data import FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES, _connect, _ts

from models.armees import application_search_key   # the app's own search key

AGENT_EMAIL = "agent.igesa@demo.guichet.fr"
PASSWORD = "Guichet-Demo-2026"
QUEUE = "/agent/armees/demandes/"
QUEUE_FRAGMENT = QUEUE + "?page=2"
QUEUE_ALL = QUEUE + "?statut=tous"
QUEUE_SEARCH = QUEUE + "?statut=tous&recherche=martin"
MEMBERS = 400
SPAN_DAYS = 730
BENEFITS = [("garde-jeunes-enfants", "Aide à la garde des jeunes enfants"),
            ("etudes-scolarite", "Aide aux études et à la scolarité"),
            ("secours-exceptionnel", "Secours exceptionnel"), ("pret-social", "Prêt social"),
            ("sejour-vacances-enfants", "Aide au séjour vacances enfants"),
            ("enfants-handicapes", "Aide aux familles d’enfants handicapés"),
            ("pret-installation", "Prêt à l’installation")]
COLUMNS = ("user_id", "organisation_id", "benefit_code", "benefit_label", "status", "status_at", "decision",
           "reference", "data", "agent_id", "created_at", "transmitted_at", "decided_at", "granted_cents",
           "decision_reason", "search_key")


def _check_columns(conn):
    missing = [name for _, name, _, notnull, default, pk in conn.execute("PRAGMA table_info(armees_application)")
               if notnull and default is None and not pk and name not in COLUMNS]
    if missing:
        raise RuntimeError(f"bench/armees.py: armees_application has new required columns {missing}")


def _state(rng, age_days):
    roll = rng.random()
    if age_days > 60:
        return ("terminee", "accordee") if roll < 0.7 else ("terminee", "refusee") if roll < 0.95 \
            else ("instruction", None)
    if age_days > 10:
        return ("instruction", None) if roll < 0.5 else ("terminee", "accordee") if roll < 0.8 \
            else ("prise-en-charge", None)
    return ("prise-en-charge", None) if roll < 0.7 else ("instruction", None)


def add_applications(db_path, count=10_000, seed=9):
    """`count` applications to Igesa from 400 new ressortissants. Returns {"rows", "seconds"}."""
    t0 = time.perf_counter()
    conn = _connect(db_path)
    _check_columns(conn)
    org = conn.execute("SELECT id FROM organisation WHERE portal = 'armees' AND code = 'IGESA'").fetchone()[0]
    agent = conn.execute("SELECT id FROM user WHERE email = ?", (AGENT_EMAIL,)).fetchone()[0]
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    conn.execute("BEGIN IMMEDIATE")
    members = []
    for n in range(MEMBERS):
        first = rng.choice(FIRST_NAMES_F if n % 2 else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        cur = conn.execute(
            "INSERT INTO user (email, role, active, first_name, last_name, created_at, password_changed_at) "
            "VALUES (?, 'citizen', 1, ?, ?, ?, ?)", (f"ressortissant.banc{n}@exemple.fr", first, last.title(),
                                                     _ts(now), _ts(now)))
        members.append((cur.lastrowid, last.title(), first))
    sequences = dict(conn.execute("SELECT year, last FROM armees_application_sequence"))
    data = json.dumps({"dossier": {}, "informations": {"residence": "france", "postcode": "29200", "city": "Brest"}})
    rows = []
    start = now - timedelta(days=SPAN_DAYS)
    step = SPAN_DAYS * 86400 / count
    for i in range(count):
        sent = start + timedelta(seconds=i * step + rng.random() * step)
        user_id, last, first = rng.choice(members)
        code, label = rng.choice(BENEFITS)
        status, decision = _state(rng, (now - sent).days)
        sequences[sent.year] = sequences.get(sent.year, 0) + 1
        reference = f"PDA-{sent.year}-{sequences[sent.year]:06d}"
        moved = min(sent + timedelta(days=rng.randint(1, 40)), now) if status != "prise-en-charge" else sent
        decided = moved if status == "terminee" else None
        granted = rng.randrange(100, 3000) * 100 if decision == "accordee" else None
        rows.append((user_id, org, code, label, status, _ts(moved), decision, reference, data,
                     agent if status != "prise-en-charge" else None, _ts(sent - timedelta(hours=3)), _ts(sent),
                     _ts(decided) if decided else None, granted,
                     "Ressources supérieures au plafond." if decision == "refusee" else None,
                     application_search_key(reference, last, first, label)))
    conn.executemany(f"INSERT INTO armees_application ({', '.join(COLUMNS)}) "
                     f"VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    conn.executemany("INSERT INTO armees_application_sequence (year, last) VALUES (?, ?) "
                     "ON CONFLICT (year) DO UPDATE SET last = excluded.last", sorted(sequences.items()))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return {"rows": len(rows), "members": MEMBERS, "seconds": time.perf_counter() - t0}


def demo_application_id(db_path):
    """The demo application « Instruction en cours » (with its complement request and every action
    form): the heaviest agent page."""
    conn = _connect(db_path)
    try:
        row = conn.execute("SELECT a.id FROM armees_application a JOIN user u ON u.id = a.user_id "
                           "WHERE u.email = 'ressortissant@demo.guichet.fr' AND a.status = 'instruction' "
                           "ORDER BY a.id LIMIT 1").fetchone()
    finally:
        conn.close()
    if row is None:
        raise RuntimeError("no demo application « Instruction en cours »")
    return row[0]


def agent_session(base):
    """Logged in as the demo Igesa agent through the real form; the queue answers."""
    s = partners.Session(base)
    _, body, _ = s.get("/compte/connexion")
    status, _, _ = s.post_form("/compte/connexion", {"csrf_token": partners.csrf_token(body), "email": AGENT_EMAIL,
                                                    "password": PASSWORD})
    if status != 302:
        raise RuntimeError(f"Igesa agent login answered {status}")
    status, body, _ = s.get(QUEUE)
    if status != 200 or b"armees-file" not in body:
        raise RuntimeError(f"{QUEUE} answered {status}")
    return s


def queue_total(session):
    """« 10004 demandes » as shown above the queue, every state."""
    import re
    _, body, _ = session.get(QUEUE_ALL, {"HX-Request": "true"})
    match = re.search(rb'class="queue-total">(\d+) demande', body)
    return int(match.group(1)) if match else None


def rows(cookie, application_path, budget):
    """Throughput rows: the queue page and its htmx fragment at 10,000 applications (the partner
    history's budget), a search, and one application's page (information)."""
    auth = {"Cookie": cookie}
    hx = {"Cookie": cookie, "HX-Request": "true"}
    return [
        {"label": "File Igesa, page entière (10 000 demandes)", "display": QUEUE, "paths": [QUEUE],
         "headers": auth, "budget": budget},
        {"label": "File Igesa, fragment HTMX page 2 (10 000 demandes)", "display": QUEUE_FRAGMENT + " (HX-Request)",
         "paths": [QUEUE_FRAGMENT], "headers": hx, "budget": budget},
        {"label": "File Igesa, tous les états (10 000 demandes, information)", "display": QUEUE_ALL,
         "paths": [QUEUE_ALL], "headers": auth, "budget": None},
        {"label": "File Igesa, recherche « martin » (10 000 demandes, information)", "display": QUEUE_SEARCH,
         "paths": [QUEUE_SEARCH], "headers": auth, "budget": None},
        {"label": "Demande vue par l’agent Igesa (information)", "display": application_path,
         "paths": [application_path], "headers": auth, "budget": None},
    ]


def weigh(base, fetch, cookie, application_path):
    """Weights of the agent's pages and of the queue fragment (`fetch` is bench/run.py's)."""
    who = " (connecté : agent Igesa)"

    def entry(label, path, headers):
        status, body, _ = fetch(base + path, headers=headers)
        return {"label": label + who, "path": path, "status": status, "raw": len(body),
                "gzip": len(gzip.compress(body, 6)), "has_html": b"<html" in body}
    auth, hx = {"Cookie": cookie}, {"Cookie": cookie, "HX-Request": "true"}
    pages = [entry("File des demandes de prestation", QUEUE, auth),
             entry("Demande de prestation", application_path, auth),
             entry("Catalogue des prestations", "/agent/armees/catalogue", auth)]
    fragments = [entry("File des demandes, page 2", QUEUE_FRAGMENT, hx),
                 entry("File des demandes, tous les états, page 2", QUEUE + "?statut=tous&page=2", hx)]
    return pages, fragments


if __name__ == "__main__":
    instance = Path(sys.argv[1])
    print(add_applications(instance / "guichet.sqlite"))
