"""The fuzz harness: a small world of real objects, a logged-in client per role, the forms of
every page (field names and the real values they offer), and `Fuzzer.send`, which counts the
requests and records every 5xx with the input that caused it.

Nothing here knows a route by heart: the targets come from `app.url_map.iter_rules()`, the field
names from the pages themselves, so routes and fields added later are fuzzed too."""
import io
import json
import logging
import re
import secrets
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from extensions import db
from tests import factories

# Every role of the application, as the fuzz plays them.
ROLES = ("anonymous", "citizen", "msa_member", "partner_technician", "partner_manager",
         "agent_partenaires", "agent_msa", "admin", "agent_armees", "agent_apgis")
EMAILS = {
    "citizen": "citoyen@fuzz.example.fr",
    "msa_member": "adherent@fuzz.example.fr",
    "partner_technician": "technicien@fuzz.example.fr",
    "partner_manager": "gestionnaire@fuzz.example.fr",
    "agent_partenaires": "agent.cpam@fuzz.example.fr",
    "agent_msa": "agent.msa@fuzz.example.fr",
    "admin": "admin@fuzz.example.fr",
    "agent_armees": "agent.igesa@fuzz.example.fr",
    "agent_apgis": "gestionnaire.apgis@fuzz.example.fr",
}
# Each role fuzzes from an address of its own, and logs in again from yet another one.
FUZZ_ADDRESSES = {role: f"198.51.100.{i + 1}" for i, role in enumerate(ROLES)}
LOGIN_ADDRESS = "192.0.2.200"
HTTP_METHODS = ("GET", "POST")
SKIPPED_FIELDS = {"csrf_token"}  # added by the harness itself when CSRF is on
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer<<>>\n%%EOF\n"

# Requests sent by the fuzz suite, by database, and their answers by status class (read by the
# terminal summary of conftest.py).
REQUEST_COUNTS = {}
STATUS_COUNTS = Counter()


# --- The world: real objects so that valid ids exist too ---------------------------------------

@dataclass
class World:
    pools: dict  # path argument name -> valid values, in a fixed order
    org_partenaires: int


def _stored_attachment(app, **fields):
    from models import Attachment, StoredFile
    storage_name = secrets.token_hex(16)
    (Path(app.config["UPLOAD_FOLDER"]) / storage_name).write_bytes(PDF)
    stored = StoredFile(storage_name=storage_name, size=len(PDF))
    attachment = Attachment(stored_file=stored, content_type="application/pdf", size=len(PDF), **fields)
    db.session.add(attachment)
    return attachment


