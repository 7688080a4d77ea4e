"""One form per screen of the account area (/compte)."""
from forms.base import Form
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, ValidationError

from forms.fields import PASSWORD_HINT, PASSWORD_MAX, DateFRField, PasswordRule
from forms.places import CommuneField, CountryField
from forms.validators import name_characters

EMAIL_REQUIRED = "Saisissez votre adresse e-mail."
EMAIL_INVALID = "Saisissez une adresse e-mail valide, par exemple prenom.nom@exemple.fr."


def email_validators(message=EMAIL_REQUIRED):
    return [DataRequired(message), Length(max=254, message="L’adresse e-mail doit faire 254 caractères maximum."),
            Email(EMAIL_INVALID, check_deliverability=False)]


def last_name_field():
    return StringField("Nom", [DataRequired("Saisissez votre nom."),
                               Length(max=80, message="Le nom doit faire 80 caractères maximum."),
                               name_characters("nom")],
                       render_kw={"autocomplete": "family-name"})


def first_name_field():
    return StringField("Prénom", [DataRequired("Saisissez votre prénom."),
                                  Length(max=80, message="Le prénom doit faire 80 caractères maximum."),
                                  name_characters("prénom")],
                       render_kw={"autocomplete": "given-name"})


def new_password_field(label="Mot de passe"):
    return PasswordField(label, [InputRequired("Saisissez un mot de passe."), PasswordRule()],
                         description=PASSWORD_HINT, render_kw={"autocomplete": "new-password",
                                                               "maxlength": PASSWORD_MAX})


def confirm_password_field(label="Confirmation du mot de passe", other="password"):
    return PasswordField(label, [InputRequired("Confirmez le mot de passe."),
                                 EqualTo(other, "Les deux mots de passe ne sont pas identiques.")],
                         render_kw={"autocomplete": "new-password", "maxlength": PASSWORD_MAX})


class LoginForm(Form):
    email = EmailField("Adresse e-mail", email_validators(), render_kw={"autocomplete": "username"})
    password = PasswordField("Mot de passe", [InputRequired("Saisissez votre mot de passe."),
                                              Length(max=PASSWORD_MAX)],
                             render_kw={"autocomplete": "current-password"})


class LogoutForm(Form):
    pass


class RegistrationForm(Form):
    civility = RadioField("Civilité", choices=[SelectChoice("Mme", "Madame"), SelectChoice("M.", "Monsieur")],
                          validators=[InputRequired("Sélectionnez votre civilité.")])
    first_name = first_name_field()
    last_name = last_name_field()
    email = EmailField("Courriel personnel", email_validators("Saisissez votre courriel personnel."),
                       description="Une même adresse mail ne peut être liée qu’à un seul compte.",
                       render_kw={"autocomplete": "email"})
    birth_date = DateFRField("Date de naissance", [InputRequired("Saisissez votre date de naissance.")],
                             not_future=True, render_kw={"autocomplete": "bday", "inputmode": "numeric"})
    birth_country = CountryField("Pays de naissance")
    birth_commune = CommuneField("Code postal ou ville de naissance")
    birth_city_abroad = StringField(
        "Ville de naissance", [Length(max=120, message="La ville doit faire 120 caractères maximum.")],
        description="Si le pays sélectionné n’est pas la France, saisissez la ville en entier.")
    password = new_password_field()
    password_confirm = confirm_password_field()
    accept = BooleanField("J’accepte que les données personnelles saisies soient utilisées pour la gestion "
                          "de mon compte et de mes demandes.",
                          validators=[DataRequired("Cochez la case relative aux données personnelles pour valider.")])

    def born_abroad(self):
        return (self.birth_country.data or "FR") != "FR"

    def validate(self, extra_validators=None):
        self.birth_commune.active = not self.born_abroad()
        return super().validate(extra_validators)

    def validate_birth_city_abroad(self, field):
        if self.born_abroad() and not (field.data or "").strip():
            raise ValidationError("Saisissez la ville de naissance en entier.")


class ForgotPasswordForm(Form):
    email = EmailField("Adresse e-mail", email_validators(),
                       description="Saisissez l’adresse mail renseignée lors de la création du compte.",
                       render_kw={"autocomplete": "email"})


class ResetPasswordForm(Form):
    password = new_password_field("Nouveau mot de passe")
    password_confirm = confirm_password_field("Confirmation du nouveau mot de passe")


class ChangePasswordForm(Form):
    current_password = PasswordField("Mot de passe actuel", [InputRequired("Saisissez votre mot de passe actuel."),
                                                             Length(max=PASSWORD_MAX)],
                                     render_kw={"autocomplete": "current-password"})
    password = new_password_field("Nouveau mot de passe")
    password_confirm = confirm_password_field("Confirmation du nouveau mot de passe")


class ChangeEmailForm(Form):
    email = EmailField("Nouvelle adresse mail", email_validators("Saisissez la nouvelle adresse mail."),
                       render_kw={"autocomplete": "email"})
    email_confirm = EmailField("Confirmation de la nouvelle adresse mail",
                               [DataRequired("Confirmez la nouvelle adresse mail."),
                                EqualTo("email", "Les deux adresses mail ne sont pas identiques.")],
                               render_kw={"autocomplete": "email"})


class ConfirmEmailChangeForm(Form):
    pass


class ActivationForm(ResetPasswordForm):
    """A technician or agent created by someone else chooses their password."""


class OwnActivationForm(Form):
    """A citizen who signed up proves that the link reached the person who chose the password."""
    password = PasswordField("Mot de passe", [InputRequired("Saisissez le mot de passe choisi lors de votre "
                                                            "inscription."), Length(max=PASSWORD_MAX)],
                             description="Le mot de passe choisi lors de votre inscription.",
                             render_kw={"autocomplete": "current-password"})
