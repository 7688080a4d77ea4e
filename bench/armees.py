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

The ressortissant's side: `prepare_wizard` brings a new application of « Aide à la garde des jeunes
enfants » to step 4 « Votre dossier » through the real pages and fills its « Composition de la
famille » row by row as htmx does; `wizard_rows`, `weigh_wizard` and `wizard_report` give
bench/run.py its throughput rows, weights and report section.

    .venv/bin/python bench/armees.py INSTANCE_DIR    # the data alone, on an instance folder
"""
import gzip
import html
import json
import random
import re
import sys
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
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



# --- the ressortissant's wizard: step 4 « Votre dossier » and its family table ------------------

MEMBER_EMAIL = "ressortissant@demo.guichet.fr"
WIZARD_BENEFIT = "garde-jeunes-enfants"     # « Aide à la garde des jeunes enfants », its « Composition de la famille »
WIZARD_START = f"/armees/prestations/{WIZARD_BENEFIT}/demande/preambule"
CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "catalogues" / "armees-prestations.json"
TABLE = "f_famille"                         # the RowsField's name and id (forms/armees_apply.py: "f_" + spec name)
FAMILY = [("KERGOAT", "Hélène", "14/03/1986", "Conjoint"), ("KERGOAT", "Yann", "02/07/2021", "Enfant"),
          ("KERGOAT", "Maëlys", "19/11/2023", "Enfant"), ("LE GOFF", "Corentin", "05/01/2015", "Enfant à charge du conjoint"),
          ("KERGOAT", "Anne-Sophie", "28/02/1958", "Autre personne à charge")]


class _FormFields(HTMLParser):
    """The successful controls of one form as a browser (and htmx, which reads the form) posts them:
    inputs but files and buttons, checked boxes only, each select's selected option, textareas."""

    def __init__(self, form_id):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select = self._option = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("file", "submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "select" and name:
            self._select = [name, None, None]          # name, first option, selected option
        elif tag == "option" and self._select is not None:
            self._option = a.get("value")
            if self._option is not None:
                self._select[1] = self._select[1] if self._select[1] is not None else self._option
                if "selected" in a:
                    self._select[2] = self._option
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select is not None:
            name, first, chosen = self._select
            self.fields.append((name, chosen if chosen is not None else first or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append(tuple(self._textarea))
            self._textarea = None


def form_fields(body, form_id="demande-formulaire"):
    parser = _FormFields(form_id)
    parser.feed(body.decode())
    return parser.fields


def member_session(base):
    """The demo ressortissant logged in through the real form."""
    s = partners.Session(base)
    _, body, _ = s.get("/compte/connexion")
    status, _, _ = s.post_form("/compte/connexion", {"csrf_token": partners.csrf_token(body), "email": MEMBER_EMAIL,
                                                    "password": PASSWORD})
    if status != 302:
        raise RuntimeError(f"ressortissant login answered {status}")
    return s


def _next(session, path, extra=()):
    """« Suivant » on a step, as the form posts it without JavaScript: where it leads."""
    status, body, _ = session.get(path)
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    fields = [f for f in form_fields(body) if f[0] not in dict(extra)] + list(extra) + [("suivant", "1")]
    status, body, headers = session.post_form(path, fields)
    if status != 303:
        raise RuntimeError(f"« Suivant » on {path} answered {status}, not a redirect to the next step")
    return urllib.parse.urlparse(headers["Location"]).path


class Wizard:
    """An application of « Aide à la garde des jeunes enfants » created through the real pages
    (préambule → critères → informations → dossier), and the htmx requests of its family table."""

    def __init__(self, base):
        self.session = member_session(base)
        path = _next(self.session, WIZARD_START)
        # Critères: for each question the answer that is not excluding, read from the catalogue.
        catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8"))
        benefit = next(b for b in catalogue["benefits"] if b["code"] == WIZARD_BENEFIT)
        answers = [(q["name"], "non" if q["excluding"] == "oui" else "oui") for q in benefit["eligibility"]]
        path = _next(self.session, path, answers)
        if not path.endswith("/saisie/informations"):
            raise RuntimeError(f"after the eligibility step: {path}, not « Vos informations »")
        path = _next(self.session, path)
        if not path.endswith("/saisie/dossier"):
            raise RuntimeError(f"after « Vos informations »: {path}, not « Votre dossier »")
        self.path = path
        status, body, _ = self.session.get(path)
        if status != 200 or f'id="{TABLE}"'.encode() not in body or "Votre dossier".encode() not in body:
            raise RuntimeError(f"{path} answered {status} without the family table")
        self.page_bytes = len(body)
        self.fields = form_fields(body)
        self.csrf = dict(self.fields)["csrf_token"]
        self.url = base + path

    @property
    def cookie(self):
        """The session cookie as it stands (it changes once after the login: the CSRF token goes in)."""
        return self.session.cookie_header

    def hx_headers(self, button, cookie=True):
        """What htmx sends for a button of the table (components/rows.html: the button submits the
        step's form, whose hx-post and hx-target it uses; the X-CSRFToken of <body hx-headers>)."""
        headers = {"HX-Request": "true", "HX-Trigger": "demande-formulaire", "HX-Target": "demande",
                   "HX-Current-URL": self.url, "X-CSRFToken": self.csrf,
                   "Content-Type": "application/x-www-form-urlencoded"}
        return dict(headers, Cookie=self.cookie) if cookie else headers

    def body(self, rows, button, typed=None):
        """The step form as htmx posts it (urlencoded: the button is not a form and no hx-encoding
        is inherited), with `rows` already in the table (hidden inputs) and, when `typed`, the row
        form open on a new row; then the button pressed."""
        fields = [(k, v) for k, v in self.fields if not k.startswith(TABLE + "-")]
        fields.append((f"{TABLE}-lignes", "\n".join("\t".join(row.values()) for row in rows)))
        if typed is not None:
            fields.append((f"{TABLE}-ouvert", "nouvelle"))
            fields += [(f"{TABLE}-ligne-{c}", v) for c, v in typed.items()]
        fields.append((button, "1"))
        return urllib.parse.urlencode(fields).encode()

    def post(self, body, button):
        return self.session.get(self.path, self.hx_headers(button, cookie=False), body)   # the jar's cookie


def _typed(n):
    last, first, born, link = FAMILY[n % len(FAMILY)]
    return {"nom": last, "prenom": first if n < len(FAMILY) else f"{first} {n}", "naissance": born, "lien": link}


def _stored_rows(body):
    """The table's rows as the answer's hidden input holds them (what the browser posts next): a
    line per row, a tab between cells in the columns' order."""
    found = re.search(rf'name="{TABLE}-lignes" value="([^"]*)"'.encode(), body)
    packed = html.unescape(found.group(1).decode()) if found else ""
    columns = ("nom", "prenom", "naissance", "lien")
    return [dict(zip(columns, line.split("\t"), strict=False)) for line in packed.split("\n") if line]


def fill_table(wizard, count=10):
    """« Ajouter » then « Enregistrer », `count` times, as htmx does: each answer checked (the
    table's fragment, not a page; one more row); returns the weights of every answer
    [{"rows", "add", "save"}] and the body that adds the first row (what the throughput row replays)."""
    rows, weights, first_body = [], [], None
    for n in range(count):
        status, add, _ = wizard.post(wizard.body(rows, f"{TABLE}-ajouter"), f"{TABLE}-ajouter")
        if status != 200 or b"<html" in add or f'id="{TABLE}-ligne"'.encode() not in add:
            raise RuntimeError(f"« Ajouter » (row {n + 1}) answered {status} without the row form")
        body = wizard.body(rows, f"{TABLE}-enregistrer", _typed(n))
        first_body = first_body or body
        status, saved, _ = wizard.post(body, f"{TABLE}-enregistrer")
        new_rows = _stored_rows(saved)
        if status != 200 or b"<html" in saved or len(new_rows) != n + 1 or \
                f"La ligne {n + 1} a été ajoutée".encode() not in saved:
            raise RuntimeError(f"« Enregistrer » (row {n + 1}) answered {status} with {len(new_rows)} rows")
        rows = new_rows
        weights.append({"rows": n + 1, "add": len(add), "add_gzip": len(gzip.compress(add, 6)), "save": len(saved),
                        "save_gzip": len(gzip.compress(saved, 6))})
    return weights, first_body


def check_row_answer(wizard, body, cookie):
    """The replayed « Enregistrer » (fixed cookie, as the load generator sends it) still adds the row:
    a session expired meanwhile would have been measured as a redirect to the login page."""
    status, answer, _ = wizard.session.get(wizard.path, wizard.hx_headers(f"{TABLE}-enregistrer") | {"Cookie": cookie},
                                           body)
    return status == 200 and b"<html" not in answer and "La ligne 1 a été ajoutée".encode() in answer


def prepare_wizard(base, count=10):
    """The whole set-up, checked: the application brought to step 4, its table filled to `count`
    rows (every answer weighed), the step page weighed at 0 and `count` rows, then the draft put
    back at one row by the request the throughput row replays (so the page measured after it shows
    the same table). Returns a dict for `wizard_rows`, `weigh_wizard` and `wizard_report`."""
    wizard = Wizard(base)
    status, empty_page, _ = wizard.session.get(wizard.path)
    weights, first_body = fill_table(wizard, count)
    status, full_page, _ = wizard.session.get(wizard.path)
    if status != 200 or len(_stored_rows(full_page)) != count:
        raise RuntimeError(f"{wizard.path} with {count} rows answered {status}")
    cookie = wizard.cookie
    if not check_row_answer(wizard, first_body, cookie):
        raise RuntimeError("the replayed « Enregistrer » does not add the row")
    return {"wizard": wizard, "cookie": cookie, "body": first_body, "weights": weights,
            "pages": [(0, empty_page), (count, full_page)]}


def wizard_rows(prepared):
    """Throughput rows of the ressortissant's step 4 (no budget of their own in quality.md §2:
    information): the page, and the « Enregistrer » of a new row as htmx posts it."""
    w, cookie = prepared["wizard"], prepared["cookie"]
    return [
        {"label": "Assistant Portail Des Aides, étape 4 « Votre dossier » (page entière, 1 ligne, information)",
         "display": w.path, "paths": [w.path], "headers": {"Cookie": cookie}, "budget": None},
        {"label": "Assistant, étape 4 : ligne ajoutée au tableau « Composition de la famille » "
                  "(POST htmx, information)",
         "display": f"POST {w.path} ({TABLE}-enregistrer, {len(prepared['body'])} octets, HX-Request)",
         "paths": [w.path], "headers": w.hx_headers(f"{TABLE}-enregistrer") | {"Cookie": cookie},
         "body": prepared["body"], "budget": None},
    ]


def weigh_wizard(prepared):
    """Weights: the step page (empty table, full table) and the answers htmx receives for the table."""
    w = prepared["wizard"]
    who = " (connecté : ressortissant)"

    def entry(label, path, body):
        return {"label": label + who, "path": path, "status": 200, "raw": len(body),
                "gzip": len(gzip.compress(body, 6)), "has_html": b"<html" in body}
    pages = [entry(f"Assistant, étape 4 « Votre dossier », tableau à {n} ligne{'s' if n > 1 else ''}", w.path, body)
             for n, body in prepared["pages"]]
    fragments = []
    weights = prepared["weights"]
    for n in sorted({1, 3, len(weights)}):
        x = weights[n - 1]
        fragments.append({"label": f"Assistant, étape 4 : « Enregistrer » la ligne {n} du tableau{who}",
                          "path": f"POST {w.path} ({TABLE}-enregistrer)", "status": 200, "raw": x["save"],
                          "gzip": x["save_gzip"], "has_html": False})
    fragments.append({"label": f"Assistant, étape 4 : « Ajouter » (formulaire de ligne ouvert, tableau vide){who}",
                      "path": f"POST {w.path} ({TABLE}-ajouter)", "status": 200, "raw": weights[0]["add"],
                      "gzip": weights[0]["add_gzip"], "has_html": False})
    return pages, fragments


def per_row(weights):
    """Bytes per extra row of the « Enregistrer » answer, from 1 row to the last one where
    « Ajouter » is still offered (the full table loses that button), and over the whole range."""
    offered = weights[:-1] if len(weights) > 2 else weights
    first = weights[0]
    return {"offered": (offered[-1]["save"] - first["save"]) / max(1, offered[-1]["rows"] - first["rows"]),
            "offered_gzip": (offered[-1]["save_gzip"] - first["save_gzip"]) / max(1, offered[-1]["rows"] - first["rows"]),
            "all": (weights[-1]["save"] - first["save"]) / max(1, weights[-1]["rows"] - first["rows"]),
            "last_offered": offered[-1]["rows"]}


def wizard_report(prepared, fragment_budget, row_budget, verdict):
    """The report's section: the answer's weight row by row, and the growth per row."""
    if not prepared:
        return []
    weights = prepared["weights"]
    growth = per_row(weights)
    lines = ["", "## Portail Des Aides : assistant de demande, étape 4 « Votre dossier »", "",
             f"Le ressortissant de démo ({MEMBER_EMAIL}) crée une demande « Aide à la garde des jeunes enfants » "
             "par les vraies pages (préambule → critères → informations → dossier, « Suivant » sans JavaScript), "
             f"puis remplit le tableau « Composition de la famille » jusqu’à {len(weights)} lignes comme htmx : "
             "pour chaque ligne « Ajouter » puis « Enregistrer », chacun en POST urlencodé du formulaire de l’étape "
             "(lignes déjà saisies dans un champ caché, une ligne par rangée, bouton pressé), avec `HX-Request`, "
             "`HX-Trigger` et `HX-Target` (le formulaire de l’étape, dont les boutons du tableau utilisent le "
             "`hx-post`), `HX-Current-URL` et `X-CSRFToken` (`templates/components/rows.html`, `core/rows.py`). "
             "Chaque réponse est vérifiée (pas de page entière, une ligne de plus, message de la zone de statut). "
             f"La réponse est le tableau seul, renvoyé à sa place par les en-têtes `HX-Retarget: #{TABLE}` et "
             f"`HX-Reselect: #{TABLE}`.", "",
             "| lignes dans le tableau | réponse à « Enregistrer » | gzip | réponse à « Ajouter » (avant la ligne) | budget fragment | verdict |",
             "| ---: | ---: | ---: | ---: | --- | --- |"]
    for x in weights:
        lines.append(f"| {x['rows']} | {x['save']} o | {x['save_gzip']} o | {x['add']} o | ≤ {fragment_budget} o | "
                     f"{verdict(x['save'] <= fragment_budget)} |")
    lines += ["", f"Croissance par ligne supplémentaire de la réponse à « Enregistrer », de 1 à "
                  f"{growth['last_offered']} lignes (« Ajouter » encore proposé) : **{growth['offered']:.0f} octets** "
                  f"(gzip {growth['offered_gzip']:.0f} o) ; de 1 à {weights[-1]['rows']} lignes (le tableau plein perd "
                  f"le bouton « Ajouter ») : {growth['all']:.0f} octets. Budget ≤ {row_budget} octets par ligne : "
                  f"{verdict(growth['offered'] <= row_budget)}."]
    return lines


if __name__ == "__main__":
    instance = Path(sys.argv[1])
    print(add_applications(instance / "guichet.sqlite"))
