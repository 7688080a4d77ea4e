"""Who is an MSA member: a logged-in user with an MSA profile (models.msa.MsaMember)."""
from functools import wraps

from flask import abort
from flask_login import current_user

from core.replay import login_redirect


def member_required(view):
    """The view needs a logged-in MSA member; passes their profile as `member`."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_redirect("msa.login")
        member = getattr(current_user, "msa_member", None)
        if member is None:
            abort(403)
        return view(*args, member=member, **kwargs)
    wrapped.required_roles = ("msa_member",)
    return wrapped