def build_world(app):
    """Two Espace Partenaires structures (the technician's, the manager's), an organisation that
    starts later, partner requests in every status with files, an MSA fund with a member, a
    conversation with a file, and one user per role."""
    from models import Convention, Conversation, ConversationMessage, MsaMember, User
    from models.base import utcnow
    from models.msa import ConversationStatus
    from models.partenaires import Status

    with app.app_context():
        today = date.today()
        org_p, s1 = factories.partner_setup("CPAM GIRONDE", "331")
        org_later, _ = factories.partner_setup("CPAM DORDOGNE", "241", structure_obj=s1,
                                               start=today + timedelta(days=30))
        s2 = factories.structure(name="Centre communal d’action sociale de Bordeaux")
        db.session.add(Convention(structure=s2, organisation=org_p, start_date=today - timedelta(days=100)))
        technician = factories.technician(s1, email=EMAILS["partner_technician"])
        factories.technician(s2, email=EMAILS["partner_manager"], role="partner_manager",
                             first_name="Gilles", last_name="GESTIONNAIRE")
        # The manager's technicians: what the manager may deactivate without ending anyone's fuzz.
        victim = factories.technician(s2, email="victime@fuzz.example.fr", first_name="Victor", last_name="CHAUSSON")
        invited = factories.technician(s2, email="invite@fuzz.example.fr", first_name="Inès", last_name="INVITÉE",
                                       active=False)
        agent_p = factories.user(email=EMAILS["agent_partenaires"], role="agent", organisation=org_p)
        org_m = factories.organisation(portal="msa", code="MSA33", name="MSA Gironde")
        factories.user(email=EMAILS["agent_msa"], role="agent", organisation=org_m)
        factories.user(email=EMAILS["admin"], role="admin")
        factories.user(email=EMAILS["citizen"])
        member = factories.user(email=EMAILS["msa_member"], first_name="Jeanne", last_name="Lacoste")
        db.session.add(MsaMember(user=member, nir="2850733063001", organisation=org_m, mobile="06.12.34.56.78"))
        db.session.flush()

        new = factories.partner_request(org_p, technician)
        taken = factories.partner_request(org_p, technician, ods=1, status=Status.TAKEN.value)
        taken.taken_by_id = agent_p.id
        resolved = factories.partner_request(org_p, technician, status=Status.RESOLVED.value, answer="Réponse.")
        resolved.resolved_by_id = agent_p.id
        resolved.resolved_at = utcnow()
        other = factories.partner_request(org_p, victim, ods=2, motive="Situation d'urgence")
        db.session.flush()
        sent = _stored_attachment(app, owner_id=technician.id, organisation_id=org_p.id, policy="partenaires_demande",
                                  subject_type="PartnerRequest", subject_id=new.id, original_name="envoyee.pdf")
        answer = _stored_attachment(app, owner_id=agent_p.id, organisation_id=org_p.id,
                                    policy="partenaires_reponse", subject_type="partner_request_answer",
                                    subject_id=resolved.id, original_name="reponse.pdf")

        conversation = Conversation(member=member, organisation=org_m, theme="sante", subject="remboursements",
                                    reason="delai", object_label="Santé > Remboursements de soins > Délai")
        message = ConversationMessage(conversation=conversation, author=member, body="Ma question initiale.")
        closed = Conversation(member=member, organisation=org_m, theme="sante", subject="remboursements",
                              reason="delai", object_label="Santé > Remboursements de soins > Délai",
                              status=ConversationStatus.CLOSED.value)
        closed_message = ConversationMessage(conversation=closed, author=member, body="Une autre question.")
        db.session.add_all([conversation, message, closed, closed_message])
        db.session.flush()
        msa_file = _stored_attachment(app, owner_id=member.id, organisation_id=org_m.id, policy="msa_message",
                                      subject_type="ConversationMessage", subject_id=message.id,
                                      original_name="ordonnance.pdf")
        # Portail Des Aides: Igesa, its agent, the citizen's applications in every state — first the
        # one with a complement request (rules with two arguments take the first values together),
        # then those where the agent's page offers each of its forms — « Mes informations » after a
        # first transmitted application, a porte-documents file and a decision received.
        from models import User
        from models.armees import PORTE_DOCUMENTS
        org_a = factories.organisation(portal="armees", code="IGESA", name="Igesa")
        agent_a = factories.user(email=EMAILS["agent_armees"], role="agent", organisation=org_a)
        ressortissant = User.query.filter_by(email=EMAILS["citizen"]).one()
        applications = [factories.armees_application(ressortissant, org_a, state=state, agent=agent_a, **extra)
                        for state, extra in (("prise-en-charge", {}), ("instruction", {}), ("en-creation", {}),
                                             ("terminee", {"decision": "accordee"}))]
        complement = factories.armees_complement(applications[0])
        factories.armees_profile(ressortissant)
        proof = factories.stored_attachment(ressortissant, PORTE_DOCUMENTS.name, ressortissant.id, name="bulletin.pdf",
                                            document="bulletin-remuneration")
        received = factories.armees_received(applications[-1])
        # Apgis: the citizen is also an insured (individual contract) with a pending DIT and a
        # question; the Apgis manager works them.
        from models.apgis import ApgisInsured, ApgisQuestion, ApgisRequest
        org_g = factories.organisation(portal="apgis", code="APGIS", name="Apgis")
        factories.user(email=EMAILS["agent_apgis"], role="agent", organisation=org_g)
        insured = ApgisInsured(user=ressortissant, organisation=org_g, member_number="FUZZ0001",
                               contract_kind="individuel", address_line1="1 rue du Port", postcode="33000",
                               insee="33063", city="Bordeaux")
        db.session.add(insured)
        db.session.flush()
        dit = ApgisRequest(reference="DIT-2026-000001", user_id=ressortissant.id, insured_id=insured.id,
                           organisation_id=org_g.id, kind="carte-tiers-payant", payload={})
        question = ApgisQuestion(reference="QST-2026-000001", user_id=ressortissant.id, organisation_id=org_g.id,
                                 theme="garanties", text="Une question ?")
        db.session.add_all([dit, question])
        # « Mes services »: a beneficiary, a statement, a valid card, a hospital cover, a FAQ entry
        # and a published document of the institution.
        from models.apgis import ApgisBeneficiary
        from tests.apgis_services import factories_services as apgis
        insured.beneficiaries.append(ApgisBeneficiary(relation="enfant", first_name="Noël", last_name="Martin",
                                                      birth_date=date(2010, 1, 2)))
        statement = apgis.statement(insured, "DEC-2026-000001", today,
                                    [apgis.reimbursement(insured, today - timedelta(days=3))])
        card = apgis.card(insured, today - timedelta(days=1), today + timedelta(days=30))
        cover = apgis.hospital_cover(insured, "PEC-2026-000001")
        faq_entry = apgis.faq(org_g, "Question fréquente ?")
        publication = apgis.publication(org_g, User.query.filter_by(email=EMAILS["agent_apgis"]).one(),
                                        "Tableau des garanties")
        db.session.commit()

        conventions = [c.id for c in Convention.query.filter_by(organisation_id=org_p.id).order_by(Convention.id)]
        pools = {
            # Orders matter where a rule has two arguments: the first values go together.
            "request_id": [new.id, taken.id, resolved.id, other.id, dit.id],
            "number": [resolved.number, new.number, taken.number, other.number],
            "attachment_id": [answer.id, sent.id, msa_file.id, proof.id],
            "document_id": [received.id],
            "conversation_id": [conversation.id, closed.id],
            "application_id": [a.id for a in applications],
            "benefit_code": ["garde-jeunes-enfants", "pret-social"],
            "organisation_id": [org_p.id, org_m.id, org_later.id],
            "convention_id": conventions,
            "user_id": [victim.id, invited.id],
            "message_id": [1, 2],
            "ods": [1, 2, 3, 4, 5],
            "code": ["nous-envoyer-un-message", "demander-rsa", "carte-assurance-maladie",
                     "complementaire-sante-solidaire"],
            "token": ["jeton-inconnu"],
            "filename": ["css/guichet.css", "js/guichet.js"],
            # wizard steps (/composants/assistant/<step>, /composants/dossier/<step>)
            "step": ["identite", "dossier", "choix", "recapitulatif"],  # the crawl takes the first two
            "complement_id": [complement.id],
            "question_id": [question.id],
            "insured_id": [insured.id],
            "statement_id": [statement.id],
            "card_id": [card.id],
            "cover_id": [cover.id],
            "entry_id": [faq_entry.id],
            "publication_id": [publication.id],
        }
        return World(pools=pools, org_partenaires=org_p.id)


