"""Bad input never gives a 500 (quality.md §3): every route of the URL map, every method it
accepts, as every role, with generated values in its path arguments, its query string and its
form fields (the names of its real forms, read from the pages, plus random ones), with and
without HX-Request, with CSRF protection off and on, on SQLite and PostgreSQL.

Two kinds of tests:
- a sweep that sends each route, as each role, a fixed list of nasty payloads (so every route is
  reached, whatever Hypothesis draws);
- Hypothesis tests that draw routes, values, lists of values, files and headers at random.

Every run is seeded (`@seed`, `database=None`): a failure replays. A failure names the role, the
method, the URL, the input and the traceback.

Run: TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m pytest tests/fuzz"""
import re
import zlib
from types import MappingProxyType

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.fuzz.harness import PDF, ROLES, FuzzRequest

# Examples per role and database for the Hypothesis tests (each example is one request).
EXAMPLES_PER_ROLE = 205
CSRF_EXAMPLES_PER_ROLE = 100
CSRF_ROLES = ("anonymous", "msa_member", "partner_technician", "agent_partenaires")

# --- Values --------------------------------------------------------------------------------------

HUGE_INTS = [2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 63 - 1, 2 ** 63, 2 ** 64, 99999999999999999999, 10 ** 40]
NASTY = [
    "", " ", "\t", "0", "-1", "00000000001", "2147483648", "9223372036854775808", "99999999999999999999",
    "9" * 5000,                          # more digits than int() accepts
    "1e309", "NaN", "-0", "1.5", "0x1F", "²", "①", "٣", "𝟗",  # digits that isdigit() accepts and int() may not
    "\x00", "a\x00b", "DUPONT\x00", "%00", "\r\n", "a\r\nSet-Cookie: x=1", "\x1b[31m", "\x7f", "\x85",
    "\u202e", "\u202egpj.exe", "\u200b", "\u200d", "\ufeff", "\u2066DUPONT\u2069", "\u2028", "\u2029",
    "\u0301", "\u0300\u0301\u0302\u0303", "e\u0301", "\U0010ffff", "\uffff", "\ufffd",
    "/%09/evil.example", "//evil.example", "\\\\evil", "\\/evil.example", "https://evil.example/",
    "javascript:alert(1)", "../../../etc/passwd", "..\\..\\windows",
    "' OR '1'='1", "'; DROP TABLE user; --", "1; SELECT pg_sleep(0)", "%", "_", "\\", "*", "?", "[]", "{}",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "{{ 7*7 }}", "{% raw %}", "${7*7}", "%s%n",
    "😀", "👩‍👩‍👧‍👦" * 20, "𝕮𝖆𝖒𝖎𝖑𝖑𝖊", "ǅ", "ß" * 100, "İ",
    "x" * 10_000, "é" * 5_000, "a " * 3000,
    "31/02/2024", "2024-02-30", "0000-00-00", "0001-01-01", "01/01/0001", "9999-12-31", "31/12/9999",
    "10000-01-01", "1/1/1",
    "a@b", "a@b.c", "x" * 300 + "@example.fr", "\u202eadmin@example.fr",
    "2850733063001", "2A50733063001", "1850733063002", "06.12.34.56.78", "+33612345678",
    "true", "false", "on", "null", "None", "undefined",
]
NASTY_INJECTIONS = ["\x00", "\r\n", "\u202e", "\u0301", "%00", "'", "<", "\\", "\ud7ff", "\x08"]
FIELD_NAME_EXTRAS = ["next", "page", "q", "champ", "recherche", "tri", "ordre", "statut", "action", "annuler",
                     "precedent", "ecrire", "masquees", "rechercher", "changer-pays", "afficher-questions",
                     "pieces_jointes", "pieces_jointes-lot", "pieces_jointes-ajouter", "pieces_jointes-retirer",
                     "submission_token", "ferme"]
FILENAMES = ["ordonnance.pdf", "a\x00.pdf", "\u202egpj.pdf", "../../etc/passwd.pdf", "x" * 300 + ".pdf",
             "photo.PNG", "script.exe", ".pdf", "sans-extension", "é\u0301.jpg", "a\r\nb.pdf"]
