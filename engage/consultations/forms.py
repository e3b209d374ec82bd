"""Forms for officers (consultations, questions, documents, import, moderation) and residents (one question a page)."""

from __future__ import annotations

from datetime import datetime, time

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovDateInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from engage import LONDON
from engage.consultations.services import EQUALITY_QUESTIONS, PREFER_NOT_TO_SAY
from engage.forms import MAX_EMAIL_LENGTH, EngageForm, NoControlCharacters, TextRequired, select_choices
from engage.models.consultations import (
    IDENTITY_LABELS,
    KIND_LABELS,
    RESPONDENT_TYPE_LABELS,
    RETENTION_ACTION_HINTS,
    RETENTION_ACTION_LABELS,
    TOPIC_LABELS,
    QuestionKind,
)

TIME_RE = r"^\s*([01]?\d|2[0-3])[:.]([0-5]\d)\s*$"


class GovDateField(DateField):
    """Day, month and year boxes; a GOV.UK message when the date is not real."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("format", "%d %m %Y")
        kwargs.setdefault("widget", GovDateInput())
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):  # type: ignore[no-untyped-def]
        if len(valuelist) != 3:
            self.raw_data = None if not valuelist else (list(valuelist) + ["", "", ""])[:3]
        if not valuelist or not any(v.strip() for v in valuelist):
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            self.data = None
            raise ValueError(f"{self.label.text} must be a real date") from exc


def london_datetime(day, clock: str | None) -> datetime | None:  # type: ignore[no-untyped-def]
    """A date and a 24-hour time entered in Europe/London, as an aware datetime (stored in UTC by the model)."""
    if day is None:
        return None
    hour, minute = 0, 0
    if clock and clock.strip():
        hour, minute = (int(p) for p in clock.strip().replace(".", ":").split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


class ConsultationForm(EngageForm):
    title = StringField(
        "Title",
        widget=GovTextInput(),
        validators=[
            TextRequired(message="Enter a title"),  # spaces alone are not a title
            Length(max=200, message="Title must be 200 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    summary = TextAreaField(
        "Summary",
        widget=GovTextArea(),
        description="One or two sentences shown in lists of consultations.",
        validators=[
            TextRequired(message="Enter a summary"),
            Length(max=600, message="Summary must be 600 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    proposal = TextAreaField(
        "The proposal",
        widget=GovTextArea(),
        description="What is proposed and why. You can use Markdown: ## for headings, * for lists, [text](link).",
        validators=[
            Optional(),
            Length(max=50000, message="Proposal must be 50,000 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    topic = RadioField(
        "Topic",
        widget=GovRadioInput(),
        choices=select_choices((t.value, label) for t, label in TOPIC_LABELS.items()),
        validators=[InputRequired(message="Select a topic")],
    )
    identity_mode = RadioField(
        "How people respond",
        widget=GovRadioInput(),
        choices=select_choices((m.value, label) for m, label in IDENTITY_LABELS.items()),
        default="anonymous",
        validators=[InputRequired(message="Select how people respond")],
    )
    wards = TextAreaField(
        "Wards",
        widget=GovTextArea(),
        description="The council's wards, one on each line. Residents can pick one in a location question.",
        validators=[
            Optional(),
            Length(max=5000, message="Wards must be 5,000 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    opens_on = GovDateField("Opening date (optional)", description="For example, 27 3 2027", validators=[Optional()])
    opens_time = StringField(
        "Opening time",
        widget=GovTextInput(),
        description="24-hour clock, UK time, like 09:00",
        validators=[Optional(), Regexp(TIME_RE, message="Enter the opening time like 09:00 or 17:30")],
    )
    closes_on = GovDateField("Closing date", description="For example, 30 4 2027", validators=[Optional()])
    closes_time = StringField(
        "Closing time",
        widget=GovTextInput(),
        description="24-hour clock, UK time, like 23:59",
        validators=[Optional(), Regexp(TIME_RE, message="Enter the closing time like 09:00 or 23:59")],
    )
    retention_months = IntegerField(
        "Keep responses for (months after closing)",
        widget=GovTextInput(),
        default=24,
        validators=[
            InputRequired(message="Enter how many months to keep responses"),
            NumberRange(min=1, max=120, message="Months must be between 1 and 120"),
        ],
    )
    retention_action = RadioField(
        "When the retention period ends",
        widget=GovRadioInput(),
        description="The privacy notice tells residents which.",
        choices=select_choices((a.value, label) for a, label in RETENTION_ACTION_LABELS.items()),
        default="delete",
        validate_choice=False,  # the service refuses anything else, with a clearer message
        validators=[InputRequired(message="Select what happens to the responses when the retention period ends")],
    )
    retention_hints = [RETENTION_ACTION_HINTS[a] for a in RETENTION_ACTION_LABELS]  # in the order of the choices
    ask_about_you = BooleanField(
        "Ask who people are responding as (resident, business, group or organisation)",
        widget=GovCheckboxInput(),
        default=True,
    )
    ask_equality = BooleanField("Ask optional equality monitoring questions", widget=GovCheckboxInput())
    privacy_extra = TextAreaField(
        "Anything to add to the privacy notice (optional)",
        widget=GovTextArea(),
        validators=[Optional(), Length(max=5000, message="Must be 5,000 characters or fewer"), NoControlCharacters()],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())

    def validate_closes_time(self, field):  # type: ignore[no-untyped-def]
        if field.data and not self.closes_on.data:
            raise ValidationError("Enter the closing date as well as the time")

    def validate_opens_time(self, field):  # type: ignore[no-untyped-def]
        if field.data and not self.opens_on.data:
            raise ValidationError("Enter the opening date as well as the time")


class QuestionForm(EngageForm):
    kind = RadioField(
        "Kind of question",
        widget=GovRadioInput(),
        choices=select_choices((k.value, label) for k, label in KIND_LABELS.items()),
        validators=[InputRequired(message="Select the kind of question")],
    )
    text = StringField(
        "Question",
        widget=GovTextInput(),
        validators=[
            TextRequired(message="Enter the question"),
            Length(max=500, message="Question must be 500 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    hint = TextAreaField(
        "Hint (optional)",
        widget=GovTextArea(),
        validators=[
            Optional(),
            Length(max=1000, message="Hint must be 1,000 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    options = TextAreaField(
        "Options (single and multiple choice)",
        widget=GovTextArea(),
        description="One on each line.",
        validators=[
            Optional(),
            Length(max=5000, message="Options must be 5,000 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    char_limit = IntegerField(
        "Character limit (free text)",
        widget=GovTextInput(),
        default=1500,
        validators=[
            Optional(),
            NumberRange(min=10, max=10000, message="Character limit must be between 10 and 10,000"),
        ],
    )
    why_text = StringField(
        "The 'why' question (support or oppose)",
        widget=GovTextInput(),
        default="Why do you say that?",
        description="Asked on the next page. Its answers are analysed by whether people support or oppose.",
        validators=[
            Optional(),
            Length(max=500, message="Question must be 500 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    required = BooleanField("People must answer this question", widget=GovCheckboxInput())
    submit = SubmitField("Save question", widget=GovSubmitInput())


class DocumentForm(EngageForm):
    title = StringField(
        "Document title",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a title for the document"),
            Length(max=200, message="Title must be 200 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    file = FileField("Upload a file", widget=GovFileInput(), description="PDF, PNG, JPEG, GIF or WebP, up to 10MB.")
    submit = SubmitField("Upload document", widget=GovSubmitInput())


class ImportForm(EngageForm):
    file = FileField("Upload a CSV file", widget=GovFileInput())
    submit = SubmitField("Check and import", widget=GovSubmitInput())


class PublishForm(EngageForm):
    summary = TextAreaField(
        "What you told us and what we will do",
        widget=GovTextArea(),
        description="Shown to everyone on the consultation page. You can use Markdown.",
        validators=[
            InputRequired(message="Enter what you heard and what the council will do"),
            Length(max=20000, message="Must be 20,000 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    submit = SubmitField("Publish results", widget=GovSubmitInput())


class ModerateForm(EngageForm):
    action = RadioField(
        "Action",
        widget=GovRadioInput(),
        choices=select_choices(
            [
                ("flag", "Flag for review"),
                ("unflag", "Remove flag"),
                ("hide", "Hide from everyone but officers"),
                ("unhide", "Show again"),
            ]
        ),
        validators=[InputRequired(message="Select what to do with the answer")],
    )
    reason = StringField(
        "Reason",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter the reason"),
            Length(max=500, message="Reason must be 500 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    submit = SubmitField("Record", widget=GovSubmitInput())


class ActionForm(EngageForm):
    """A button that only needs a CSRF token."""


# ---------------------------------------------------------------- residents


class AnswerForm(EngageForm):
    question_id = HiddenField()
    submit = SubmitField("Continue", widget=GovSubmitInput())


def answer_form(question, wards: list[str], formdata=None, stored: dict | None = None):  # type: ignore[no-untyped-def]
    """A form for one question. Checks beyond the form (limits, choices) are made by services.clean_answer."""
    stored = stored or {}
    label = question.text + ("" if question.required else " (optional)")

    class _Form(AnswerForm):
        pass

    kind = question.kind
    if kind == QuestionKind.FREE_TEXT:
        _Form.answer = TextAreaField(label, widget=GovCharacterCount(), description=question.hint)
        data = {"answer": stored.get("text", "")}
    elif kind == QuestionKind.MULTI_CHOICE:
        _Form.answer = SelectMultipleField(
            label,
            widget=GovCheckboxesInput(),
            choices=select_choices(question.choice_items()),
            validate_choice=False,
            description=question.hint or "Select all that apply.",
        )
        data = {"answer": stored.get("choices", [])}
    elif kind == QuestionKind.LOCATION:
        _Form.ward = SelectField(
            "Your ward",
            widget=GovSelect(),
            choices=select_choices([("", "Select your ward"), *[(w, w) for w in wards]]),
            validate_choice=False,
        )
        _Form.postcode = StringField(
            "Or your postcode",
            widget=GovTextInput(),
            description="For example, NB1 4AA",
        )
        data = {"ward": (stored.get("choices") or [""])[0], "postcode": stored.get("text", "")}
    else:
        _Form.answer = RadioField(
            label,
            widget=GovRadioInput(),
            choices=select_choices(question.choice_items()),
            validate_choice=False,
            description=question.hint,
        )
        data = {"answer": (stored.get("choices") or [None])[0]}
    if formdata is not None:
        return _Form(formdata=formdata)  # the posted question_id is checked by the route
    form = _Form(data=data)
    form.question_id.data = str(question.id)
    return form


class AboutYouForm(EngageForm):
    respondent_type = RadioField(
        "Are you responding as",
        widget=GovRadioInput(),
        choices=select_choices((t.value, label) for t, label in RESPONDENT_TYPE_LABELS.items()),
        validate_choice=False,
    )
    organisation = StringField(
        "Name of the business, group or organisation",
        widget=GovTextInput(),
        description="Only if you are responding for one.",
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


def equality_form(formdata=None, stored: dict | None = None):  # type: ignore[no-untyped-def]
    class _Form(EngageForm):
        submit = SubmitField("Continue", widget=GovSubmitInput())

    for key, label, options in EQUALITY_QUESTIONS:
        setattr(
            _Form,
            key,
            RadioField(
                label + " (optional)",
                widget=GovRadioInput(),
                choices=select_choices((o, o) for o in [*options, PREFER_NOT_TO_SAY]),
                validate_choice=False,
            ),
        )
    if formdata is not None:
        return _Form(formdata=formdata)
    return _Form(data=stored or {})


class EmailForm(EngageForm):
    email = EmailField(
        "Email address",
        widget=GovTextInput(),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            InputRequired(message="Enter your email address"),
            Length(max=MAX_EMAIL_LENGTH, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
        ],
    )
    submit = SubmitField("Send me a link", widget=GovSubmitInput())


class SubmitResponseForm(EngageForm):
    idempotency_key = HiddenField()
    submit = SubmitField("Submit your response", widget=GovSubmitInput())


class WithdrawForm(EngageForm):
    confirm = BooleanField(
        "I want to withdraw my response",
        widget=GovCheckboxInput(),
        validators=[InputRequired(message="Confirm that you want to withdraw your response")],
    )
    submit = SubmitField("Withdraw my response", widget=GovSubmitInput())
