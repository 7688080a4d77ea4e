"""Espace Partenaires, agent side (spec partenaires.md §7): the organisation's queue of requests,
a request with « Prendre en charge » and « Résoudre », and the organisation's settings and
conventions with partner structures.

Requests are only ever loaded through a query scoped to the agent's organisation (never a
cancelled one): anything else is a 404. Settings are reachable by the agents of the organisation
and by administrators."""
import math
from dataclasses import dataclass

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import case, func
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from blueprints.agent import bp
from blueprints.partenaires import service
from core import audit
from core.database import begin_immediate
from core.inputs import to_id
from core.templating import render, wants_fragment
from core.throttle import notifies
from core.uploads import MB, AttachmentSet, attachments_of, register_policy
from extensions import db
from forms.agent_partenaires import (
    ConventionCreateForm,
    ConventionDeleteForm,
    ConventionEditForm,
    OrganisationSettingsForm,
    RequestResolveForm,
    RequestTakeForm,
)
from models import Attachment, Convention, Organisation, PartnerRequest, PartnerSettings, Status, Structure
from models.partenaires import ANSWER_FILES, REQUEST_FILES, REQUEST_WORKFLOW, IllegalTransition, Situation, catalogue

PORTAL = "partenaires"
ANSWER_POLICY = "partenaires_reponse"
REQUEST_TEMPLATE = "agent/partenaires/request.html"

register_policy(ANSWER_POLICY, max_count=catalogue()["attachments"]["max_count"],
                max_size=catalogue()["attachments"]["max_size_mb"] * MB,
                extensions=catalogue()["attachments"]["extensions"])


def partner_organisation():
    """The current agent's organisation when it runs Espace Partenaires; 403 for anyone else
    (administrators included: they have no queue of their own)."""
    org = current_user.organisation if current_user.has_role("agent") else None
    if org is None or org.portal != PORTAL:
        abort(403)
    return org


# --- Queue -------------------------------------------------------------------------------------

STATUS_FILTERS = {s.slug: s.label for s in REQUEST_WORKFLOW.states if s.listed}
PAGE_SIZES = (10, 25, 50)
DEFAULT_PAGE_SIZE = 10  # an htmx page of the list stays within the 5 KB fragment budget
SEARCH_MAX = 60
# Within the queue: what needs doing first, then oldest first.
STATUS_RANK = case({Status.NEW.value: 0, Status.TAKEN.value: 1}, value=PartnerRequest.status, else_=2)


def _like_escape(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class QueueFilters:
    """What the filter form asked for. Unknown values are ignored, never an error."""
    status: str = ""
    ods: int | None = None
    structure_id: int | None = None
    search: str = ""
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE

    @classmethod
    def from_args(cls, args, structure_ids):
        status = args.get("statut", "")
        ods = to_id(args.get("ods"))
        structure_id = to_id(args.get("structure"))
        per_page = to_id(args.get("par_page"))
        return cls(status=status if status in STATUS_FILTERS else "",
                   ods=ods if ods in {o["code"] for o in catalogue()["ods"]} else None,
                   structure_id=structure_id if structure_id in structure_ids else None,
                   search=" ".join((args.get("recherche") or "").split())[:SEARCH_MAX],
                   page=max(to_id(args.get("page")) or 1, 1),
                   per_page=per_page if per_page in PAGE_SIZES else DEFAULT_PAGE_SIZE)

    def apply(self, query):
        if self.status:
            query = query.filter(PartnerRequest.status == self.status)
        else:
            query = query.filter(PartnerRequest.status.in_(
                (Status.NEW.value, Status.TAKEN.value, Status.RESOLVED.value)))
        if self.ods:
            query = query.filter(PartnerRequest.ods == self.ods)
        if self.structure_id:
            query = query.filter(PartnerRequest.structure_id == self.structure_id)
        if self.search:
            if self.search.isdigit():
                query = query.filter(PartnerRequest.number.like(f"%{_like_escape(self.search)}%", escape="\\"))
            else:
                pattern = f"%{_like_escape(self.search.lower())}%"
                person = func.lower(func.coalesce(PartnerRequest.person_last_name, "") + " "
                                    + func.coalesce(PartnerRequest.person_first_name, ""))
                reverse = func.lower(func.coalesce(PartnerRequest.person_first_name, "") + " "
                                     + func.coalesce(PartnerRequest.person_last_name, ""))
                query = query.filter(person.like(pattern, escape="\\") | reverse.like(pattern, escape="\\"))
        return query

    def args(self, **changes):
        """Query-string arguments for a link keeping these filters (defaults left out)."""
        values = {"statut": self.status, "ods": self.ods or "", "structure": self.structure_id or "",
                  "recherche": self.search, "par_page": self.per_page if self.per_page != DEFAULT_PAGE_SIZE else "",
                  "page": self.page if self.page > 1 else ""}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}

    @property
    def active(self):
        return bool(self.status or self.ods or self.structure_id or self.search)