CONTENTS = [PDF, b"", b"\x00" * 64, b"MZ\x90\x00", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04" + b"\x00" * 30,
            "é;à\n".encode() * 10]
HX_HEADERS = ["HX-Boosted", "HX-Target", "HX-Trigger", "HX-Trigger-Name", "HX-Current-URL",
              "HX-History-Restore-Request", "HX-Prompt"]

# Characters slipped into an otherwise plausible value.
NASTY_CHARACTERS = ["\x00", "\x08", "\r\n", "\t", "\u202e", "\u200b", "\ufeff", "\u0301", "²", "٣", "①", "１", "𝟗",
                    "'", "\"", "<", ">", "%", "_", "\\", "/", "..", " ", "😀", "9" * 5000, "x" * 5000]
# Plausible values by field name (then by type), so that the other fields of a form pass and the
# nasty one reaches the code behind the validation.
PLAUSIBLE_BY_NAME = [
    (r"nir|identifiant", ["1850733063001", "2850733063001", "185072B063001"]),
    (r"mail", ["fuzz@example.fr", "Fuzz.Test@Example.FR"]),
    (r"password|mot_de_passe|mdp", ["Motdepasse-1", "Nouveau-Motdepasse-2"]),
    (r"date|naissance", ["14/07/1985", "01/01/2020", "31/12/2030"]),
    (r"phone|mobile|telephone|tel", ["06.12.34.56.78", "0612345678"]),
    (r"code|jeton|token", ["123456", "000000"]),
    (r"body|comment|answer|message|texte|reponse|motif", ["Bonjour, voici un message de test assez long."]),
    (r"name|nom|prenom", ["Dupont", "Jean-Édouard"]),
    (r"commune|ville|city", ["Bordeaux", "33000"]),
    (r"recherche|search|^q$", ["DUPONT", "2633100001", "Mar"]),
]
PLAUSIBLE_BY_TYPE = {"number": ["1", "10"], "date": ["2026-01-01"], "email": ["fuzz@example.fr"],
                     "checkbox": ["y", "on"], "textarea": ["Bonjour, voici un message de test assez long."]}

nasty_text = st.one_of(
    st.sampled_from(NASTY),
    st.tuples(st.sampled_from(["DUPONT", "Jean", "12", "2026", "sante", "1"]), st.sampled_from(NASTY_INJECTIONS))
    .map("".join),
    st.text(max_size=30),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str),
)


def plausible_values(fields, name):
    """Real values the page offered (non-empty first), else values that look right for the field."""
    real = sorted(v for v in fields.values.get(name, ()) if v)
    if real:
        return real
    for pattern, values in PLAUSIBLE_BY_NAME:
        if re.search(pattern, name, re.IGNORECASE):
            return values
    return PLAUSIBLE_BY_TYPE.get(fields.types.get(name), ["Dupont"])


def _mutate(args):
    value, position, character, how = args
    position = position % (len(value) + 1)
    if how == "replace" and value:
        position = min(position, len(value) - 1)
        return value[:position] + character + value[position + 1:]
    if how == "append":
        return value + character
    return value[:position] + character + value[position:]


def bad_value(plausible):
    """A nasty value, or a plausible one with a nasty character slipped in."""
    mutated = st.tuples(st.sampled_from(plausible), st.integers(0, 40), st.sampled_from(NASTY_CHARACTERS),
                        st.sampled_from(["replace", "insert", "append"])).map(_mutate)
    return st.one_of(mutated, nasty_text)


def value_strategy(real_values):
    """A real value of the field (so the fuzz gets past the first check) or a nasty one."""
    if real_values:
        return st.one_of(st.sampled_from(sorted(real_values)), nasty_text)
    return nasty_text


def path_strategy(kind, valid):
    valid = list(valid)
    if kind == "int":
        ints = st.one_of(st.sampled_from(HUGE_INTS), st.integers(min_value=-5, max_value=50),
                         st.integers(min_value=0, max_value=2 ** 80))
        return st.one_of(st.sampled_from(valid), ints, nasty_text) if valid else st.one_of(ints, nasty_text)
    return st.one_of(st.sampled_from(valid), nasty_text) if valid else nasty_text


