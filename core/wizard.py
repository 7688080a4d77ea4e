"""Multi-step forms kept in a server-side draft: ordered steps, each with its form and a
completeness check; « Précédent » / « Suivant » / « Enregistrer » / « Supprimer le brouillon »;
a breadcrumb with the current step marked (templates/components/wizard.html).

A portal declares its wizard once:

    APPLICATION = Wizard("armees.demande", endpoint="armees.apply", title="Demande d’aide", steps=[
        Step("preambule", "Préambule"),
        Step("criteres", "Critères d’éligibilité", EligibilityForm),
        Step("informations", "Vos informations", InformationForm),
        Step("dossier", "Votre dossier", FileForm, attachments="armees_justificatifs", files_required=True),
        Step("recapitulatif", "Récapitulatif", SwornStatementForm),
    ], finish_label="Transmettre", saved_endpoint="armees.space")

and its view stays thin:

    @bp.route("/demande/")
    @bp.route("/demande/<step>", methods=["GET", "POST"])
    @login_required
    def apply(step=None):
        page = APPLICATION.handle(current_user, step)
        if page.response is not None:  # a redirect: Précédent, Suivant, Enregistrer, unreachable step…
            return page.response
        if page.finished:              # the last step's button, with every step complete
            ...                        # create what was asked from page.data_of(slug), page.files_of(slug)
            page.finish()              # drops the draft; the caller commits
            db.session.commit()
            return page.leave(url_for(".applied", ...))  # 303, or HX-Redirect for htmx
        return render("armees/apply.html", block="wizard", page=page, status=page.status)

What a step's form holds is stored as it was typed (its raw values, `{field name: [values]}`, in
`Draft.data["steps"][slug]`), so that « Précédent », « Enregistrer » and leaving half-way never
lose anything, even what does not validate yet; it is validated again whenever needed. A step is
complete once it was passed with « Suivant » and as long as what it holds still validates (its
attachment set included) and its own `is_complete` check, if any, agrees. A step can be reached
only when every step before it is complete.

Without JavaScript every button posts the form and is answered by a 303 redirect (or the step
again, with errors, in 422). With htmx the form posts in the background and the wizard's block is
swapped (core.templating.render(..., block=...); errors in 200, as everywhere with htmx); the
address bar follows the step (HX-Push-Url), and « Enregistrer » only updates the live region.

One wizard, many cases. A wizard declared once can serve several drafts of one user (one per
application, say): `Wizard.for_case` gives a copy with its own draft kind, the extra URL arguments
its endpoint takes, and a `context` (what the case is about) that step form factories read:

    page = APPLICATION.for_case(application_draft_kind(app.id), context=benefit,
                                application_id=app.id).handle(current_user, step)

A step whose form depends on the case gives `form_factory(page) -> form class | None` instead of
`form_class` (None: the step only informs, for this case):

    Step("dossier", "Votre dossier", form_factory=lambda page: dossier_form(page.context))

`Wizard(..., outcome="Confirmation")` adds a last entry to the breadcrumb for the page shown once
the wizard is finished (« Étape 6 sur 6 »): `wizard.outcome_breadcrumb()` gives it as current.
`page.action` is the button pressed ("suivant", "precedent"…; None for another button) and
`page.target` the step a redirect leads to, for a view that acts when a given step is passed.
`Wizard.prefill(user, steps, passed=…)` writes a draft from raw step values (a duplicated
application starts prefilled) in the caller's transaction."""
from __future__ import annotations

import re
import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

from flask import abort, after_this_request, current_app, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from jinja2_fragments.flask import render_block
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from core import drafts
from core.templating import wants_fragment
from core.uploads import AttachmentSet
from extensions import db
from models.base import utcnow
from models.draft import Draft

if TYPE_CHECKING:
    from models import User

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
# The buttons of a step's form (templates/components/wizard.html). Any other submit button
# (« Ajouter » a file, « Rechercher » a town… without JavaScript) redisplays the step.
PREVIOUS, NEXT, SAVE, DISCARD = "precedent", "suivant", "enregistrer", "abandonner"
CONFIRM_DISCARD = "supprimer-brouillon"
DISCARD_QUERY = "supprimer"
# What one draft may hold per step: a forged post cannot store megabytes in the database.
MAX_STORED_KEYS = 200
MAX_STORED_VALUES = 50
MAX_STORED_CHARS = 20_000

