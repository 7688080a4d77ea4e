"""Load scenario (Locust, headless; started by bench/load.py against nginx and two app servers):
simulated users of the demo data, each one a browser without JavaScript going through the real
forms (CSRF tokens, signed attachment sets, submission tokens read from the pages).

- Technicians of the Espace Partenaires (« Centre communal d’action sociale de Bordeaux », CPAM
  GIRONDE): file requests with one or two PDF files, browse the history (pages, filters, sorts,
  the htmx fragment), open their requests.
- MSA members (login by NIR): write a message through the cascade (sometimes with a PDF), confirm
  it on the « Récapitulatif », read their messages.
- CPAM agents: read the queue, open requests, take new ones in charge (two agents may try the
  same one: the second is told it is already taken, which is no error).

Each simulated user connects from an address of its own (127.0.x.y: the whole 127/8 reaches nginx
on 127.0.0.1), as real users do: the login throttle's per-address budget is theirs, not one shared
by fifty users.

Every acknowledged submission (the redirect to its confirmation page) is written, with a marker
that its text carries, to GUICHET_LOAD_ACKS (one JSON line each): bench/load.py then checks that
each one was stored exactly once."""
import itertools
import json
import os
import random
import re
import secrets
from html import unescape
from html.parser import HTMLParser

from locust import HttpUser, between, task
from requests.adapters import HTTPAdapter

PASSWORD = "Guichet-Demo-2026"   # core/demo.py: every demo account
TECHNICIANS = ["martine.lapierre@demo.guichet.fr", "victor.chausson@demo.guichet.fr"]
AGENTS = ["agent.cpam33@demo.guichet.fr"]
# One account per simulated member (bench/load.py makes them); else the demo's Élise FONTAINE.
MEMBER_NIRS = [n for n in os.environ.get("GUICHET_LOAD_MEMBERS", "").split(",") if n] or ["2850733063123"]
_members = itertools.count()
ORGANISATION = "CPAM GIRONDE"
ODS = 1                          # « Contacter votre organisme d'assurance Maladie »: files allowed
MSA_WRITING = "/msa/messages/nouveau?theme=famille-logement&subject=allocations-familiales&reason=dossier"
HISTORY_VIEWS = ["", "?page=2", "?statut=nouveau", "?statut=resolu&tri=personne&ordre=az", "?tri=date&ordre=asc"]
ACKS = os.environ.get("GUICHET_LOAD_ACKS")
_accounts = itertools.count()
_addresses = itertools.count(2)


def acknowledge(kind: str, marker: str, reference: str) -> None:
    if ACKS:
        with open(ACKS, "a", encoding="utf-8") as out:
            out.write(json.dumps({"kind": kind, "marker": marker, "reference": reference}) + "\n")