@st.composite
def random_fields(draw, fields, extras):
    """[(name, value)]: most of the real names with real or nasty values, a random extra name now
    and then, sometimes a name given several values (a list)."""
    pairs = []
    names = [name for name in sorted(fields.names) if draw(st.integers(0, 3))]
    names += draw(st.lists(st.one_of(st.sampled_from(extras), st.text(max_size=12)), max_size=2))
    for name in names:
        values = st.lists(value_strategy(fields.values.get(name)), min_size=1,
                          max_size=draw(st.sampled_from([1, 1, 1, 3])))
        pairs += [(name, value) for value in draw(values)]
    return pairs


@st.composite
def one_bad_field(draw, fields, extras):
    """Every field of the form with a plausible value, except one that is nasty (or repeated, or
    missing): what gets past the form's first checks and into the code behind them."""
    names = sorted(fields.names)
    if not names:
        return draw(random_fields(fields, extras))
    bad = draw(st.sampled_from(names))
    pairs = []
    for name in names:
        plausible = plausible_values(fields, name)
        if name != bad:
            if fields.types.get(name) not in ("submit", "checkbox", "radio") or draw(st.booleans()):
                pairs.append((name, draw(st.sampled_from(plausible))))
            continue
        how = draw(st.sampled_from(["bad", "bad", "bad", "list", "missing"]))
        if how == "bad":
            pairs.append((name, draw(bad_value(plausible))))
        elif how == "list":
            values = st.lists(st.one_of(st.sampled_from(plausible), bad_value(plausible)), min_size=2, max_size=3)
            pairs += [(name, value) for value in draw(values)]
    return pairs


def fields_strategy(fields, extras):
    return st.one_of(one_bad_field(fields, extras), one_bad_field(fields, extras), random_fields(fields, extras))


@st.composite
def headers_strategy(draw):
    headers = {}
    if draw(st.integers(0, 2)) == 0:
        headers["HX-Request"] = "true"
        for name in draw(st.lists(st.sampled_from(HX_HEADERS), max_size=2, unique=True)):
            headers[name] = draw(st.one_of(st.just("true"), nasty_text))
    if draw(st.integers(0, 5)) == 0:
        headers["Referer"] = "http://guichet.test/partenaires/demandes?" + draw(nasty_text)
    return headers


class Empty:
    """The fields of a route whose form no page showed."""
    names = files = frozenset()
    values = types = MappingProxyType({})


def request_strategy(fuzz, role, csrf=False):
    catalog = fuzz.crawl(role)
    reachable = [t for t in fuzz.targets if t.endpoint in fuzz.reachable[role]]
    # Mostly what the role may use (elsewhere it only meets the access check), the rest too.
    targets = st.one_of(st.sampled_from(reachable), st.sampled_from(reachable), st.sampled_from(reachable),
                        st.sampled_from(fuzz.targets))

    @st.composite
    def build(draw):
        target = draw(targets)
        path_values = {name: draw(path_strategy(kind, fuzz.world.pools.get(name, ())))
                       for name, kind in target.args}
        query_fields = catalog.entries.get((target.endpoint, "QUERY"), Empty)
        req = FuzzRequest(target, path_values, query=draw(fields_strategy(query_fields, FIELD_NAME_EXTRAS)),
                          headers=draw(headers_strategy()))
        if target.method == "POST":
            form_fields = catalog.entries.get((target.endpoint, "POST"), Empty)
            req.form = draw(fields_strategy(form_fields, FIELD_NAME_EXTRAS))
            if form_fields.files and draw(st.booleans()):
                req.files = draw(st.lists(st.tuples(st.sampled_from(sorted(form_fields.files)),
                                                    st.sampled_from(FILENAMES), st.sampled_from(CONTENTS)),
                                          min_size=1, max_size=2))
            if csrf:
                req.csrf = draw(st.sampled_from(["valid", "valid", "valid", "missing", "forged"]))
        return req

    return build()


def run_hypothesis(fuzz, role, examples, csrf=False):
    @seed(zlib.crc32(f"{fuzz.database}:{role}:{csrf}".encode()))
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(request_strategy(fuzz, role, csrf))
    def run(req):
        status, failure = fuzz.send(role, req)
        assert status < 500, failure

    run()