def _queue_structures(org):
    """Structures that have (or had) a convention with the organisation, by name."""
    return (Structure.query.join(Convention, Convention.structure_id == Structure.id)
            .filter(Convention.organisation_id == org.id).order_by(Structure.name).all())


@bp.route("/partenaires/")
def partner_queue():
    org = partner_organisation()
    structures = _queue_structures(org)
    filters = QueueFilters.from_args(request.args, {s.id for s in structures})
    query = filters.apply(PartnerRequest.query.filter(PartnerRequest.organisation_id == org.id))
    total = query.order_by(None).count()
    pages = max(math.ceil(total / filters.per_page), 1)
    filters.page = min(filters.page, pages)
    rows = (query.options(joinedload(PartnerRequest.structure))
            .order_by(STATUS_RANK, PartnerRequest.created_at, PartnerRequest.id)
            .offset((filters.page - 1) * filters.per_page).limit(filters.per_page).all())
    return render("agent/partenaires/queue.html", block="results", organisation=org, structures=structures,
                  filters=filters, rows=rows, total=total, pages=pages, statuses=STATUS_FILTERS,
                  ods_list=catalogue()["ods"], page_sizes=PAGE_SIZES)


# --- One request -------------------------------------------------------------------------------

def load_request(request_id, org, for_update=False):
    """The organisation's request, never a cancelled one; 404 otherwise.

    `for_update` starts a writing transaction and locks the row (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: SELECT … FOR UPDATE), so that two agents acting at once cannot both move it."""
    if for_update:
        begin_immediate()
    query = PartnerRequest.query.filter(PartnerRequest.id == request_id, PartnerRequest.organisation_id == org.id,
                                        PartnerRequest.status != Status.CANCELLED.value)
    return (query.with_for_update() if for_update else query).first_or_404()


def saisine_rows(saisine):
    """(legend, answer) pairs of the « Saisine mission accompagnement santé » blocks."""
    if not saisine:
        return []
    cat = catalogue()["saisine"]
    legends = {"consent": cat["consent_legend"], "frameworks": cat["frameworks_legend"],
               "care": cat["care_legend"], "duration": cat["duration_legend"],
               "durations": cat["duration_legend"], "causes": cat["causes_legend"]}
    rows = []
    for key, value in (saisine.items() if isinstance(saisine, dict) else []):
        if value in (None, "", [], False) and key != "consent":
            continue
        if key == "consent" or isinstance(value, bool):
            text = f"Oui – {cat['consent_label']}" if key == "consent" and value else ("Oui" if value else "Non")
        elif isinstance(value, (list, tuple)):
            text = " ; ".join(str(v) for v in value)
        else:
            text = str(value)
        rows.append((legends.get(key, key), text))
    return rows


def _detail_context(req, resolve_form=None, files=None, **extra):
    context = {
        "req": req,
        "ods": next(o for o in catalogue()["ods"] if o["code"] == req.ods),
        "saisine": saisine_rows(req.saisine),
        "sent_files": (Attachment.query.filter(Attachment.subject_type.in_(REQUEST_FILES.stored_names),
                                               Attachment.subject_id == req.id).order_by(Attachment.id).all()),
        "answer_files": attachments_of(subject_type=ANSWER_FILES.name, subject_id=req.id),
        "take_form": RequestTakeForm() if req.can_take_in_charge(current_user) else None,
        "resolve_form": None, "files": None,
    }
    if req.can_resolve(current_user):
        context["resolve_form"] = resolve_form or RequestResolveForm(formdata=None)
        context["files"] = files or AttachmentSet(ANSWER_POLICY, current_user)
    context.update(extra)
    return context


@bp.route("/partenaires/demandes/<int:request_id>")
def partner_request(request_id):
    org = partner_organisation()
    req = load_request(request_id, org)
    return render(REQUEST_TEMPLATE, **_detail_context(req))


def _done(req, message):
    """After a successful action: the block in place (htmx) or the page again (PRG)."""
    if wants_fragment():
        return render(REQUEST_TEMPLATE, block="actions", confirmation=message, **_detail_context(req))
    flash(message, "success")
    return redirect(url_for(".partner_request", request_id=req.id), code=303)


def _refused(req, message):
    """A forged or repeated action: nothing changed, and the page says why."""
    return render(REQUEST_TEMPLATE, block="actions", status=409, refusal=message, **_detail_context(req))