def pdf(size: int) -> bytes:
    """A small valid-looking PDF with unique bytes (each file stored once)."""
    return b"%PDF-1.4\n1 0 obj<<>>endobj\n% " + secrets.token_hex(size // 2).encode() + b"\ntrailer<<>>\n%%EOF\n"


class Forms(HTMLParser):
    """The forms of a page: action, and the values a browser would post (hidden inputs, checked
    boxes, the first option of each select, textareas)."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select = self._textarea = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "id": a.get("id"), "fields": [], "options": {}})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("hidden", "text") or (kind in ("checkbox", "radio") and "checked" in a):
                self.forms[-1]["fields"].append((a["name"], a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                self.forms[-1]["options"].setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and a.get("value"):
            self.forms[-1]["options"].setdefault(self._select, []).append(a["value"])
        elif tag == "textarea":
            self._textarea = a.get("name")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def find(self, action_part: str = "", form_id: str | None = None) -> dict:
        for form in self.forms:
            if (form_id and form["id"] == form_id) or (not form_id and action_part in form["action"]):
                return form
        raise LookupError(f"no form {form_id or action_part!r}")


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not match:
        raise LookupError("no CSRF token")
    return match.group(1)


class FromAddress(HTTPAdapter):
    """Connections from one local address (the simulated user's own)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


class Visitor(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        n = next(_addresses)
        self.client.mount("http://", FromAddress(f"127.0.{n // 250 % 250}.{n % 250 + 1}"))

    def login(self, path: str, fields: dict) -> None:
        page = self.client.get(path, name=path)
        with self.client.post(path, data={**fields, "csrf_token": csrf(page.text)}, allow_redirects=False,
                              name=f"{path} (POST)", catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")
                raise RuntimeError("login failed")

    def redirect_of(self, response, pattern: str, what: str):
        """The redirect's target matching `pattern` (the acknowledgment), else a failure."""
        location = response.headers.get("Location", "")
        match = re.search(pattern, location)
        if response.status_code not in (302, 303) or not match:
            response.failure(f"{what}: {response.status_code} {location!r} {response.text[:200]!r}")
            return None
        response.success()
        return match


class Technician(Visitor):
    weight = 3

    def on_start(self):
        self.numbers: list[str] = []
        email = TECHNICIANS[next(_accounts) % len(TECHNICIANS)]
        self.login("/compte/connexion", {"email": email, "password": PASSWORD})
        page = self.client.get("/partenaires/organisme", name="/partenaires/organisme").text
        options = {unescape(name).rstrip(" *"): value
                   for value, name in re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]*)</option>', page)}
        self.client.post("/partenaires/organisme", data={"csrf_token": csrf(page), "organisation": options[ORGANISATION]},
                         name="/partenaires/organisme (POST)")

    @task(2)
    def file_a_request(self):
        path = f"/partenaires/demandes/nouvelle/{ODS}"
        form = Forms(self.client.get(path, name=path).text).find(path)
        fields = dict(form["fields"])
        marker = secrets.token_hex(8)
        fields.update(motive=form["options"]["motive"][0], rdv_modalities=form["options"]["rdv_modalities"][0],
                      comments=f"Demande de la charge {marker} : rappeler l’assuré le matin.")
        files = [("pieces_jointes", (f"justificatif-{n + 1}.pdf", pdf(random.randint(20_000, 200_000)),
                                     "application/pdf")) for n in range(random.randint(1, 2))]
        with self.client.post(path, data=fields, files=files, allow_redirects=False, name=f"{path} (POST, fichiers)",
                              catch_response=True) as response:
            match = self.redirect_of(response, r"/partenaires/demandes/confirmation/(\d{10})$", "request not filed")
        if match:
            self.numbers.append(match.group(1))
            acknowledge("partner_request", marker, match.group(1))
            self.client.get(match.group(0), name="/partenaires/demandes/confirmation/[numéro]")

    @task(4)
    def browse_the_history(self):
        view = random.choice(HISTORY_VIEWS)
        self.client.get("/partenaires/demandes" + view, name="/partenaires/demandes" + (view and "?…"))
        if random.random() < 0.3:
            self.client.get("/partenaires/demandes?page=1", headers={"HX-Request": "true"},
                            name="/partenaires/demandes (fragment htmx)")

    @task(1)
    def open_a_request(self):
        if self.numbers:
            self.client.get(f"/partenaires/demandes/{random.choice(self.numbers)}", name="/partenaires/demandes/[numéro]")


class Member(Visitor):
    weight = 2

    def on_start(self):
        self.login("/msa/connexion", {"nir": MEMBER_NIRS[next(_members) % len(MEMBER_NIRS)], "password": PASSWORD})

    @task(1)
    def send_a_message(self):
        page = self.client.get(MSA_WRITING, name="/msa/messages/nouveau (rédaction)").text
        form = Forms(page).find("/msa/messages/nouveau")
        marker = secrets.token_hex(8)
        fields = dict(form["fields"])
        fields["body"] = (f"Bonjour, message de la charge {marker}. Depuis la naissance de notre deuxième enfant, "
                          "le montant versé n’a pas changé : pouvez-vous vérifier mon dossier ? Merci.")
        files = ([("pieces_jointes", ("acte.pdf", pdf(random.randint(10_000, 100_000)), "application/pdf"))]
                 if random.random() < 0.5 else [])
        name = next((n for n in fields if n.endswith("-lot")), None)
        if files and name:
            files = [(name.removesuffix("-lot"), files[0][1])]
        with self.client.post("/msa/messages/nouveau", data=fields, files=files or None, allow_redirects=False,
                              name="/msa/messages/nouveau (POST « Valider »)", catch_response=True) as response:
            if not self.redirect_of(response, r"/msa/messages/recapitulatif$", "no summary"):
                return
        summary = Forms(self.client.get("/msa/messages/recapitulatif", name="/msa/messages/recapitulatif").text)
        send = summary.find(form_id="msg-envoi")
        with self.client.post("/msa/messages/recapitulatif", data=dict(send["fields"]), allow_redirects=False,
                              name="/msa/messages/recapitulatif (POST « Envoyer »)", catch_response=True) as response:
            match = self.redirect_of(response, r"/msa/messages/(\d+)/envoye$", "message not sent")
        if match:
            acknowledge("msa_message", marker, match.group(1))
            self.client.get(match.group(0), name="/msa/messages/[id]/envoye")

    @task(3)
    def read_the_messages(self):
        page = self.client.get("/msa/messages", name="/msa/messages").text
        ids = re.findall(r'href="/msa/messages/(\d+)"', page)
        if ids:
            self.client.get(f"/msa/messages/{random.choice(ids)}", name="/msa/messages/[id]")


class Agent(Visitor):
    weight = 1

    def on_start(self):
        self.login("/compte/connexion", {"email": random.choice(AGENTS), "password": PASSWORD})

    def queue(self) -> list[str]:
        page = self.client.get("/agent/partenaires/", name="/agent/partenaires/").text
        return re.findall(r'href="/agent/partenaires/demandes/(\d+)"', page)

    @task(2)
    def read_the_queue(self):
        ids = self.queue()
        if ids:
            self.client.get(f"/agent/partenaires/demandes/{random.choice(ids)}", name="/agent/partenaires/demandes/[id]")

    @task(1)
    def take_one_in_charge(self):
        ids = self.queue()[:5]
        random.shuffle(ids)
        for request_id in ids:
            page = self.client.get(f"/agent/partenaires/demandes/{request_id}",
                                   name="/agent/partenaires/demandes/[id]").text
            action = f"/agent/partenaires/demandes/{request_id}/prise-en-charge"
            if action not in page:
                continue
            with self.client.post(action, data={"csrf_token": csrf(page)}, allow_redirects=False,
                                  name="/agent/partenaires/demandes/[id]/prise-en-charge (POST)",
                                  catch_response=True) as response:
                if response.status_code == 409 and "<h1" in response.text:
                    # Another agent took it first: the page says so, nothing changed (core/queue.py).
                    response.success()
                else:
                    self.redirect_of(response, r"/agent/partenaires/demandes/\d+", "not taken in charge")
            return
