from govuk_frontend_wtf.wtforms_widgets import (
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import EmailField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp

from engage.forms import MAX_EMAIL_LENGTH, EngageForm, NoControlCharacters, TextRequired, select_choices
from engage.models.accounts import ROLE_LABELS, Role


class CouncilForm(EngageForm):
    name = StringField(
        "Council name",
        widget=GovTextInput(),
        validators=[
            TextRequired(message="Enter the council's name"),  # spaces alone are not a name
            Length(max=120, message="Council name must be 120 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    slug = StringField(
        "Web address name",
        widget=GovTextInput(),
        description="Lower-case letters, numbers and hyphens, like north-somerset",
        validators=[
            InputRequired(message="Enter a web address name"),
            Length(min=2, max=60, message="Web address name must be 2 to 60 characters"),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message="Web address name can only have lower-case letters, numbers and hyphens",
            ),
        ],
    )
    intro = TextAreaField(
        "Introduction for residents (optional)",
        widget=GovTextArea(),
        validators=[
            Optional(),
            Length(max=2000, message="Introduction must be 2,000 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    submit = SubmitField("Create council", widget=GovSubmitInput())


class InviteForm(EngageForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the email address of the person to invite"),
            Length(max=MAX_EMAIL_LENGTH, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
        ],
    )
    role = RadioField(
        "Role",
        widget=GovRadioInput(),
        choices=select_choices((r.value, ROLE_LABELS[r]) for r in Role),
        validators=[InputRequired(message="Select a role")],
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())