# --- What the pages offer: field names and their real values ------------------------------------

@dataclass
class Fields:
    names: set = field(default_factory=set)
    files: set = field(default_factory=set)
    values: dict = field(default_factory=dict)  # name -> set of real values
    types: dict = field(default_factory=dict)   # name -> "text", "date", "select", "textarea", …

    def add(self, name, value=None):
        if not name or name in SKIPPED_FIELDS:
            return
        self.names.add(name)
        if value is not None and len(value) <= 2000:
            values = self.values.setdefault(name, set())
            if len(values) < 40:
                values.add(value)


class Catalog:
    """(endpoint, method) -> Fields, learnt from the pages a role was shown."""

    def __init__(self, adapter):
        self.adapter = adapter
        self.entries = {}

    def fields(self, endpoint, method):
        return self.entries.setdefault((endpoint, method), Fields())

    def _endpoint(self, url, method):
        try:
            endpoint, _ = self.adapter.match(urlsplit(url).path, method=method)
        except (HTTPException, RequestRedirect):
            return None
        return endpoint

    def learn(self, page_url, html):
        soup = BeautifulSoup(html, "html.parser")
        for form in soup.find_all("form"):
            method = (form.get("method") or "get").upper()
            action = form.get("action") or page_url
            controls = form.select("input[name], select[name], textarea[name], button[name]")
            self._learn_form(action, method, controls)
            for button in form.select("[formaction]"):
                self._learn_form(button["formaction"], (button.get("formmethod") or method).upper(), controls)
        for element in soup.select("[hx-get], [hx-post]"):
            method = "POST" if element.get("hx-post") else "GET"
            form = element.find_parent("form")
            controls = form.select("input[name], select[name], textarea[name], button[name]") if form else []
            if element.get("name"):
                controls = [*controls, element]
            entry = self._learn_form(element.get("hx-post") or element.get("hx-get"), method, controls)
            if entry is not None and element.get("hx-vals"):
                try:
                    extra = json.loads(element["hx-vals"])
                except ValueError:
                    extra = {}
                for name, value in (extra.items() if isinstance(extra, dict) else ()):
                    entry.add(name, str(value))
        for link in soup.select("a[href]"):
            href = link["href"]
            if "?" in href:
                self._learn_query(href, "GET")

    def _learn_query(self, url, method):
        endpoint = self._endpoint(url, method)
        if endpoint is None:
            return None
        entry = self.fields(endpoint, "QUERY")
        for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
            entry.add(name, value)
        return endpoint

    def _learn_form(self, action, method, controls):
        if method not in HTTP_METHODS or not action:
            return None
        endpoint = self._learn_query(action, method) or self._endpoint(action, method)
        if endpoint is None:
            return None
        entry = self.fields(endpoint, "QUERY" if method == "GET" else "POST")
        for control in controls:
            name = control.get("name")
            if name and name not in SKIPPED_FIELDS:
                entry.types.setdefault(name, control.get("type", "text") if control.name == "input" else control.name)
            if control.name == "input" and control.get("type") == "file":
                entry.names.add(name)
                entry.files.add(name)
            elif control.name == "select":
                entry.add(name)
                for option in control.find_all("option"):
                    entry.add(name, option.get("value", option.get_text()))
            elif control.name == "textarea":
                entry.add(name, control.get_text())
            else:
                entry.add(name, control.get("value", "on" if control.get("type") in ("checkbox", "radio") else ""))
        return entry


