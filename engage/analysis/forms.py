from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from engage.forms import EngageForm, NoControlCharacters


class StartRunForm(EngageForm):
    question = SelectField(
        "What to analyse",
        widget=GovRadioInput(),
        coerce=str,
        validators=[InputRequired(message="Choose what to analyse")],
    )
    submit = SubmitField("Start analysis", widget=GovSubmitInput())


class RenameForm(EngageForm):
    label = StringField(
        "Theme name",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a name for the theme"),
            Length(max=120, message="Theme name must be 120 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    description = TextAreaField(
        "Description",
        widget=GovTextArea(),
        description="One or two sentences a councillor can read on their own.",
        validators=[Length(max=1000, message="Description must be 1000 characters or fewer"), NoControlCharacters()],
    )
    submit = SubmitField("Save theme", widget=GovSubmitInput())


class MergeForm(EngageForm):
    themes = SelectMultipleField(
        "Themes to merge into this one",
        widget=GovCheckboxesInput(),
        coerce=int,
        validators=[InputRequired(message="Choose at least one theme to merge")],
    )
    submit = SubmitField("Merge themes", widget=GovSubmitInput())


class SplitForm(EngageForm):
    parts = IntegerField(
        "Number of sub-themes",
        widget=GovTextInput(),
        default=2,
        validators=[
            InputRequired(message="Enter how many sub-themes to split into, like 2"),
            NumberRange(min=2, max=10, message="Split a theme into between 2 and 10 sub-themes"),
        ],
    )
    submit = SubmitField("Split theme", widget=GovSubmitInput())


class MoveForm(EngageForm):
    answers = SelectMultipleField(
        "Answers", coerce=int, validators=[InputRequired(message="Select at least one answer to move")]
    )
    target = SelectField("Move the selected answers to", widget=GovSelect(), coerce=int)
    submit = SubmitField("Move answers", widget=GovSubmitInput())


class CreateThemeForm(EngageForm):
    label = StringField(
        "Name of the new theme",
        widget=GovTextInput(),
        validators=[
            InputRequired(message="Enter a name for the new theme"),
            Length(max=120, message="Theme name must be 120 characters or fewer"),
            NoControlCharacters(),
        ],
    )
    answers = SelectMultipleField(
        "Answers", coerce=int, validators=[InputRequired(message="Select at least one answer for the new theme")]
    )
    submit = SubmitField("Create theme from selected answers", widget=GovSubmitInput())


class WhatWeDidForm(EngageForm):
    what_we_did = TextAreaField(
        "What we did",
        widget=GovTextArea(),
        description="What the council did about this theme. Shown to the public when the results are published.",
        validators=[Length(max=3000, message="“What we did” must be 3000 characters or fewer"), NoControlCharacters()],
    )
    submit = SubmitField("Save", widget=GovSubmitInput())


class ConfirmForm(EngageForm):
    """A button-only form (hide, show, pin, unpin): CSRF protection and nothing else."""
