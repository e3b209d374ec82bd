"""Forms for prizes. Forms whose questions depend on the prize (entry form, eligibility, scores) are built per prize."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from engage.forms import MAX_EMAIL_LENGTH, EngageForm, NoControlCharacters, TextRequired, clean_text, select_choices
from engage.models.prizes import DECISION_LABELS, Decision, Prize

STRIP = [clean_text]


def _email_field(label: str = "Email address") -> EmailField:
    return EmailField(
        label,
        widget=GovTextInput(),
        filters=[lambda v: (v or "").strip()],
        validators=[
            InputRequired(message="Enter an email address"),
            Length(max=MAX_EMAIL_LENGTH, message="Email address must be 254 characters or fewer"),
            Email(message="Enter an email address in the correct format, like name@example.com"),
        ],
    )


class ActionForm(EngageForm):
    """A button that only needs the CSRF token."""

    submit = SubmitField("Continue", widget=GovSubmitInput())


class RegisterForm(EngageForm):
    email = _email_field()
    submit = SubmitField("Continue", widget=GovSubmitInput())


class CompleteRegistrationForm(EngageForm):
    name = StringField(
        "Your full name",
        widget=GovTextInput(),
        filters=STRIP,
        validators=[TextRequired(message="Enter your full name"), Length(max=120), NoControlCharacters()],
    )
    password = PasswordField(
        "Create a password",
        widget=GovPasswordInput(),
        description="Use 10 characters or more. Three random words is a good way to make one.",
        validators=[InputRequired(message="Create a password")],
    )
    submit = SubmitField("Create account", widget=GovSubmitInput())


class TeamForm(EngageForm):
    email = _email_field("Email address of the person to invite")
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


# Required text is checked after STRIP, so that spaces or control characters alone count as empty.
def _text(label: str, required: str | None = None, max_length: int = 200, **kwargs: Any) -> StringField:
    validators: list[Any] = [TextRequired(message=required)] if required else [Optional()]
    validators += [Length(max=max_length, message=f"{label} must be {max_length} characters or fewer")]
    return StringField(label, widget=GovTextInput(), filters=STRIP, validators=validators, **kwargs)


def _area(label: str, required: str | None = None, max_length: int = 20000, **kwargs: Any) -> TextAreaField:
    validators: list[Any] = [TextRequired(message=required)] if required else [Optional()]
    validators += [Length(max=max_length, message=f"{label} must be {max_length} characters or fewer")]
    return TextAreaField(label, widget=GovTextArea(), filters=STRIP, validators=validators, **kwargs)


def _int(label: str, low: int, high: int, **kwargs: Any) -> IntegerField:
    return IntegerField(
        label,
        widget=GovTextInput(),
        validators=[
            InputRequired(message=f"Enter {label.lower()} as a whole number"),
            NumberRange(min=low, max=high, message=f"{label} must be between {low} and {high}"),
        ],
        **kwargs,
    )


DATE_HINT = "Europe/London time, for example 31/01/2027 17:00"


class PrizeForm(EngageForm):
    title = _text("Title", "Enter a title for the prize")
    summary = _text("Summary", "Enter a one-sentence summary", max_length=500)
    problem = _area(
        "Problem statement",
        "Describe the problem the prize should solve",
        description="Markdown: **bold**, lists with -, links.",
    )
    evidence = _area("The evidence behind it", description="Markdown. What residents and data tell us.")
    evidence_theme_ids = SelectMultipleField(
        "Consultation themes to quote as evidence",
        widget=GovCheckboxesInput(),
        choices=[],
        description="Each is shown on the prize's page with its share of answers and a quote.",
        validators=[Optional()],
    )
    prize_money = _text("Prize money", "Enter the prize money", description="For example, £50,000 in total")
    entry_closes = _text("Entry deadline", "Enter the entry deadline", max_length=20, description=DATE_HINT)
    judging_closes = _text(
        "Judging deadline for the entries round",
        max_length=20,
        description=DATE_HINT + ". Leave empty to close judging by hand.",
    )
    shortlist_closes = _text("Shortlist stage deadline", max_length=20, description=DATE_HINT)
    final_closes = _text("Final stage deadline", max_length=20, description=DATE_HINT)
    criteria = _area(
        "Judging criteria",
        "Enter at least one judging criterion",
        description="One a line: name | weight | what judges look for",
    )
    score_min = _int("Lowest score", 0, 10, default=1)
    score_max = _int("Highest score", 1, 10, default=5)
    descriptors = _area("Score descriptors", description="One a line: score: what it means, for example 3: Good")
    eligibility = _area(
        "Eligibility questions",
        description="One a line: question | the answer needed (yes or no) | why, shown to those not eligible",
    )
    entry_fields = _area(
        "Entry form questions",
        "Enter at least one question for the entry form",
        description="One a line: question | required or optional | word limit",
    )
    allow_attachments = BooleanField(
        "Entrants may attach files (PDF, Word, PNG, JPEG)", widget=GovCheckboxInput(), default=True
    )
    terms = _area("Terms entrants accept", "Enter the terms entrants must accept")
    ip_conditions = _area("Intellectual property conditions", "Enter the intellectual property conditions")
    blind_judging = BooleanField(
        "Blind judging: hide entrants' names, teams, organisations and file names from judges",
        widget=GovCheckboxInput(),
        default=True,
    )
    judges_per_entry = _int("Judges per entry", 1, 20, default=2)
    judge_cap = _int("Most entries per judge", 1, 1000, default=10)
    shortlist_size = _int("Shortlist size", 1, 1000, default=5)
    submit = SubmitField("Save prize", widget=GovSubmitInput())


def start_entry_form(prize: Prize, teams: list[Any], data: Any = None) -> EngageForm:
    class StartEntryForm(EngageForm):
        pass

    if teams:
        choices = select_choices([(str(t.id), t.name) for t in teams] + [("new", "A new team")])
        StartEntryForm.team_id = RadioField(
            "Who is entering?",
            widget=GovRadioInput(),
            choices=choices,
            default="new",
            validators=[InputRequired(message="Choose who is entering")],
        )
    StartEntryForm.team_name = _text(
        "Team name",
        max_length=120,
        description="Your own name if you are entering alone. Hidden from judges when judging is blind.",
    )
    StartEntryForm.organisation = _text("Organisation (if any)", max_length=200)
    for index, question in enumerate(prize.eligibility):
        setattr(
            StartEntryForm,
            f"q{index}",
            RadioField(
                question["question"],
                widget=GovRadioInput(),
                choices=select_choices([("yes", "Yes"), ("no", "No")]),
                validators=[InputRequired(message=f"Answer: {question['question']}")],
            ),
        )
    StartEntryForm.accept_terms = BooleanField(
        "I accept the terms and the intellectual property conditions",
        widget=GovCheckboxInput(),
        validators=[InputRequired(message="You must accept the terms and intellectual property conditions")],
    )
    StartEntryForm.submit = SubmitField("Start your entry", widget=GovSubmitInput())
    return StartEntryForm(data=data)


def entry_form(prize: Prize, data: Any = None) -> EngageForm:
    class EntryForm(EngageForm):
        title = _text("Title of your entry", max_length=200)

    for field in prize.entry_fields:
        setattr(
            EntryForm,
            field["key"],
            TextAreaField(
                field["label"] + ("" if field["required"] else " (optional)"),
                widget=GovCharacterCount(),
                filters=STRIP,
                description=f"Up to {field['max_words']} words.",
                validators=[Optional(), Length(max=60000)],
            ),
        )
    EntryForm.save = SubmitField("Save draft", widget=GovSubmitInput())
    EntryForm.submit = SubmitField("Submit entry", widget=GovSubmitInput())
    return EntryForm(data=data)


class AttachmentForm(EngageForm):
    file = FileField(
        "Upload a file", widget=GovFileInput(), description="PDF, Word (DOCX), PNG or JPEG, smaller than 10MB."
    )
    upload = SubmitField("Upload file", widget=GovSubmitInput())


class WithdrawForm(EngageForm):
    confirm = BooleanField(
        "I want to withdraw this entry",
        widget=GovCheckboxInput(),
        validators=[InputRequired(message="Confirm that you want to withdraw the entry")],
    )
    submit = SubmitField("Withdraw entry", widget=GovSubmitInput())


def conflict_form(choices: list[tuple[int, str]]) -> EngageForm:
    class ConflictForm(EngageForm):
        entries = SelectMultipleField(
            "Entrants you have a conflict of interest with",
            widget=GovCheckboxesInput(),
            choices=select_choices((str(value), label) for value, label in choices),
            description="For example, you work with them, have worked with them in the last 3 years, are related "
            "to them, or stand to gain from their success. Leave all unticked if you have none.",
            # No Optional(): it would clear the "Not a valid choice" error for a posted empty value.
        )
        reason = _area("Describe your conflicts", max_length=500)
        submit = SubmitField("Confirm my declaration", widget=GovSubmitInput())

    return ConflictForm()


def score_form(prize: Prize, data: Any = None) -> EngageForm:
    class ScoreForm(EngageForm):
        pass

    scale = range(prize.score_min, prize.score_max + 1)
    for criterion in prize.criteria:
        choices = []
        for value in scale:
            words = prize.descriptors.get(str(value), "")
            choices.append((str(value), f"{value}" + (f": {words}" if words else "")))
        setattr(
            ScoreForm,
            f"c{criterion.id}",
            RadioField(
                f"{criterion.name} (weight {criterion.weight:g})",
                widget=GovRadioInput(),
                choices=select_choices(choices),
                description=criterion.description,
                validators=[Optional()],
                validate_choice=False,  # the service checks the range, with a clearer message
            ),
        )
        setattr(ScoreForm, f"comment{criterion.id}", _area(f"Comment on {criterion.name}", max_length=2000))
    ScoreForm.submit = SubmitField("Save scores", widget=GovSubmitInput())
    return ScoreForm(data=data)


class AutoAssignForm(EngageForm):
    k = _int("Judges per entry", 1, 20)
    cap = _int("Most entries per judge", 1, 1000)
    seed = IntegerField(
        "Seed",
        widget=GovTextInput(),
        default=0,
        validators=[Optional()],
        description="The same seed gives the same assignment.",
    )
    submit = SubmitField("Assign judges", widget=GovSubmitInput())


def manual_assign_form(entries: list[tuple[int, str]], judges: list[tuple[int, str]]) -> EngageForm:
    class ManualAssignForm(EngageForm):
        entry_id = SelectField(
            "Entry",
            widget=GovSelect(),
            choices=select_choices((str(v), t) for v, t in entries),
            validators=[InputRequired(message="Choose an entry")],
        )
        judge_id = SelectField(
            "Judge",
            widget=GovSelect(),
            choices=select_choices((str(v), t) for v, t in judges),
            validators=[InputRequired(message="Choose a judge")],
        )
        add = SubmitField("Add judge to entry", widget=GovSubmitInput())

    return ManualAssignForm()


class DecisionForm(EngageForm):
    decision = RadioField(
        "Decision",
        widget=GovRadioInput(),
        choices=select_choices((d.value, DECISION_LABELS[d]) for d in Decision),
        validators=[InputRequired(message="Choose a decision")],
    )
    feedback = _area(
        "Feedback to the entrant", max_length=5000, description="Shown to the entrant once results are published."
    )
    approve = BooleanField("Approve this feedback for publication", widget=GovCheckboxInput())
    submit = SubmitField("Save decision", widget=GovSubmitInput())


class PublishForm(EngageForm):
    summary = _area(
        "Summary of the results",
        "Write a summary of the results",
        max_length=10000,
        description="Markdown. Shown on the prize's page.",
    )
    submit = SubmitField("Publish results", widget=GovSubmitInput())