def _refusal_message(req):
    if req.status == Status.NEW.value:
        return "Cette demande ne peut pas être résolue : elle doit d’abord être prise en charge."
    if req.status == Status.TAKEN.value:
        return "Cette demande a déjà été prise en charge : rien n’a été modifié."
    return "Cette demande est déjà résolue : rien n’a été modifié."


@bp.route("/partenaires/demandes/<int:request_id>/prise-en-charge", methods=["POST"])
@notifies
def partner_take(request_id):
    org = partner_organisation()
    form = RequestTakeForm()
    if not form.validate_on_submit():
        abort(400)
    req = load_request(request_id, org, for_update=True)
    try:
        service.take_in_charge(req, current_user)
    except IllegalTransition:
        db.session.rollback()
        return _refused(req, _refusal_message(req))
    db.session.commit()
    return _done(req, f"La demande N°{req.number} est prise en charge. Le demandeur en a été informé par courriel.")


@bp.route("/partenaires/demandes/<int:request_id>/resolution", methods=["POST"])
@notifies
def partner_resolve(request_id):
    org = partner_organisation()
    req = load_request(request_id, org)
    if not req.can_resolve(current_user):
        # Checked before touching the files: a refused action stores nothing.
        return _refused(req, _refusal_message(req))
    form = RequestResolveForm()
    files = AttachmentSet.from_request(ANSWER_POLICY)
    if files.is_update:
        # « Ajouter » / « Retirer » without JavaScript: redisplay with what was typed.
        return render(REQUEST_TEMPLATE, block="actions", has_errors=files.has_errors,
                      **_detail_context(req, form, files))
    files_ok = files.validate()
    if form.validate_on_submit() and files_ok:
        req = load_request(request_id, org, for_update=True)
        try:
            service.resolve_request(req, current_user, form.answer.data, files)
        except IllegalTransition:
            db.session.rollback()
            return _refused(req, _refusal_message(req))
        db.session.commit()
        return _done(req, f"La demande N°{req.number} est résolue. Le demandeur a été invité par courriel à "
                          "consulter la réponse.")
    return render(REQUEST_TEMPLATE, block="actions", status=422, has_errors=True,
                  **_detail_context(req, form, files))


# --- Settings of the organisation ----------------------------------------------------------------

def managed_organisation(organisation_id):
    """An Espace Partenaires organisation the current user may configure: their own (agent), any
    (administrator); 404 otherwise."""
    query = Organisation.query.filter(Organisation.id == organisation_id, Organisation.portal == PORTAL)
    if not current_user.has_role("admin"):
        query = query.filter(Organisation.id == current_user.organisation_id)
    return query.first_or_404()


@bp.route("/partenaires/organismes")
def partner_organisations():
    if not current_user.has_role("admin"):
        org = partner_organisation()
        return redirect(url_for(".partner_settings", organisation_id=org.id))
    organisations = Organisation.query.filter_by(portal=PORTAL).order_by(Organisation.name).all()
    return render("agent/partenaires/organisations.html", organisations=organisations)


SITUATION_LABELS = {
    Situation.FUTURE: "À venir",
    Situation.RUNNING: "En cours",
    Situation.ENDING: "Arrive à échéance (moins de 30 jours)",
    Situation.ENDED_OPEN: "Terminée, demandes en cours de traitement",
    Situation.ENDED_GRACE: "Terminée, délai de consultation des réponses",
    Situation.CLOSED: "Terminée",
}


def _conventions(org):
    conventions = (Convention.query.filter_by(organisation_id=org.id)
                   .join(Structure, Structure.id == Convention.structure_id).order_by(Structure.name).all())
    return [(c, SITUATION_LABELS[c.state().situation]) for c in conventions]


@bp.route("/partenaires/organismes/<int:organisation_id>/parametres", methods=["GET", "POST"])
def partner_settings(organisation_id):
    org = managed_organisation(organisation_id)
    settings = org.partner_settings
    form = OrganisationSettingsForm()
    if request.method == "GET":
        if settings is not None:
            form.fill(settings)
        else:
            form.max_active_technicians.data = PartnerSettings.max_active_technicians.default.arg
    elif form.validate_on_submit():
        if settings is None:
            settings = PartnerSettings(organisation=org)
            db.session.add(settings)
        settings.ods_offered = sorted(form.ods_offered.data)
        settings.motives = form.motives_data()
        settings.documents = list(form.documents.data)
        settings.max_active_technicians = form.max_active_technicians.data
        audit.record(current_user, "partner_settings_updated", org, ods=settings.ods_offered,
                     max_active_technicians=settings.max_active_technicians)
        db.session.commit()
        flash("Les paramètres de l’organisme ont été enregistrés.", "success")
        return redirect(url_for(".partner_settings", organisation_id=org.id), code=303)
    return render("agent/partenaires/settings.html", organisation=org, form=form, conventions=_conventions(org),
                  status=422 if form.errors else 200)


