"""MSA messaging figures of the benchmark: the demo member's session (login by NIR through the real
form), the cascade fragments htmx asks for, and the « Récapitulatif » answered to the writing
step's POST (issue 4, quality.md §2 « a message recap »).

Used by bench/run.py. Checks every answer before anything is measured: a benchmark of an error
page, a redirect or a CSRF refusal would give figures that mean nothing."""
import http.client
import re
import urllib.parse

from partenaires import Session, csrf_token, multipart

MEMBER_NIR = "2850733063123"          # core/demo_msa.py: Élise FONTAINE, MSA Gironde
MEMBER_LABEL = "adhérente MSA"
PASSWORD = "Guichet-Demo-2026"
LOGIN = "/msa/connexion"
NEW = "/msa/messages/nouveau"
HTMX_TARGET = "msg-etapes"            # hx-target of the cascade's form and links (templates/msa/messages/new.html)

# « Famille, logement » › « Allocations familiales » (8 reasons, the longest list of the catalogue)
# › « Mon dossier - Famille », a reason without an online service: the writing step comes at once
# and its POST answers the recap.
THEME, SUBJECT, REASON = "famille-logement", "allocations-familiales", "dossier"
REASON_WITH_SERVICE = "changement-situation"   # « Changement de situation - Famille »: suggests a service


def cascade_url(*codes):
    """The URL htmx requests when the cascade's GET form is sent: its hidden inputs (the codes
    already chosen) then the select, in the form's order (core/cascade.py, components/cascade.html)."""
    fields = ("theme", "subject", "reason")
    return NEW + "?" + urllib.parse.urlencode(list(zip(fields, codes))) if codes else NEW


SUBJECTS = cascade_url(THEME)                      # theme chosen: the subjects are offered
REASONS = cascade_url(THEME, SUBJECT)              # subject chosen: the reasons are offered
WRITING = cascade_url(THEME, SUBJECT, REASON)      # reason chosen: the writing step
SERVICE = cascade_url(THEME, SUBJECT, REASON_WITH_SERVICE)   # reason with an online service: the suggestion

# What a member would type (≈ 420 characters, accents, apostrophes, two line breaks). Browsers send
# a textarea's line breaks as CRLF.
MESSAGE = ("Bonjour,\r\n"
           "je vous écris au sujet de mon dossier d’allocations familiales. Depuis la naissance de notre "
           "deuxième enfant, le 12 février, je n’ai reçu aucun courrier et le montant versé en mars n’a pas "
           "changé. Pourriez-vous vérifier que l’acte de naissance transmis par la mairie a bien été "
           "enregistré, et me dire si une pièce manque à mon dossier ? Je reste joignable par téléphone "
           "le matin.\r\n"
           "Merci d’avance, Élise Fontaine")
MESSAGE_CHARS = len(MESSAGE.replace("\r\n", "\n"))     # as the form's counter counts them
RECAP = "/msa/messages/recapitulatif"              # the recap page « Valider » redirects to (PRG)
RECAP_HEADING = "Récapitulatif de ma demande"       # <h1> of templates/msa/messages/summary.html
MESSAGE_SAMPLE = "je vous écris au sujet de mon dossier"   # shown by the recap (nothing to escape)


def htmx_headers(base, current_path):
    """What htmx 2 sends with the cascade's hx-get (the form has no id, so no HX-Trigger)."""
    return {"HX-Request": "true", "HX-Target": HTMX_TARGET, "HX-Current-URL": base + current_path}


class MemberSession:
    """The logged-in member, and what the load generators replay.

    `cascade_cookie`: the session cookie as it is while the member goes through the cascade
    (logged in, CSRF token in the session, no draft yet). `recap_cookie`: the cookie after one
    recap POST, which carries the draft the view saves (save_draft) as well as the CSRF token the
    writing step rendered; replaying it with the same body gives the same recap every time
    (WTF_CSRF_TIME_LIMIT is None: the token lives as long as the session)."""

    def __init__(self, session):
        self.session = session
        self.base = session.base
        self.cascade_cookie = None
        self.recap_cookie = None
        self.recap_body = None
        self.recap_content_type = None
        self.recap_fields = None
        self.recap_bytes = None

    def fragment_headers(self, current_path):
        return {"Cookie": self.cascade_cookie, **htmx_headers(self.base, current_path)}

    @property
    def recap_headers(self):
        return {"Cookie": self.recap_cookie, "Content-Type": self.recap_content_type}


def replay(base, method, path, headers, body=None):
    """One request with exactly these headers (no cookie jar): what the load generators send."""
    host, port = base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _text(body):
    return body.decode("utf-8", "replace")


def _gist(body):
    """What a failed answer says, in short: its title and first error message, else its start."""
    html = _text(body)
    found = [re.sub(r"<[^>]+>|\s+", " ", m.group(1)).strip() for m in
             (re.search(r"<title>(.*?)</title>", html, re.S), re.search(r'class="error-summary".*?<li>(.*?)</li>', html, re.S),
              re.search(r'class="error-message"[^>]*>(.*?)</p>', html, re.S)) if m]
    return " ; ".join(found) if found else repr(html[:200])