SAVED_MESSAGE = ("Votre brouillon a été enregistré. Vous pourrez reprendre votre saisie plus tard, "
                 "là où vous l’avez laissée.")
DISCARDED_MESSAGE = "Votre brouillon a été supprimé."
INCOMPLETE_MESSAGE = "Cette étape n’est pas complète : vérifiez les informations demandées."

DONE, CURRENT, TODO = "done", "current", "todo"


@dataclass(frozen=True)
class Step:
    """One step. `form_class` is its form (None: a step that only informs, like a preamble);
    `attachments` the upload policy of its files (core.uploads.register_policy), kept across steps
    in the draft's attachment set (give each step with files a policy of its own); `is_complete`
    an extra check, beyond the form's validators, of what the draft holds (`page -> bool`), with
    `incomplete_message` shown when « Suivant » is refused by it. `form_factory(page)`, instead of
    `form_class`, builds the form class for the page's case (`page.context`), or None.
    `files_class` and `files_options`
    give the step another kind of upload set, e.g. files per named document:
    `Step("dossier", …, attachments=POLICY, files_class=NamedAttachmentSet,
    files_options=lambda page: {"documents": documents_of(page)})`; the set's own `is_complete`
    then says when the step's files are complete."""
    slug: str
    title: str
    form_class: type[FlaskForm] | None = None
    is_complete: Callable[[WizardPage], bool] | None = None
    attachments: str | None = None
    files_required: bool = False
    incomplete_message: str = INCOMPLETE_MESSAGE
    form_factory: Callable[[WizardPage], type[FlaskForm] | None] | None = None
    # The class of the step's upload set (e.g. core.uploads.NamedAttachmentSet, files per named
    # document), and the extra arguments it is built with for this page (its documents…).
    files_class: type[AttachmentSet] = AttachmentSet
    files_options: Callable[[WizardPage], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.form_class is not None and self.form_factory is not None:
            raise ValueError(f"step {self.slug}: give form_class or form_factory, not both")

    def files_kwargs(self, page: WizardPage) -> dict[str, Any]:
        return dict(self.files_options(page)) if self.files_options is not None else {}


@dataclass(frozen=True)
class Crumb:
    """One entry of the breadcrumb: `state` is "done", "current" or "todo"; `url` is set when the
    step can be reached from here (every step before it is complete) and is not the current one."""
    number: int
    total: int
    slug: str
    title: str
    state: str
    url: str | None

    @property
    def is_current(self) -> bool:
        return self.state == CURRENT


class Wizard:
    """The declaration of a wizard: the draft kind it is stored under, its ordered steps, and the
    endpoint serving it, which takes the step's slug as its `step` argument."""

    def __init__(self, kind: str, steps: list[Step], *, endpoint: str, title: str,
                 finish_label: str = "Valider", saved_endpoint: str | None = None,
                 discarded_endpoint: str | None = None, outcome: str | None = None) -> None:
        if not steps:
            raise ValueError("a wizard needs at least one step")
        slugs = [s.slug for s in steps]
        if len(set(slugs)) != len(slugs) or not all(SLUG.match(s) for s in slugs):
            raise ValueError(f"step slugs must be unique and match {SLUG.pattern}: {slugs}")
        self.kind = kind
        self.steps = list(steps)
        self.endpoint = endpoint
        self.title = title
        self.finish_label = finish_label
        self.saved_endpoint = saved_endpoint          # where « Enregistrer » leads; None: stay on the step
        self.discarded_endpoint = discarded_endpoint  # after « Supprimer le brouillon »; None: the first step
        self.outcome = outcome                        # the breadcrumb's last entry: the page once finished
        self.url_args: dict[str, Any] = {}            # what the endpoint takes besides `step` (for_case)
        self.context: Any = None                      # what the case is about (for_case), for form factories

    def for_case(self, kind: str, *, endpoint: str | None = None, title: str | None = None,
                 context: Any = None, **url_args: Any) -> Wizard:
        """This wizard for one case among many of a user: its own draft `kind`, its URLs built with
        `url_args` (and `endpoint` if another one serves it), `context` for the form factories."""
        case = copy.copy(self)
        case.kind = kind
        case.endpoint = endpoint or self.endpoint
        case.title = title or self.title
        case.context = context
        case.url_args = dict(url_args)
        return case

    @property
    def total(self) -> int:
        """How many entries the breadcrumb has (the steps, and the outcome if any)."""
        return len(self.steps) + (1 if self.outcome else 0)

    def outcome_breadcrumb(self) -> list[Crumb]:
        """The breadcrumb of the page shown once finished: every step done, the outcome current."""
        total = self.total
        crumbs = [Crumb(n, total, s.slug, s.title, DONE, None) for n, s in enumerate(self.steps, start=1)]
        if self.outcome:
            crumbs.append(Crumb(total, total, "outcome", self.outcome, CURRENT, None))
        return crumbs

    def prefill(self, user: User, steps: dict[str, dict[str, list[str]]], *, passed: list[str] | tuple[str, ...] = (),
                step: str | None = None, attachment_token: str | None = None) -> Draft:
        """Write the user's draft of this wizard's kind from raw step values (`{slug: {field:
        [values]}}`, as `Draft.data["steps"]` holds them), `passed` naming the steps already passed,
        resumed at `step`. Unknown slugs are dropped. Added to the caller's transaction (no commit)."""
        known = {s.slug for s in self.steps}
        clean = {slug: {k: [v for v in values if isinstance(v, str)][:MAX_STORED_VALUES]
                        for k, values in list(raw.items())[:MAX_STORED_KEYS]
                        if isinstance(k, str) and isinstance(values, list)}
                 for slug, raw in (steps or {}).items() if slug in known and isinstance(raw, dict)}
        draft = Draft.query.filter_by(owner_id=user.id, kind=self.kind).first()
        if draft is None:
            draft = Draft(owner_id=user.id, kind=self.kind)
            db.session.add(draft)
        draft.data = {"steps": clean, "passed": [s for s in passed if s in known]}
        draft.step = step if step in known else None
        draft.attachment_token = attachment_token
        draft.updated_at = utcnow()
        return draft

    def step(self, slug: str) -> Step | None:
        return next((s for s in self.steps if s.slug == slug), None)

    def index(self, step: Step) -> int:
        return self.steps.index(step)

    def is_first(self, step: Step) -> bool:
        return step is self.steps[0]

    def is_last(self, step: Step) -> bool:
        return step is self.steps[-1]

    def url(self, slug: str | None = None, **args: Any) -> str:
        return url_for(self.endpoint, step=slug or self.steps[0].slug, **self.url_args, **args)

    def handle(self, user: User, slug: str | None) -> WizardPage:
        """Everything the request asks of the wizard. Without `slug` (the wizard's entry), a redirect
        to where the draft was left; an unknown slug is 404; a step not reachable yet redirects to
        the first incomplete one; a POST saves and moves according to the button pressed."""
        page = WizardPage(self, user, drafts.load(user, self.kind))
        if slug is None:
            page.target = page.resume_step()
            page.response = redirect(self.url(page.target.slug), 303)
            return page
        step = self.step(slug)
        if step is None:
            abort(404)
        page.step = step
        if not page.is_reachable(step):
            page.target = page.first_incomplete()
            page.response = redirect(self.url(page.target.slug), 303)
            return page
        if request.method == "POST":
            page._post()
        else:
            page._get()
        return page


class WizardPage:
    """One request's view of a user's progress through a wizard: the current step, its form and
    files, the draft, and the outcome (`response`, `finished`, `status`) the view acts on."""

    def __init__(self, wizard: Wizard, user: User, draft: Draft | None) -> None:
        self.wizard = wizard
        self.user = user
        self.draft = draft
        data = dict(draft.data) if draft is not None else {}
        self.stored: dict[str, dict[str, list[str]]] = dict(data.get("steps") or {})
        self.passed: list[str] = [s for s in data.get("passed") or [] if isinstance(s, str)]
        self.step: Step = wizard.steps[0]
        self.form: FlaskForm | None = None
        self.files: AttachmentSet | None = None
        self.response: Response | None = None
        self.status = 200
        self.finished = False
        self.confirm_discard = False
        self.action: str | None = None     # the button pressed (NEXT, PREVIOUS, SAVE, DISCARD)
        self.target: Step | None = None    # where the answer's redirect leads, among the steps
        self.step_errors: list[str] = []
        self._forms: dict[str, FlaskForm | None] = {}
        self._files: dict[str, AttachmentSet] = {}
        self._complete: dict[str, bool] = {}

    @property
    def context(self) -> Any:
        """What the case is about (Wizard.for_case), for the templates and the form factories."""
        return self.wizard.context

    def form_class_of(self, step: Step) -> type[FlaskForm] | None:
        """The step's form class: fixed, or built by its factory for this page's case."""
        if step.form_factory is not None:
            return step.form_factory(self)
        return step.form_class

    # -- progress

    @property
    def attachment_token(self) -> str | None:
        if self.files is not None:
            return self.files.token
        return self.draft.attachment_token if self.draft is not None else None

    def raw(self, slug: str) -> dict[str, list[str]] | None:
        """What the step's form holds, as typed; None when the step was never saved."""
        value = self.stored.get(slug)
        return value if isinstance(value, dict) else None

    def form_of(self, slug: str) -> FlaskForm | None:
        """The step's form rebuilt from the draft and validated (errors included), e.g. for a recap."""
        if slug not in self._forms:
            step = self._step(slug)
            form = None
            form_class = self.form_class_of(step)
            if form_class is not None:
                form = form_class(formdata=MultiDict(self._pairs(self.raw(slug) or {})), meta={"csrf": False})
                form.validate()
            self._forms[slug] = form
        return self._forms[slug]

    def data_of(self, slug: str) -> dict[str, Any]:
        """The step's validated values (`form.data`), for the recap and for what the view creates."""
        form = self.form_of(slug)
        return dict(form.data) if form is not None else {}

    def files_of(self, slug: str) -> AttachmentSet | None:
        """The files added at that step (the current step's set once the request applied to it)."""
        step = self._step(slug)
        if step.attachments is None:
            return None
        if step is self.step and self.files is not None:
            return self.files
        if slug not in self._files:
            self._files[slug] = step.files_class(step.attachments, self.user, token=self.attachment_token,
                                                 required=step.files_required, **step.files_kwargs(self))
        return self._files[slug]

    def is_complete(self, slug: str) -> bool:
        if slug not in self._complete:
            self._complete[slug] = self._check_complete(self._step(slug))
        return self._complete[slug]

    def _check_complete(self, step: Step) -> bool:
        if step.slug not in self.passed:
            return False
        form = self.form_of(step.slug)
        if form is not None and form.errors:
            return False
        files = self.files_of(step.slug)
        if files is not None and not files.is_complete:
            return False
        return step.is_complete is None or bool(step.is_complete(self))

    def first_incomplete(self) -> Step:
        """The first step not complete (the last one when all are)."""
        return next((s for s in self.wizard.steps if not self.is_complete(s.slug)), self.wizard.steps[-1])

    def is_reachable(self, step: Step) -> bool:
        return all(self.is_complete(s.slug) for s in self.wizard.steps[:self.wizard.index(step)])

    def resume_step(self) -> Step:
        """Where the user left the draft, if still reachable; else the first incomplete step."""
        saved = self.wizard.step(self.draft.step) if self.draft is not None and self.draft.step else None
        if saved is not None and self.is_reachable(saved):
            return saved
        return self.first_incomplete()

    @property
    def all_complete(self) -> bool:
        return all(self.is_complete(s.slug) for s in self.wizard.steps)

    # -- for templates

    @property
    def number(self) -> int:
        return self.wizard.index(self.step) + 1

    @property
    def total(self) -> int:
        return self.wizard.total

    @property
    def url(self) -> str:
        return self.wizard.url(self.step.slug)

    @property
    def heading(self) -> str:
        return "Voulez-vous supprimer votre brouillon ?" if self.confirm_discard else self.step.title

    @property
    def title(self) -> str:
        """The page's <title> without the site name: starts with the <h1>, as every page's does."""
        if self.confirm_discard:
            return f"{self.heading} – {self.wizard.title}"
        return f"{self.step.title} – Étape {self.number} sur {self.total} – {self.wizard.title}"

    @property
    def breadcrumb(self) -> list[Crumb]:
        crumbs = []
        for number, step in enumerate(self.wizard.steps, start=1):
            if step is self.step:
                state = CURRENT
            else:
                state = DONE if self.is_complete(step.slug) else TODO
            url = self.wizard.url(step.slug) if state != CURRENT and self.is_reachable(step) else None
            crumbs.append(Crumb(number, self.total, step.slug, step.title, state, url))
        if self.wizard.outcome:
            crumbs.append(Crumb(self.total, self.total, "outcome", self.wizard.outcome, TODO, None))
        return crumbs

    @property
    def summary(self) -> StepSummary:
        """The current step's errors, as components/forms.html's error_summary() reads a form."""
        return StepSummary(self.form, self.files, self.step_errors)

    @property
    def has_errors(self) -> bool:
        return bool(self.summary.errors)

    @property
    def previous_step(self) -> Step | None:
        index = self.wizard.index(self.step)
        return self.wizard.steps[index - 1] if index > 0 else None

    @property
    def next_step(self) -> Step | None:
        index = self.wizard.index(self.step)
        return self.wizard.steps[index + 1] if index + 1 < len(self.wizard.steps) else None

    # -- outcome

    def finish(self) -> None:
        """Forget the draft once what it built was created. The caller commits, in the same
        transaction as what it created."""
        drafts.discard(self.user, self.wizard.kind)
        self.draft = None

    # -- request handling

    def _get(self) -> None:
        self.confirm_discard = DISCARD_QUERY in request.args and self.draft is not None
        raw = self.raw(self.step.slug)
        form_class = self.form_class_of(self.step)
        if form_class is not None:
            # Never saved: the form's defaults. Saved: exactly what was typed, not validated yet.
            formdata = MultiDict(self._pairs(raw)) if raw is not None else None
            self.form = form_class(formdata=formdata)
        if self.step.attachments is not None:
            self.files = self.step.files_class.from_request(self.step.attachments, token=self.attachment_token,
                                                            required=self.step.files_required,
                                                            **self.step.files_kwargs(self))
        if wants_fragment():
            # Reached through a redirect after a post in the background: the address bar follows.
            url = request.full_path if request.query_string else request.path

            @after_this_request
            def push_url(response: Response) -> Response:
                response.headers["HX-Push-Url"] = url
                return response

    def _post(self) -> None:
        form = request.form
        if CONFIRM_DISCARD in form:
            self._discard()
            return
        step = self.step
        form_class = self.form_class_of(step)
        self.form = form_class() if form_class is not None else None
        if step.attachments is not None:
            # Applies « Ajouter » / « Retirer » and stores new files (committed at once).
            self.files = step.files_class.from_request(step.attachments, token=self.attachment_token,
                                                       required=step.files_required, **step.files_kwargs(self))
        action = next((a for a in (NEXT, PREVIOUS, SAVE, DISCARD) if a in form), None)
        if self.files is not None and self.files.is_update:
            action = None
        raw = self._raw_from_request()
        self.action = action

        if action == PREVIOUS:
            target = self.previous_step or step
            self.target = target
            self._save(raw, resume=target)
            self.response = redirect(self.wizard.url(target.slug), 303)
        elif action == SAVE:
            self._save(raw, resume=step)
            self.response = self._saved_response()
        elif action == DISCARD:
            self._save(raw, resume=step)
            self.response = redirect(self.wizard.url(step.slug, **{DISCARD_QUERY: "1"}), 303)
        elif action == NEXT:
            self._next(raw)
        else:
            # Another button of the step (a file added or removed, a town looked up…): the step
            # again, with everything kept and nothing validated.
            self._save(raw, resume=step)

    def _next(self, raw: dict[str, list[str]]) -> None:
        step = self.step
        valid = self.form.validate_on_submit() if self.form is not None else True
        if self.files is not None:
            valid = self.files.validate() and valid
        if valid and step.slug not in self.passed:
            self.passed.append(step.slug)
        self._store(raw)
        if valid and not self.is_complete(step.slug):
            # Valid as typed, yet the step's own check refuses it.
            self.step_errors.append(step.incomplete_message)
            valid = False
        if not valid:
            self._commit(resume=step)
            # 422 for a page; 200 for htmx, which reports any 4xx as a failure in the console
            # (the answer carries the errors, as the attachments component's do).
            self.status = 200 if wants_fragment() else 422
            return
        if self.wizard.is_last(step) and self.all_complete:
            self._commit(resume=step)
            self.finished = True
            return
        target = self.next_step
        if target is None or not self.is_reachable(target):
            target = self.first_incomplete()
        self.target = target
        self._commit(resume=target)
        self.response = redirect(self.wizard.url(target.slug), 303)

    def _discard(self) -> None:
        drafts.discard(self.user, self.wizard.kind)
        db.session.commit()
        self.draft = None
        endpoint = self.wizard.discarded_endpoint
        url = url_for(endpoint) if endpoint else self.wizard.url()
        flash(DISCARDED_MESSAGE, "success")
        self.response = redirect(url, 303)

    def _saved_response(self) -> Response:
        endpoint = self.wizard.saved_endpoint
        if endpoint is None and wants_fragment():
            # In the background: the form stays as it is (focus included), the live region speaks.
            html = render_block("components/wizard.html", "saved_notice", message=SAVED_MESSAGE)
            return current_app.response_class(html, 200, {"HX-Reswap": "none"})
        flash(SAVED_MESSAGE, "success")
        return self.leave(url_for(endpoint) if endpoint else self.url)

    def leave(self, url: str) -> Response:
        """A move to another page (the confirmation once finished, a personal space): a 303
        redirect, or for htmx an HX-Redirect, so that the whole page is loaded, not swapped in
        the step's place."""
        if wants_fragment():
            response = current_app.response_class(status=204)
            response.headers["HX-Redirect"] = url
            return response
        return redirect(url, 303)

    def _save(self, raw: dict[str, list[str]], resume: Step) -> None:
        self._store(raw)
        self._commit(resume)

    def _store(self, raw: dict[str, list[str]]) -> None:
        self.stored[self.step.slug] = raw
        self._forms.clear()
        self._files.clear()
        self._complete.clear()

    def _commit(self, resume: Step) -> None:
        """Save the draft, resumed at `resume` next time (core.drafts.save commits)."""
        data = {"steps": self.stored, "passed": self.passed}
        self.draft = drafts.save(self.user, self.wizard.kind, data, step=resume.slug,
                                 attachment_token=self.attachment_token)

    def _raw_from_request(self) -> dict[str, list[str]]:
        """The posted values of the step's form fields (sub-fields such as `rows-0-name` or
        `commune-recherche` included), bounded in size; never the CSRF token nor the buttons."""
        if self.form is None:
            return {}
        names = [f.name for f in self.form if f.type != "CSRFTokenField"]
        raw: dict[str, list[str]] = {}
        for key in request.form:
            if len(raw) >= MAX_STORED_KEYS:
                break
            if any(key == n or key.startswith(n + "-") for n in names):
                values = request.form.getlist(key)[:MAX_STORED_VALUES]
                raw[key] = [v[:MAX_STORED_CHARS] for v in values]
        return raw

    @staticmethod
    def _pairs(raw: dict[str, Any]) -> list[tuple[str, str]]:
        # The draft is JSON from the database: keep only what a browser could have posted.
        return [(k, v) for k, values in raw.items() if isinstance(k, str) and isinstance(values, list)
                for v in values if isinstance(v, str)]

    def _step(self, slug: str) -> Step:
        step = self.wizard.step(slug)
        if step is None:
            raise KeyError(slug)
        return step


class StepSummary:
    """The current step's form, its attachment set and the step's own errors, seen as one form by
    error_summary() (components/forms.html): each error links to its field."""

    def __init__(self, form: FlaskForm | None, files: AttachmentSet | None, step_errors: list[str]) -> None:
        self._form = form
        self._files = files
        self._step_errors = step_errors

    @property
    def form_errors(self) -> list[str]:
        return list(self._form.form_errors if self._form is not None else []) + self._step_errors

    @property
    def errors(self) -> dict[str | None, list[str]]:
        errors = dict(self._form.errors) if self._form is not None else {}
        if self._files is not None and self._files.errors:
            errors[self._files.name] = self._files.errors
        if self._step_errors:
            errors[None] = self.form_errors
        return errors

    def __iter__(self) -> Iterator[Any]:
        if self._form is not None:
            yield from self._form
        if self._files is not None:
            yield self._files

    def __bool__(self) -> bool:
        return True
