"""Espace Partenaires, agent side (spec partenaires.md §7): the organisation's queue of requests,
a request with « Prendre en charge » and « Résoudre », and the organisation's settings and
conventions with partner structures.

Requests are only ever loaded through a query scoped to the agent's organisation (never a
cancelled one): anything else is a 404. Settings are reachable by the agents of the organisation
and by administrators."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import case, func
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from blueprints.agent import bp
from blueprints.partenaires import service
from core import audit
from core.inputs import to_id
from core.queue import (Answer, CaseLoader, Choice, DetailPage, Queue, Unposted, agent_organisation, fold_search,
                        history_and_files, unposted_answer)
from core.replay import keeps_input
from core.templating import render
from core.throttle import notifies
from core.uploads import MB, AttachmentSet, register_policy
from extensions import db
from forms.agent_partenaires import (
    ConventionCreateForm,
    ConventionDeleteForm,
    ConventionEditForm,
    OrganisationSettingsForm,
    RequestResolveForm,
    RequestTakeForm,
)
from models import Convention, Organisation, PartnerRequest, PartnerSettings, Status, Structure, User
from models.partenaires import ANSWER_FILES, REQUEST_FILES, REQUEST_WORKFLOW, Situation, catalogue

PORTAL = "partenaires"
ANSWER_POLICY = "partenaires_reponse"
REQUEST_TEMPLATE = "agent/partenaires/request.html"

register_policy(ANSWER_POLICY, max_count=catalogue()["attachments"]["max_count"],
                max_size=catalogue()["attachments"]["max_size_mb"] * MB,
                extensions=catalogue()["attachments"]["extensions"])


def partner_organisation():
    """The current agent's organisation when it runs Espace Partenaires; 403 for anyone else."""
    return agent_organisation(PORTAL)


# --- Queue -------------------------------------------------------------------------------------

# Within the queue: what needs doing first, then oldest first.
STATUS_RANK = case({Status.NEW.value: 0, Status.TAKEN.value: 1}, value=PartnerRequest.status, else_=2)