def _check_fragment(session, path, current_path, must_contain, what):
    status, body, _ = session.get(path, htmx_headers(session.base, current_path))
    html = _text(body)
    if status != 200 or "<html" in html.lower() or not re.search(must_contain, html):
        raise RuntimeError(f"{what} ({path}, HX-Request): status {status}, {len(body)} bytes, "
                           f"{'whole page' if '<html' in html.lower() else 'no ' + must_contain!r}: {_gist(body)}")
    return body


def check_recap(status, body):
    """The recap page (GET after « Valider ») must show the message, nothing else."""
    html = _text(body)
    problems = []
    if status != 200:
        problems.append(f"status {status}")
    if f"<h1>{RECAP_HEADING}</h1>" not in html or 'id="msg-recapitulatif"' not in html:
        problems.append(f"no « {RECAP_HEADING} » heading")
    if MESSAGE_SAMPLE not in html:
        problems.append("the message is not in the recap")
    if problems:
        raise RuntimeError(f"GET {RECAP} is not the recap ({', '.join(problems)}): {_gist(body)}")


def member_session(base, nir=MEMBER_NIR):
    """The demo member logged in by NIR through the real form, the cascade fragments checked, and
    the recap POST built as a browser sends it, checked twice (once through the cookie jar, once
    replaying the fixed cookie as the load generators do)."""
    s = Session(base)
    status, body, _ = s.get(LOGIN)
    if status != 200:
        raise RuntimeError(f"{LOGIN} answered {status}")
    status, answer, headers = s.post_form(LOGIN, {"csrf_token": csrf_token(body), "nir": nir, "password": PASSWORD})
    if status != 302:
        raise RuntimeError(f"MSA login by NIR answered {status} (expected 302): {_gist(answer)}")
    member = MemberSession(s)

    # The new-message page as a browser first loads it; then each step as htmx asks for it.
    status, body, _ = s.get(NEW)
    if status != 200 or 'id="msg-objet-theme"' not in _text(body):
        raise RuntimeError(f"{NEW} answered {status} without the theme list")
    _check_fragment(s, SUBJECTS, NEW, r'id="msg-objet-subject"', "subjects")
    reasons = _check_fragment(s, REASONS, SUBJECTS, r'id="msg-objet-reason"', "reasons")
    if len(re.findall(rb"<option ", reasons)) < 5:
        raise RuntimeError(f"{REASONS} offers fewer reasons than expected")
    _check_fragment(s, SERVICE, REASONS, r'id="msg-service"', "online-service suggestion")
    writing = _check_fragment(s, WRITING, REASONS, r'<textarea[^>]*name="body"', "writing step")
    member.cascade_cookie = s.cookie_header
    for path, current, marker in ((REASONS, SUBJECTS, 'id="msg-objet-reason"'), (WRITING, REASONS, 'name="body"')):
        status, answer = replay(base, "GET", path, member.fragment_headers(current))
        if status != 200 or marker not in _text(answer) or b"<html" in answer:
            raise RuntimeError(f"{path} replayed with the session cookie answered {status}: {_gist(answer)}")

    # The writing form posts (multipart/form-data, as its enctype says) in document order: the CSRF
    # token, the cascade's hidden codes, the text, the signed attachment set and the empty file
    # input; the « Valider » buttons have no name.
    lot = re.search(rb'name="pieces_jointes-lot" value="([^"]+)"', writing)
    if not lot:
        raise RuntimeError("the writing step has no attachment set token (pieces_jointes-lot)")
    fields = [("csrf_token", csrf_token(writing)), ("theme", THEME), ("subject", SUBJECT), ("reason", REASON),
              ("body", MESSAGE), ("pieces_jointes-lot", lot.group(1).decode())]
    for name, _ in fields:
        if f'name="{name}"'.encode() not in writing:
            raise RuntimeError(f"the writing step has no field {name!r}")
    body, content_type = multipart(fields, [("pieces_jointes", "", "application/octet-stream", b"")])
    member.recap_fields, member.recap_body, member.recap_content_type = fields, body, content_type

    # « Valider » through the jar: the draft is saved server-side and the answer redirects to the
    # recap page (post/redirect/get); that page, replayed with the fixed cookie, is what is measured.
    status, answer, headers = s.get(NEW, {"Content-Type": content_type}, body)
    if status != 303 or not (headers.get("Location") or "").endswith(RECAP):
        raise RuntimeError(f"POST {NEW} answered {status} (expected 303 to {RECAP}): {_gist(answer)}")
    status, answer, _ = s.get(RECAP)
    check_recap(status, answer)
    member.recap_cookie = s.cookie_header
    for _ in range(2):
        status, answer = replay(base, "GET", RECAP, member.recap_headers)
        check_recap(status, answer)
    member.recap_bytes = len(answer)
    return member


def check_still_valid(member):
    """After the measure: the replayed cookies must still give the reasons and the recap. wrk counts
    only 4xx/5xx as errors, so a session that expired meanwhile (idle timeout, 30 minutes) would
    have been measured as fast redirects to the login page."""
    status, answer = replay(member.base, "GET", REASONS, member.fragment_headers(SUBJECTS))
    if status != 200 or 'id="msg-objet-reason"' not in _text(answer):
        raise RuntimeError(f"after the measure, {REASONS} answered {status}: the figures are not the fragment's")
    status, answer = replay(member.base, "GET", RECAP, member.recap_headers)
    check_recap(status, answer)
