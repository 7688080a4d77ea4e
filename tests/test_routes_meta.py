"""Every route is either public by an explicit allowlist, or requires login (and a role); every
route that sends a mail is throttled."""
import ast
import inspect
import sys

import pytest

from core.access import check_access  # noqa: F401  (the mechanism under test)

# Endpoints reachable without login, each for a reason.
PUBLIC_ALLOWLIST = {
    "static",                       # CSS, JS, htmx
    "main.index", "main.accessibility", "main.favicon",
    "auth.login", "auth.logout", "auth.register",
    "auth.activate_link", "auth.activate",
    "auth.forgot_password", "auth.reset_link", "auth.reset_password",
    "auth.confirm_email_link", "auth.confirm_email",
    "components.commune_search",    # used by the sign-up form, before any account exists
    "components.bank_check",        # the IBAN check of the bank details component: no data read, quota per address
    "devmail.mailbox", "devmail.message",  # registered only when DEV_MAILBOX is on
    "partenaires.index", "msa.index", "armees.index", "apgis.index",
    "msa.login", "msa.signup", "msa.signup_code",  # MSA login by NIR and sign-up, before any account
    "msa.forgot_password",          # MSA « Mot de passe oublié »: same answer whether or not an account matches
    "msa.service_info",             # general information on how to use a service, no personal data
    "armees.benefits", "armees.benefit",  # the benefits catalogue and its detail sheets, public as the seed's
}


def endpoint_protection(app, endpoint):
    view = app.view_functions[endpoint]
    if getattr(view, "is_public", False) or endpoint == "static":
        return "public"
    if getattr(view, "required_roles", None):
        return "protected"
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    if blueprint is not None and getattr(blueprint, "required_roles", None):
        return "protected"
    return "unprotected"


def test_every_route_is_public_by_allowlist_or_protected(app):
    problems = []
    for rule in app.url_map.iter_rules():
        kind = endpoint_protection(app, rule.endpoint)
        if kind == "unprotected":
            problems.append(f"{rule.rule} ({rule.endpoint}) : ni public ni protégé")
        elif kind == "public" and rule.endpoint not in PUBLIC_ALLOWLIST:
            problems.append(f"{rule.rule} ({rule.endpoint}) : public mais absent de la liste autorisée")
    assert not problems, "\n".join(problems)


def test_protected_routes_redirect_anonymous_users(app):
    client = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if endpoint_protection(app, rule.endpoint) != "protected" or "GET" not in rule.methods:
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "x")
        response = client.get(url)
        assert response.status_code in (302, 401), f"{url} répond {response.status_code} à un anonyme"
        if response.status_code == 302:
            # MSA member pages send to the MSA login by NIR (blueprints/msa/context.py); others to /compte.
            login_path = "/msa/connexion" if rule.endpoint.startswith("msa.") else "/compte/connexion"
            assert login_path in response.headers["Location"], response.headers["Location"]
        checked += 1
    assert checked > 0


def test_no_get_route_changes_data_is_documented_by_methods(app):
    # Logout and every state change are POST-only.
    rules = {r.endpoint: r for r in app.url_map.iter_rules()}
    assert "GET" not in rules["auth.logout"].methods


@pytest.mark.parametrize("portals", ["msa", "partenaires,agent"])
def test_portals_setting_enables_only_listed_portals(tmp_path, template_db, portals):
    from tests.conftest import _sqlite_app
    app = _sqlite_app(tmp_path, template_db, PORTALS=portals)
    enabled = set(portals.split(","))
    for portal in ("partenaires", "msa", "armees", "apgis", "agent"):
        assert (portal in app.blueprints) == (portal in enabled)
    from tests.helpers import page
    soup = page(app.test_client(), "/")
    links = {a["href"] for a in soup.select(".cards a")}
    assert links == {f"/{p}/" for p in enabled}


def test_agent_area_is_reserved_to_agents(app, make_user, login):
    from tests.helpers import page
    make_user(email="citoyen@example.fr")
    with app.app_context():
        from extensions import db
        from tests import factories
        org = factories.organisation(name="CPAM TEST")
        factories.user(email="agent@example.fr", role="agent", organisation=org)
        db.session.commit()
    citizen = app.test_client()
    login(citizen, "citoyen@example.fr")
    assert page(citizen, "/agent/", status=403).h1.get_text() == "Accès refusé"
    agent = app.test_client()
    login(agent, "agent@example.fr")
    soup = page(agent, "/agent/")
    assert soup.select_one(".lead").get_text() == "Organisme : CPAM TEST"
    anonymous = app.test_client().get("/agent/")
    assert anonymous.status_code == 302


# --- Every route that sends a mail is throttled ------------------------------------------------

MAIL_CALLS = {"notify", "queue_email", "queue_sms"}
# What takes a throttle or a mail quota (core.throttle, core.sessions, blueprints.msa.quotas).
THROTTLE_CALLS = {"mail_quota_wait", "take", "take_quota", "attempt", "check_secret", "check_credentials",
                  "attempt_login", "notifies"}