# --- Targets -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    rule: str
    endpoint: str
    method: str
    args: tuple  # (name, kind) with kind "int", "path" or "string"

    def __str__(self):
        return f"{self.method} {self.rule}"


def _kind(converter):
    name = type(converter).__name__
    if "Integer" in name or "Int" in name:
        return "int"
    if "Path" in name:
        return "path"
    return "string"


def targets_of(app):
    """Every (rule, method) pair of the URL map, GET and POST, in a fixed order."""
    targets = []
    for rule in app.url_map.iter_rules():
        args = tuple(sorted((name, _kind(rule._converters[name])) for name in rule.arguments))
        for method in HTTP_METHODS:
            if method in rule.methods:
                targets.append(Target(rule.rule, rule.endpoint, method, args))
    return sorted(targets, key=lambda t: (t.rule, t.method))


_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def build_path(target, values):
    """The rule with each argument replaced by its value, percent-encoded."""
    def replace(match):
        name = match.group(1)
        value = str(values[name])
        return quote(value, safe="/" if dict(target.args)[name] == "path" else "")
    return _ARG.sub(replace, target.rule)


# --- Requests ----------------------------------------------------------------------------------

@dataclass
class FuzzRequest:
    target: Target
    path_values: dict
    query: list = field(default_factory=list)   # [(name, value)], names may repeat
    form: list = field(default_factory=list)
    files: list = field(default_factory=list)   # [(name, filename, bytes)]
    headers: dict = field(default_factory=dict)
    csrf: str = "valid"                          # CSRF pass only: "valid", "missing" or "forged"

    @property
    def path(self):
        return build_path(self.target, self.path_values)

    def describe(self):
        def short(v):
            r = repr(v)
            return r if len(r) <= 200 else r[:200] + f"… ({len(v)} caractères)"
        lines = [f"{self.target.method} {self.path}  (règle {self.target.rule})"]
        if self.query:
            lines.append("  query: " + ", ".join(f"{short(k)}={short(v)}" for k, v in self.query))
        if self.form:
            lines.append("  form: " + ", ".join(f"{short(k)}={short(v)}" for k, v in self.form))
        if self.files:
            lines.append("  files: " + ", ".join(f"{short(k)}={short(n)} ({len(b)} octets)" for k, n, b in self.files))
        if self.headers:
            lines.append("  headers: " + ", ".join(f"{k}={short(v)}" for k, v in self.headers.items()))
        return "\n".join(lines)


