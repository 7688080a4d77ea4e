from extensions import db


class Organisation(db.Model):
    """A body that delivers social protection (a CPAM, an MSA fund, Igesa, Apgis). Agents belong to one."""
    id = db.Column(db.Integer, primary_key=True)
    portal = db.Column(db.String(20), nullable=False, index=True)
    code = db.Column(db.String(10), nullable=False)
    name = db.Column(db.String(120), nullable=False)

    __table_args__ = (db.UniqueConstraint("portal", "code", name="uq_organisation_portal_code"),)

    def __repr__(self):
        return f"<Organisation {self.portal}:{self.code} {self.name}>"


class Structure(db.Model):
    """A partner structure (social service, hospital, association) whose technicians file requests."""
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False, unique=True)
    max_active_technicians = db.Column(db.Integer, nullable=False, default=10)
