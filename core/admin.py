"""Setting up a real deployment without demo data: the first administrator, organisations,
partner structures, agents (and partner managers) invited by email, and the import of organisations
and conventions from a CSV file. Used by the `flask admin|organisation|structure|agent|import`
commands (core.cli) and by the administrator's screens.

Each function works in the caller's transaction (the caller commits) and raises `SetupRefused`,
with an English message for the operator, when what is asked cannot be done."""
from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app, has_request_context

from core import audit, csv_import, portals
from core.notify import notify
from core.urls import public_url
from extensions import db
from forms.fields import PASSWORD_MAX, password_problems
from models import AuthToken, Convention, Organisation, Role, Structure, TokenPurpose, User, UserSession
from models.base import utcnow
from models.partenaires import PartnerSettings

PARTENAIRES = "partenaires"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Request numbers carry the organisation's code on three digits (models.partenaires.format_number).
PARTENAIRES_CODE = re.compile(r"^\d{1,3}$")
CODE = re.compile(r"^[A-Za-z0-9_-]{1,10}$")
NAME_MAX = 120
PERSON_NAME_MAX = 80


class SetupRefused(Exception):
    """What was asked cannot be done (English, for the operator); nothing was changed."""


# --- Checks ---------------------------------------------------------------------------------------

def check_password(password: str) -> None:
    """The password rule of every account (forms.fields.password_problems), told in English."""
    problems = password_problems(password)
    if problems:
        english = [PASSWORD_PROBLEMS_EN.get(p, f"at most {PASSWORD_MAX} characters") for p in problems]
        raise SetupRefused("The password is too weak: it needs " + ", ".join(english) + ".")


PASSWORD_PROBLEMS_EN = {"au moins 8 caractères": "at least 8 characters", "une majuscule": "an uppercase letter",
                        "une minuscule": "a lowercase letter", "un chiffre": "a digit",
                        "un caractère spécial": "a special character"}


def check_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL.match(email) or len(email) > 254:
        raise SetupRefused(f"Not an email address: {email!r}.")
    if User.query.filter_by(email=email).first() is not None:
        raise SetupRefused(f"An account with the address {email} already exists.")
    return email