# --- The sweep: every route, every role, a fixed list of payloads ------------------------------------

# (integer arguments, other arguments, field values, HX-Request): each payload sends its values in
# every path argument and every known field of the route at once ("valid": a real id or number;
# "real": a real value of each field, so that only the ids are wrong).
PAYLOADS = [
    ("valid", "valid", ["\x00"], False),                                         # NUL in every field
    (2 ** 31, "valid", "real", True),                                            # ids just above PostgreSQL's integer
    (99999999999999999999, "9" * 5000, ["99999999999999999999", "9" * 5000], False),  # numbers too big (a list)
    ("valid", "\u202e\x00/%09/evil.example", ["\u202eDUPONT\u200b\u0301", "😀", "²", "x" * 10_000], True),
    (-1, "' OR '1'='1", ["' OR '1'='1", "<script>alert(1)</script>", ""], False),
]
# Where the role only meets the access check, the payloads that act before it are enough.
PAYLOADS_BEFORE_ACCESS_CHECK = PAYLOADS[:2]


def sweep_request(fuzz, catalog, target, payload):
    int_value, other_value, values, hx = payload
    path_values = {}
    for name, kind in target.args:
        value = int_value if kind == "int" else other_value
        path_values[name] = fuzz.world.pools.get(name, ["x"])[0] if value == "valid" else value

    def pairs(fields):
        result = []
        for name in sorted(fields.names | {"next", "page", "q"}):
            if values == "real":
                result.append((name, min(fields.values.get(name) or {"1"})))
            else:
                result += [(name, value) for value in values]
        return result

    req = FuzzRequest(target, path_values, headers={"HX-Request": "true"} if hx else {})
    req.query = pairs(catalog.entries.get((target.endpoint, "QUERY"), Empty))
    if target.method == "POST":
        form_fields = catalog.entries.get((target.endpoint, "POST"), Empty)
        req.form = pairs(form_fields)
        req.files = [(name, "\u202egpj.pdf" if hx else "a\x00.pdf", PDF) for name in sorted(form_fields.files)]
    return req


@pytest.mark.parametrize("role", ROLES)
def test_sweep_every_route_with_nasty_payloads(fuzz, role):
    catalog = fuzz.crawl(role)
    failures = []
    for target in fuzz.targets:
        reachable = target.endpoint in fuzz.reachable[role]
        for payload in PAYLOADS if reachable else PAYLOADS_BEFORE_ACCESS_CHECK:
            _, failure = fuzz.send(role, sweep_request(fuzz, catalog, target, payload))
            if failure:
                failures.append(failure)
    assert not failures, f"{len(failures)} réponse(s) 5xx :\n\n" + "\n\n".join(failures[:20])
    if role != "anonymous":
        assert fuzz.still_logged_in(role), f"{role} n’est plus connecté : le fuzz ne l’a pas joué jusqu’au bout"


@pytest.mark.parametrize("role", ROLES)
def test_generated_requests_never_give_a_server_error(fuzz, role):
    run_hypothesis(fuzz, role, EXAMPLES_PER_ROLE)
    if role != "anonymous":
        assert fuzz.still_logged_in(role)


@pytest.mark.parametrize("role", CSRF_ROLES)
def test_generated_requests_with_csrf_on(fuzz, csrf_on, role):
    run_hypothesis(fuzz, role, CSRF_EXAMPLES_PER_ROLE, csrf=True)
    if role != "anonymous":
        assert fuzz.still_logged_in(role)


def test_the_fuzz_reaches_every_route_and_knows_the_forms(fuzz):
    """The harness itself: every rule is a target, and the forms were learnt from the pages (a
    fuzz that sent no real field name would prove little)."""
    rules = {rule.rule for rule in fuzz.app.url_map.iter_rules()}
    assert {t.rule for t in fuzz.targets} == rules
    posts = {t.endpoint for t in fuzz.targets if t.method == "POST"}
    known = {endpoint for role in ROLES for (endpoint, method) in fuzz.crawl(role).entries if method == "POST"}
    assert {"auth.login", "partenaires.new_request", "agent.partner_resolve", "msa.messages_new",
            "components.attachments_add"} <= known
    assert len(known & posts) >= len(posts) * 2 // 3, sorted(posts - known)