def _like_escape(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PartnerQueue(Queue):
    statuses = {"": None} | {slug: slug for slug in REQUEST_WORKFLOW.listed_slugs()}
    workflow = REQUEST_WORKFLOW
    shown_statuses = REQUEST_WORKFLOW.listed_slugs()  # never a cancelled request
    status_column = PartnerRequest.status
    choices = {"ods": Choice(PartnerRequest.ods, to_id), "structure": Choice(PartnerRequest.structure_id, to_id)}
    page_sizes = (10, 25, 50)
    search_max = 60

    def search_filter(self, text):
        """A request number (or part of one), or the words of the person's name in any order."""
        if text.isdigit():
            return PartnerRequest.number.like(f"%{_like_escape(text)}%", escape="\\")
        return fold_search(PartnerRequest.person_sort_key, text)


def _queue_structures(org):
    """Structures that have (or had) a convention with the organisation, by name."""
    return (Structure.query.join(Convention, Convention.structure_id == Structure.id)
            .filter(Convention.organisation_id == org.id).order_by(Structure.name).all())


@bp.route("/partenaires/")
def partner_queue():
    org = partner_organisation()
    structures = _queue_structures(org)
    ods_list = catalogue()["ods"]
    filters = PartnerQueue.from_args(request.args, ods={o["code"] for o in ods_list},
                                     structure={s.id for s in structures})
    page = filters.paginate(PartnerRequest.query.filter(PartnerRequest.organisation_id == org.id),
                            order_by=(STATUS_RANK, PartnerRequest.created_at, PartnerRequest.id),
                            options=(joinedload(PartnerRequest.structure),))
    return render("agent/partenaires/queue.html", block="results", organisation=org, filters=filters, page=page,
                  structures=[(s.id, s.name) for s in structures], ods_list=[(o["code"], o["label"]) for o in ods_list])


# --- One request -------------------------------------------------------------------------------

# The page's read of a request with what it shows, built once (see core.queue.CaseLoader).
# The page itself (`with_shown`) reads the structure's name and the requester's address with the
# request, as plain values; an action's read (after which the page is shown too) joins the objects.
_REQUEST = CaseLoader(PartnerRequest, extra_filters=(PartnerRequest.status != Status.CANCELLED.value,),
                      options=(joinedload(PartnerRequest.structure), joinedload(PartnerRequest.requester)),
                      shown={"structure_name": Structure.name, "requester_email": User.email},
                      joins=((Structure, Structure.id == PartnerRequest.structure_id),
                             (User, User.id == PartnerRequest.requester_id)))


def load_request(request_id, org, for_update=False):
    """The organisation's request, never a cancelled one; 404 otherwise (see core.queue.CaseLoader)."""
    return _REQUEST(request_id, org, for_update)


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


def _detail_context(req, resolve_form=None, files=None, shown=None, **extra):
    # The history (the timeline of request_status and the complements are both in it), the files
    # the technician sent and those of the agent's answer: plain rows, in one statement.
    events, stored = history_and_files(REQUEST_WORKFLOW, req, REQUEST_FILES, ANSWER_FILES)
    user = current_user._get_current_object()
    context = {
        "req": req,
        # What the summary shows of the structure and the requester (read with the request on a GET).
        "structure_name": shown.structure_name if shown is not None else req.structure.name,
        "requester_email": shown.requester_email if shown is not None else req.requester.email,
        "timeline_lines": REQUEST_WORKFLOW.timeline(req, events),
        "complement_entries": [e for e in events if e.kind == "complement"],
        "ods": next(o for o in catalogue()["ods"] if o["code"] == req.ods),
        "saisine": saisine_rows(req.saisine),
        "sent_files": [f for f in stored if f.subject_type != ANSWER_FILES.name],
        "answer_files": [f for f in stored if f.subject_type == ANSWER_FILES.name],
        # Only its CSRF token, which the template writes itself: the form is not built.
        "take_form": Unposted() if req.can_take_in_charge(user) else None,
        "resolve_form": None, "files": None, "answer_html": (None, None),
    }
    if req.can_resolve(user):
        context["files"] = files = files or AttachmentSet(ANSWER_POLICY, user)
        # The posted form shown again, or the answer not posted (not built: core.queue.unposted_answer).
        context["resolve_form"], context["answer_html"] = unposted_answer(RequestResolveForm, "answer", files,
                                                                   resolve_form)
    context.update(extra)
    return context


@bp.route("/partenaires/demandes/<int:request_id>")
def partner_request(request_id):
    req, shown = _REQUEST.with_shown(request_id, partner_organisation())
    return DETAIL.show(req, shown=shown)


def _refusal_message(req):
    if req.status == Status.NEW.value:
        return "Cette demande ne peut pas être résolue : elle doit d’abord être prise en charge."
    if req.status == Status.TAKEN.value:
        return "Cette demande a déjà été prise en charge : rien n’a été modifié."
    return "Cette demande est déjà résolue : rien n’a été modifié."


def _resolved_message(req):
    return f"La demande N°{req.number} est résolue. Le demandeur a été invité par courriel à consulter la réponse."


DETAIL = DetailPage(REQUEST_TEMPLATE, "actions", _detail_context, "agent.partner_request", "request_id",
                    refusal=_refusal_message,
                    answer=Answer(RequestResolveForm, ANSWER_POLICY, PartnerRequest.can_resolve,
                                  service.resolve_request, "answer", _resolved_message,
                                  endpoint="agent.partner_resolve"))


@bp.route("/partenaires/demandes/<int:request_id>/prise-en-charge", methods=["POST"])
@notifies
def partner_take(request_id):
    org = partner_organisation()
    if not RequestTakeForm().validate_on_submit():
        abort(400)
    return DETAIL.act(lambda: load_request(request_id, org, for_update=True),
                      lambda locked: service.take_in_charge(locked, current_user),
                      lambda req: f"La demande N°{req.number} est prise en charge. Le demandeur en a été informé "
                                  "par courriel.")


@bp.route("/partenaires/demandes/<int:request_id>/resolution", methods=["POST"])
@keeps_input(shown_at="agent.partner_request")
@notifies
def partner_resolve(request_id):
    org = partner_organisation()
    return DETAIL.answer_with_files(lambda lock: load_request(request_id, org, for_update=lock))


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