def _person_name(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > PERSON_NAME_MAX:
        raise SetupRefused(f"Give a {what} of 1 to {PERSON_NAME_MAX} characters.")
    return value


def check_portal(portal: str) -> str:
    portal = (portal or "").strip().lower()
    if portals.get(portal) is None or portal == "agent":
        known = ", ".join(code for code in portals.REGISTRY if code != "agent")
        raise SetupRefused(f"Unknown portal {portal!r}: one of {known}.")
    return portal


def check_code(portal: str, code: str) -> str:
    code = (code or "").strip()
    if portal == PARTENAIRES:
        if not PARTENAIRES_CODE.match(code):
            raise SetupRefused(f"An Espace Partenaires organisation code is 1 to 3 digits (e.g. 331), not {code!r}.")
    elif not CODE.match(code):
        raise SetupRefused(f"An organisation code is 1 to 10 letters, digits, '-' or '_', not {code!r}.")
    return code


def check_name(name: str, what: str = "name") -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX:
        raise SetupRefused(f"Give a {what} of 1 to {NAME_MAX} characters.")
    return name


# --- Accounts -------------------------------------------------------------------------------------

def create_admin(email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """An active administrator who logs in with this password."""
    email = check_email(email)
    check_password(password)
    user = User(email=email, role=Role.ADMIN.value, password=password, first_name=(first_name or "").strip(),
                last_name=(last_name or "").strip())
    db.session.add(user)
    db.session.flush()
    audit.record(None, "admin_created", user, via="cli")
    return user


def invite(user: User) -> None:
    """Mail the activation link with which an account created by the administrator chooses its
    password (the same link and page as a technician invited by their manager)."""
    hours = current_app.config["TOKEN_VALIDITY_HOURS"]
    for old in AuthToken.query.filter_by(user_id=user.id, purpose=TokenPurpose.ACCOUNT_ACTIVATION.value,
                                         used_at=None):
        old.used_at = utcnow()  # only the newest link works
    _, raw = AuthToken.issue(user, TokenPurpose.ACCOUNT_ACTIVATION, hours)
    where = user.organisation.name if user.organisation is not None else (
        user.structure.name if user.structure is not None else "")
    with _url_context():
        notify(user.email, "account_invitation", "Guichet : activez votre compte", user=user,
               role=user.role_enum.label, where=where, hours=hours,
               link=public_url("auth.activate_link", token=raw))


def _url_context() -> AbstractContextManager[object]:
    """Outside a request (the CLI, without SERVER_NAME in production), a request context on
    PUBLIC_URL lets the mail's links be built; inside one, nothing to do. Its path matches no
    route: it is no request of a page (core.outbox checks that pages sending mail are throttled)."""
    if has_request_context():
        return nullcontext()
    return current_app.test_request_context("/.command-line", base_url=current_app.config["PUBLIC_URL"])


def _invite_account(email: str, first_name: str, last_name: str, role: Role, action: str, actor: User | None,
                    **place: Organisation | Structure) -> User:
    """A new account of `role`, inactive until its owner follows the activation link mailed to
    them; `place` is where it works (organisation= or structure=), `action` its audit record."""
    email = check_email(email)
    user = User(email=email, role=role.value, active=False, first_name=_person_name(first_name, "first name"),
                last_name=_person_name(last_name, "last name"), **place)
    db.session.add(user)
    db.session.flush()
    invite(user)
    audit.record(actor, action, user, **{f"{name}_id": value.id for name, value in place.items()})
    return user


def create_agent(email: str, first_name: str, last_name: str, organisation: Organisation,
                 actor: User | None = None) -> User:
    """An agent of `organisation`, inactive until they follow the activation link mailed to them."""
    return _invite_account(email, first_name, last_name, Role.AGENT, "agent_created", actor,
                           organisation=organisation)


def create_partner_manager(email: str, first_name: str, last_name: str, structure: Structure,
                           actor: User | None = None) -> User:
    """The partner manager of `structure` (who then creates its technicians), invited by email."""
    return _invite_account(email, first_name, last_name, Role.PARTNER_MANAGER, "partner_manager_created", actor,
                           structure=structure)


# --- Deactivation -----------------------------------------------------------------------------------

ACTIVE, PENDING, DEACTIVATED = "active", "pending", "deactivated"


def _unused_activation_links(user: User) -> list[AuthToken]:
    return AuthToken.query.filter_by(user_id=user.id, purpose=TokenPurpose.ACCOUNT_ACTIVATION.value,
                                     used_at=None).all()


def account_state(user: User) -> str:
    """ACTIVE, PENDING (invited, the activation link not used yet) or DEACTIVATED."""
    if user.active:
        return ACTIVE
    return PENDING if _unused_activation_links(user) else DEACTIVATED


def deactivate_account(user: User, actor: User | None = None) -> None:
    """The account can no longer log in: its sessions end and its activation links stop working."""
    if account_state(user) == DEACTIVATED:
        raise SetupRefused(f"The account {user.email} is already deactivated.")
    user.active = False
    for token in _unused_activation_links(user):
        token.used_at = utcnow()  # the link would activate it again
    UserSession.query.filter_by(user_id=user.id).delete()
    audit.record(actor, "account_deactivated", user)


def reactivate_account(user: User, actor: User | None = None) -> bool:
    """A deactivated account may log in again (True); one that was never activated (no password
    yet) gets a new activation link by email instead (False)."""
    if account_state(user) != DEACTIVATED:
        raise SetupRefused(f"The account {user.email} is not deactivated.")
    if user.password_hash:
        user.active = True
    else:
        invite(user)
    audit.record(actor, "account_reactivated", user, invited=not user.active)
    return user.active


# --- Organisations and structures -----------------------------------------------------------------

def find_organisation(code: str, portal: str | None = None) -> Organisation:
    query = Organisation.query.filter_by(code=(code or "").strip())
    if portal:
        query = query.filter_by(portal=check_portal(portal))
    found = query.all()
    if not found:
        raise SetupRefused(f"No organisation with the code {code!r}" + (f" on {portal}." if portal else "."))
    if len(found) > 1:
        raise SetupRefused(f"Several organisations have the code {code!r}: give the portal too "
                           f"({', '.join(o.portal for o in found)}).")
    return found[0]


def create_organisation(portal: str, code: str, name: str, actor: User | None = None) -> Organisation:
    """A new organisation. On Espace Partenaires it offers every service of the catalogue until an
    administrator or its agents change its settings (/agent/partenaires/organismes)."""
    portal = check_portal(portal)
    code = check_code(portal, code)
    name = check_name(name)
    if Organisation.query.filter_by(portal=portal, code=code).first() is not None:
        raise SetupRefused(f"The organisation {code} already exists on {portal}.")
    org = Organisation(portal=portal, code=code, name=name)
    db.session.add(org)
    if portal == PARTENAIRES:
        db.session.add(PartnerSettings.with_everything(org))
    db.session.flush()
    audit.record(actor, "organisation_created", org, portal=portal, code=code)
    return org


def create_structure(name: str, max_active_technicians: int = 10, actor: User | None = None) -> Structure:
    name = check_name(name, "structure name")
    if Structure.query.filter_by(name=name).first() is not None:
        raise SetupRefused(f"The structure {name!r} already exists.")
    if not 1 <= max_active_technicians <= 10_000:
        raise SetupRefused("The maximum of active technicians is between 1 and 10000.")
    structure = Structure(name=name, max_active_technicians=max_active_technicians)
    db.session.add(structure)
    db.session.flush()
    audit.record(actor, "structure_created", structure)
    return structure


# --- Import of organisations and conventions ------------------------------------------------------

CSV_COLUMNS = ("organisation_code", "organisation_name", "portal", "structure_name", "start_date", "end_date")


@dataclass
class ImportReport(csv_import.ImportReport):
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0


def _date(value: str, column: str, required: bool) -> date | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise SetupRefused(f"{column}: missing (DD/MM/YYYY)")
        return None
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise SetupRefused(f"{column}: {value!r} is not a date DD/MM/YYYY") from None


def import_conventions(data: bytes) -> ImportReport:
    """Import a CSV (UTF-8, `;`-separated, header line CSV_COLUMNS): each line an organisation,
    and with a structure name a convention between that structure and that (Espace Partenaires)
    organisation from start_date to end_date (empty: no end). Missing organisations and structures
    are created; an existing convention gets the file's dates. All or nothing: with any bad line,
    the caller rolls back and every bad line is in `errors`. Importing the same file twice
    changes nothing the second time."""
    report = ImportReport()
    seen_orgs: dict[tuple[str, str], tuple[int, str]] = {}
    seen_conventions: dict[tuple[str, str, str], int] = {}
    for number, line in csv_import.csv_lines(data, CSV_COLUMNS, report):
        try:
            _import_line(line, number, report, seen_orgs, seen_conventions)
        except SetupRefused as refusal:
            report.errors.append((number, str(refusal)))
    if report.errors:
        report.created.clear()
        report.updated.clear()
    return report


def _import_line(line: dict[str, str], number: int, report: ImportReport,
                 seen_orgs: dict[tuple[str, str], tuple[int, str]],
                 seen_conventions: dict[tuple[str, str, str], int]) -> None:
    portal = check_portal(line["portal"])
    code = check_code(portal, line["organisation_code"])
    name = check_name(line["organisation_name"], "organisation_name")
    structure_name = " ".join(line["structure_name"].split())
    start = _date(line["start_date"], "start_date", required=bool(structure_name))
    end = _date(line["end_date"], "end_date", required=False)
    if structure_name:
        check_name(structure_name, "structure_name")
        if portal != PARTENAIRES:
            raise SetupRefused(f"conventions are for the {PARTENAIRES} portal only, not {portal}")
        if end is not None and end < start:
            raise SetupRefused("end_date is before start_date")
    elif start or end:
        raise SetupRefused("dates without a structure_name")

    earlier = seen_orgs.get((portal, code))
    if earlier is not None and earlier[1] != name:
        raise SetupRefused(f"organisation {code} is named {earlier[1]!r} on line {earlier[0]}")
    seen_orgs.setdefault((portal, code), (number, name))
    org = Organisation.query.filter_by(portal=portal, code=code).first()
    if org is None:
        org = create_organisation(portal, code, name)
        report.created.append(f"organisation {portal}:{code} {name}")
    elif org.name != name:
        raise SetupRefused(f"organisation {portal}:{code} already exists named {org.name!r}")
    elif not structure_name:
        report.unchanged += 1
    if not structure_name:
        return

    key = (portal, code, structure_name)
    if key in seen_conventions:
        raise SetupRefused(f"same organisation and structure as line {seen_conventions[key]}")
    seen_conventions[key] = number
    structure = Structure.query.filter_by(name=structure_name).first()
    if structure is None:
        structure = create_structure(structure_name)
        report.created.append(f"structure {structure_name}")
    convention = Convention.query.filter_by(structure_id=structure.id, organisation_id=org.id).first()
    label = f"convention {structure_name} – {org.name} ({start:%d/%m/%Y}–{end:%d/%m/%Y})" if end else \
        f"convention {structure_name} – {org.name} (from {start:%d/%m/%Y})"
    if convention is None:
        convention = Convention(structure=structure, organisation=org, start_date=start, end_date=end)
        db.session.add(convention)
        db.session.flush()
        audit.record(None, "convention_created", convention, via="import")
        report.created.append(label)
    elif (convention.start_date, convention.end_date) != (start, end):
        convention.start_date, convention.end_date = start, end
        audit.record(None, "convention_updated", convention, via="import")
        report.updated.append(label)
    else:
        report.unchanged += 1