class _LastError(logging.Handler):
    """Keeps the traceback the app's error handler logged, to show it with the failure."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.last = None

    def emit(self, record):
        if record.exc_info:
            self.last = project_traceback(record.exc_info[1])


def project_traceback(exc):
    """The frames of the project's own code (not of the libraries), and the error."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "site-packages" not in f.filename]
    return "".join(traceback.format_list(frames[-4:])) + "".join(traceback.format_exception_only(exc))


def csrf_token_in(html):
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return match.group(1) if match else None


def _header_value(value):
    # A real server hands WSGI the bytes as latin-1; control characters never get that far.
    value = "".join(ch for ch in str(value) if ch >= " " and ch != "\x7f")
    return value.encode().decode("latin-1")


class Fuzzer:
    def __init__(self, app, world, database):
        self.app = app
        self.world = world
        self.database = database
        self.adapter = app.url_map.bind("guichet.test")
        self.targets = targets_of(app)
        self.clients = {}
        self.catalogs = {}
        self.reachable = {}  # role -> endpoints the role may use (not sent to a login page, not 403)
        self.csrf_tokens = {}
        self.failures = []
        self.last_response = None
        REQUEST_COUNTS.setdefault(database, 0)
        self._errors = _LastError()
        app.logger.addHandler(self._errors)
        from core.sessions import SESSION_KEY
        self.session_key = SESSION_KEY

    @property
    def csrf_enabled(self):
        return self.app.config["WTF_CSRF_ENABLED"]

    def close(self):
        self.app.logger.removeHandler(self._errors)

    # -- clients per role

    def client(self, role):
        if role not in self.clients:
            client = self.app.test_client()
            client.environ_base["REMOTE_ADDR"] = FUZZ_ADDRESSES[role]
            self.clients[role] = client
            if role != "anonymous":
                self.login(role)
        return self.clients[role]

    def login(self, role):
        client = self.clients[role]
        page = client.get("/compte/connexion", environ_overrides={"REMOTE_ADDR": LOGIN_ADDRESS})
        data = {"email": EMAILS[role], "password": factories.PASSWORD}
        token = csrf_token_in(page.get_data(as_text=True))
        if token:
            data["csrf_token"] = token
        response = client.post("/compte/connexion", data=data, environ_overrides={"REMOTE_ADDR": LOGIN_ADDRESS})
        assert response.status_code == 302, f"connexion impossible en tant que {role} : {response.status_code}"
        self.csrf_tokens.pop(role, None)
        if role == "partner_technician":
            self._select_organisation(role)

    def _select_organisation(self, role):
        data = {"organisation": str(self.world.org_partenaires)}
        if self.csrf_enabled:
            data["csrf_token"] = self.csrf_token(role)
        response = self.clients[role].post("/partenaires/organisme", data=data)
        assert response.status_code == 302, f"choix de l’organisme impossible : {response.status_code}"

    def restore(self, role):
        """Log the role in again if the fuzz logged it out (« Se déconnecter » is fuzzed too), and
        put the technician back on its organisation if the fuzz chose another one."""
        if role == "anonymous":
            return
        with self.clients[role].session_transaction() as session:
            logged_in = bool(session.get(self.session_key))
            organisation = session.get("partner_organisation_id")
        if not logged_in:
            self.login(role)
        elif role == "partner_technician" and organisation != self.world.org_partenaires:
            self._select_organisation(role)

    def still_logged_in(self, role):
        response = self.client(role).get("/compte/")
        return response.status_code == 200

    def csrf_token(self, role):
        if role not in self.csrf_tokens:
            html = self.client(role).get("/compte/connexion" if role == "anonymous" else "/").get_data(as_text=True)
            self.csrf_tokens[role] = csrf_token_in(html)
            assert self.csrf_tokens[role], f"aucun jeton CSRF sur la page servie à {role}"
        return self.csrf_tokens[role]

    # -- sending

    def send(self, role, req):
        """Send `req` as `role`; returns (status, message of failure or None)."""
        client = self.client(role)
        query = MultiDict(req.query)
        form = MultiDict(req.form)
        headers = {k: _header_value(v) for k, v in req.headers.items()}
        if self.csrf_enabled and req.target.method == "POST":
            token = self.csrf_token(role)
            if req.csrf == "valid":
                form.add("csrf_token", token)
                if headers.get("HX-Request"):
                    headers["X-CSRFToken"] = token
            elif req.csrf == "forged":
                form.add("csrf_token", token[:-4] + "AAAA")
        for name, filename, content in req.files:
            form.add(name, (io.BytesIO(content), filename))
        self._errors.last = None
        REQUEST_COUNTS[self.database] += 1
        try:
            response = client.open(req.path, method=req.target.method, query_string=query,
                                   data=form if req.target.method == "POST" else None, headers=headers)
        except Exception as exc:  # noqa: BLE001  (an error that escaped the app's own handlers)
            failure = f"[{role}] exception\n{req.describe()}\n{project_traceback(exc)}"
            self.failures.append(failure)
            self._reset_after_exception()
            return 599, failure
        status = response.status_code
        STATUS_COUNTS[f"{status // 100}xx"] += 1
        if self.last_response is not None:
            self.last_response.close()  # downloads hold their file open until then
        self.last_response = response
        failure = None
        if status >= 500:
            failure = f"[{role}] {status}\n{req.describe()}\n{self._errors.last or ''}"
            self.failures.append(failure)
        if role != "anonymous" and ("Set-Cookie" in response.headers or status in (302, 303, 401)):
            self.restore(role)
        return status, failure

    def _reset_after_exception(self):
        with self.app.app_context():
            db.session.rollback()

    # -- learning the forms

    def valid_arguments(self, target, n=2):
        """Up to `n` sets of valid argument values (the first ones of each pool, together)."""
        pools = [self.world.pools.get(name, ["1"]) for name, _ in target.args]
        width = min([len(p) for p in pools] + [n])
        return [{name: pools[i][j] for i, (name, _) in enumerate(target.args)} for j in range(width)]

    def crawl(self, role):
        """GET every page the role may see (with valid ids) and learn its forms and links."""
        if role in self.catalogs:
            return self.catalogs[role]
        catalog = Catalog(self.adapter)
        reachable = {"static"}
        for target in self.targets:
            if target.method != "GET" or target.endpoint == "static":
                continue
            for values in self.valid_arguments(target):
                req = FuzzRequest(target, values)
                status, failure = self.send(role, req)
                response = self.last_response
                if failure:
                    raise AssertionError(f"exploration : {failure}")
                if status in (401, 403) or "/connexion" in response.headers.get("Location", ""):
                    break  # the other ids would meet the same access check
                reachable.add(target.endpoint)
                if status == 200 and response.mimetype == "text/html":
                    catalog.learn(req.path, response.get_data(as_text=True))
        reachable |= {endpoint for endpoint, method in catalog.entries if method == "POST"}
        self.catalogs[role] = catalog
        self.reachable[role] = reachable
        return catalog
