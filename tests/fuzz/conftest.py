"""Fixtures of the fuzz suite: one app per database for the whole module (SQLite, and PostgreSQL
when TEST_DATABASE_URL is set), its world of real objects, and the `fuzz` harness."""
import pytest

from tests.conftest import _postgres_app, _sqlite_app, _teardown
from tests.fuzz.harness import REQUEST_COUNTS, STATUS_COUNTS, Fuzzer, build_world

LIMIT = 10 ** 6
# Throttles and mail quotas would answer 429 after a few tries (a 4xx, which is fine): raise them
# so that the fuzz reaches the code behind them.
FUZZ_CONFIG = {
    "THROTTLE_FREE_FAILURES": LIMIT,
    "THROTTLE_MAX_FAILURES_PER_DAY": LIMIT,
    "MSA_SIGNUP_EMAILS_PER_IP_PER_HOUR": LIMIT,
    "MAIL_QUOTA_PER_IP_PER_HOUR": LIMIT,
    "MAIL_QUOTA_PER_ADDRESS_PER_HOUR": LIMIT,
    "MAIL_QUOTA_PER_ACCOUNT_PER_HOUR": LIMIT,
}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzz(request, tmp_path_factory, template_db):
    tmp_path = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "sqlite":
        app = _sqlite_app(tmp_path, template_db, **FUZZ_CONFIG)
    else:
        app = _postgres_app(tmp_path, **FUZZ_CONFIG)
    fuzzer = Fuzzer(app, build_world(app), request.param)
    yield fuzzer
    fuzzer.close()
    _teardown(app)


@pytest.fixture
def csrf_on(fuzz):
    """CSRF protection on, as in production, for one test: tokens are fetched from the pages."""
    fuzz.app.config["WTF_CSRF_ENABLED"] = True
    fuzz.csrf_tokens.clear()
    yield
    fuzz.app.config["WTF_CSRF_ENABLED"] = False
    fuzz.csrf_tokens.clear()


def pytest_terminal_summary(terminalreporter):
    if REQUEST_COUNTS:
        counts = ", ".join(f"{database} : {n}" for database, n in REQUEST_COUNTS.items())
        statuses = ", ".join(f"{k} : {n}" for k, n in sorted(STATUS_COUNTS.items()))
        terminalreporter.write_line(f"Fuzz : {sum(REQUEST_COUNTS.values())} requêtes envoyées ({counts}) ; "
                                    f"réponses {statuses}")