def _convention_page(org, form, convention=None, status=200, delete_form=None):
    return render("agent/partenaires/convention.html", organisation=org, form=form, convention=convention,
                  delete_form=delete_form, status=status)


@bp.route("/partenaires/organismes/<int:organisation_id>/conventions/nouvelle", methods=["GET", "POST"])
def partner_convention_new(organisation_id):
    org = managed_organisation(organisation_id)
    form = ConventionCreateForm()
    form.structure.choices = [SelectChoice("", "Sélectionner une structure")] + [
        SelectChoice(str(s.id), s.name) for s in Structure.query.order_by(Structure.name)]
    if form.validate_on_submit():
        typed = " ".join((form.new_structure.data or "").split())
        if typed:
            structure = Structure.query.filter(func.lower(Structure.name) == typed.lower()).first()
            if structure is not None:
                form.new_structure.errors.append("Une structure porte déjà ce nom : sélectionnez-la dans la liste.")
                return _convention_page(org, form, status=422)
            structure = Structure(name=typed)
            db.session.add(structure)
        else:
            structure = db.session.get(Structure, int(form.structure.data))
            if Convention.query.filter_by(structure_id=structure.id, organisation_id=org.id).first():
                form.structure.errors.append(f"Cette structure a déjà une convention avec {org.name} : "
                                             "modifiez-la depuis la liste des conventions.")
                return _convention_page(org, form, status=422)
        convention = Convention(structure=structure, organisation=org, start_date=form.start_date.data,
                                end_date=form.end_date.data)
        db.session.add(convention)
        db.session.flush()
        audit.record(current_user, "partner_convention_created", convention, structure=structure.name,
                     start=form.start_date.data.isoformat(),
                     end=form.end_date.data.isoformat() if form.end_date.data else None)
        db.session.commit()
        flash(f"La convention avec la structure {structure.name} a été enregistrée.", "success")
        return redirect(url_for(".partner_settings", organisation_id=org.id, _anchor="conventions"), code=303)
    return _convention_page(org, form, status=422 if form.errors else 200)


def _load_convention(org, convention_id):
    return Convention.query.filter_by(id=convention_id, organisation_id=org.id).first_or_404()


@bp.route("/partenaires/organismes/<int:organisation_id>/conventions/<int:convention_id>",
          methods=["GET", "POST"])
def partner_convention_edit(organisation_id, convention_id):
    org = managed_organisation(organisation_id)
    convention = _load_convention(org, convention_id)
    form = ConventionEditForm(obj=convention)
    if form.validate_on_submit():
        convention.start_date = form.start_date.data
        convention.end_date = form.end_date.data
        audit.record(current_user, "partner_convention_updated", convention, structure=convention.structure.name,
                     start=convention.start_date.isoformat(),
                     end=convention.end_date.isoformat() if convention.end_date else None)
        db.session.commit()
        flash(f"La convention avec la structure {convention.structure.name} a été modifiée.", "success")
        return redirect(url_for(".partner_settings", organisation_id=org.id, _anchor="conventions"), code=303)
    return _convention_page(org, form, convention, status=422 if form.errors else 200,
                            delete_form=ConventionDeleteForm(formdata=None))


@bp.route("/partenaires/organismes/<int:organisation_id>/conventions/<int:convention_id>/suppression",
          methods=["POST"])
def partner_convention_delete(organisation_id, convention_id):
    org = managed_organisation(organisation_id)
    convention = _load_convention(org, convention_id)
    form = ConventionDeleteForm()
    if not form.validate_on_submit():
        abort(400)
    has_requests = PartnerRequest.query.filter_by(structure_id=convention.structure_id,
                                                  organisation_id=org.id).first() is not None
    if has_requests:
        flash("Cette convention ne peut pas être supprimée : la structure a déposé des demandes auprès de "
              f"{org.name}. Saisissez plutôt une date de fin.", "error")
        return redirect(url_for(".partner_convention_edit", organisation_id=org.id, convention_id=convention.id),
                        code=303)
    name = convention.structure.name
    audit.record(current_user, "partner_convention_deleted", convention, structure=name)
    db.session.delete(convention)
    db.session.commit()
    flash(f"La convention avec la structure {name} a été supprimée.", "success")
    return redirect(url_for(".partner_settings", organisation_id=org.id, _anchor="conventions"), code=303)