def _called_names(function_node):
    names = set()
    for node in ast.walk(function_node):
        target = node.func if isinstance(node, ast.Call) else node if node in function_node.decorator_list else None
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, ast.Attribute):
            names.add(target.attr)
    return names


def _module_calls(module_name):
    """{function name: names it calls or is decorated with}, for the module's top-level functions.

    The portal's service module (imported as `service`) is followed: a view calling
    `service.resolve_request` calls what that function calls. And a workflow hook that mails
    (`WORKFLOW.on_enter("resolve", _resolved)` in the service module) counts as a mail sent by any
    function calling the transition's method (`req.resolve(…)`)."""
    module = sys.modules[module_name]
    tree = ast.parse(inspect.getsource(module))
    calls = {node.name: _called_names(node) for node in tree.body if isinstance(node, ast.FunctionDef)}
    # A kit page declared at module level (`DETAIL = DetailPage(…, answer=Answer(…, service.answer,
    # …))`): a function calling `DETAIL.answer_with_files(…)` calls what its `answer` names.
    answers = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            for keyword in node.value.keywords:
                if keyword.arg == "answer":
                    named = {n.attr for n in ast.walk(keyword.value) if isinstance(n, ast.Attribute)}
                    answers.update({t.id: named for t in node.targets if isinstance(t, ast.Name)})
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for call in ast.walk(node):
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                        and call.func.attr == "answer_with_files" and isinstance(call.func.value, ast.Name)):
                    calls[node.name] |= answers.get(call.func.value.id, set())
    service = getattr(module, "service", None)
    if service is not None and getattr(service, "__name__", "").endswith(".service") and service is not module:
        service_calls = _module_calls(service.__name__)
        for name, names in service_calls.items():
            calls.setdefault(name, names)
    hooks = [node.value for node in tree.body if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
             and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "on_enter"]
    for hook in hooks:
        transition, function = hook.args[0].value, hook.args[1].id
        if _reaches(function, MAIL_CALLS, calls):
            for name, names in calls.items():
                if name != function and transition in names:
                    names.add(function)
    return calls


def _reaches(name, targets, calls, seen=None):
    """Whether module function `name` calls one of `targets`, directly or through the module's
    own functions."""
    seen = seen if seen is not None else set()
    if name in seen or name not in calls:
        return False
    seen.add(name)
    return bool(calls[name] & targets) or any(_reaches(n, targets, calls, seen) for n in calls[name])


def mail_routes(app):
    """{endpoint: throttled?} of every route whose view may queue a mail or an SMS."""
    found = {}
    for endpoint, view in app.view_functions.items():
        original = inspect.unwrap(view)
        module = getattr(original, "__module__", "")
        if not module.startswith("blueprints."):
            continue
        calls = _module_calls(module)
        if _reaches(original.__name__, MAIL_CALLS, calls):
            found[endpoint] = _reaches(original.__name__, THROTTLE_CALLS, calls)
    return found


def test_every_route_that_sends_mail_is_throttled(app):
    routes = mail_routes(app)
    # The analysis finds the routes known to send mail (so it cannot pass by finding nothing).
    assert {"auth.register", "auth.forgot_password", "auth.reset_password", "auth.change_email",
            "msa.signup", "msa.signup_code", "msa.messages_send", "partenaires.technician_new",
            "agent.msa_answer", "agent.partner_take"} <= set(routes)
    unthrottled = sorted(endpoint for endpoint, throttled in routes.items() if not throttled)
    assert not unthrottled, f"routes qui envoient un courriel sans limite : {unthrottled}"


def test_a_mail_queued_without_throttle_is_refused(tmp_path, template_db):
    """The outbox's run-time guard: whatever the static analysis misses, a request that queues a
    mail without having taken a throttle or quota fails in tests (and is logged in production)."""
    from flask import g

    from core.access import public
    from core.outbox import UnthrottledMail, queue_email
    from core.throttle import mail_quota_wait
    from extensions import db
    from tests.conftest import _sqlite_app
    app = _sqlite_app(tmp_path, template_db)

    @public
    def unthrottled():
        queue_email("x@example.fr", "Sujet", "Corps")
        return "envoyé"

    @public
    def throttled():
        assert mail_quota_wait("x@example.fr") == 0 and g.guichet_throttled
        queue_email("x@example.fr", "Sujet", "Corps")
        db.session.commit()
        return "envoyé"
    app.add_url_rule("/essai-sans-limite", view_func=unthrottled)
    app.add_url_rule("/essai-avec-limite", view_func=throttled)
    raised = []
    app.logger.exception = lambda *a, **k: raised.append(sys.exc_info()[0])  # the 500 handler logs it
    assert app.test_client().get("/essai-sans-limite").status_code == 500
    assert raised == [UnthrottledMail]
    assert app.test_client().get("/essai-avec-limite").get_data(as_text=True) == "envoyé"
    with app.app_context():
        from models import OutboxMessage
        assert OutboxMessage.query.count() == 1  # the refused one was rolled back
