from govuk_frontend_wtf.wtforms_widgets import GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import Email, InputRequired, Length

from engage.forms import MAX_EMAIL_LENGTH, EngageForm, NoControlCharacters, TextRequired


class SignInForm(EngageForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter your email address"),
            Length(max=MAX_EMAIL_LENGTH, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
        ],
    )
    password = PasswordField(
        "Password",
        widget=GovPasswordInput(),
        validators=[
            InputRequired(message="Enter your password"),
            Length(max=128, message="Password must be 128 characters or fewer"),
        ],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class AcceptInvitationForm(EngageForm):
    name = StringField(
        "Your full name",
        widget=GovTextInput(),
        validators=[
            TextRequired(message="Enter your full name"),  # spaces alone are not a name
            Length(max=120, message="Name must be 120 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    password = PasswordField(
        "Create a password",
        widget=GovPasswordInput(),
        description="Use 10 characters or more. Three random words is a good way to make one.",
        validators=[InputRequired(message="Create a password")],
    )
    submit = SubmitField("Create account", widget=GovSubmitInput())
