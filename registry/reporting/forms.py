"""The statistics pages' forms: input only; the services produce, request and save (style.md).

Census days come from ``registry.census``; how a quarter is spelt belongs to
``registry.reporting.pack``.
"""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateformat import format as format_date

from registry.census import (
    census_days_description,
    is_census_day,
    latest_census_on_or_before,
)
from registry.form_errors import GovukForm
from registry.forms import date_field
from registry.models import Geography
from registry.reporting.pack import last_ended_quarter, parse_quarter
from registry.school_age import academic_year_label, academic_year_start

NOT_A_CENSUS_DAY = "{day} is not a school census day. The census days in {year} are {days}"
CENSUS_DAY_IN_FUTURE = "The census date must be today or in the past"
NO_FIGURES = "Enter at least one figure"
QUARTER_HINT = "For example, 2025-Q3 for July to September 2025"
# GOV.UK asks for text inputs with a numeric keyboard, not type="number".
COUNT_INPUT = forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"})
RATE_INPUT = forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "decimal"})


def day_month_year(day: date) -> str:
    return format_date(day, "j F Y")


def not_a_census_day_message(day: date) -> str:
    return NOT_A_CENSUS_DAY.format(
        day=day_month_year(day),
        year=academic_year_label(academic_year_start(day)),
        days=census_days_description(day, describe=day_month_year),
    )


def validate_census_day(day: date) -> None:
    if not is_census_day(day):
        raise ValidationError(not_a_census_day_message(day), code="not_census_day")


class DfEReturnForm(GovukForm):
    census_date = date_field(
        "Census date",
        hint="The school census day the return is for. For example, 2 10 2025",
    )
    again = forms.BooleanField(
        required=False,
        label="Produce it again if it has been produced before",
        help_text="Only when the records have been corrected since: the earlier one is kept",
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["census_date"].initial = latest_census_on_or_before(today)

    def clean_census_date(self):
        day = self.cleaned_data["census_date"]
        if day > self.today:
            raise ValidationError(CENSUS_DAY_IN_FUTURE, code="future")
        validate_census_day(day)
        return day


class QuarterlyPackForm(GovukForm):
    quarter = forms.CharField(
        label="Quarter",
        help_text=QUARTER_HINT,
        max_length=7,
        error_messages={"required": "Enter the quarter, for example 2025-Q3"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10"}),
    )
    again = forms.BooleanField(
        required=False,
        label="Produce it again if it has been produced before",
        help_text="Only when the records have been corrected since: the earlier one is kept",
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["quarter"].initial = last_ended_quarter(today).key

    def clean_quarter(self) -> str:
        """The quarter's key ("2025-Q3"), once it has ended."""
        try:
            quarter = parse_quarter(self.cleaned_data["quarter"], ended_by=self.today)
        except ValueError as error:
            raise ValidationError(str(error), code="quarter") from error
        return quarter.key


class PopulationEstimateForm(GovukForm):
    mid_year = forms.IntegerField(
        label="Mid-year",
        help_text="The year of the ONS mid-year estimate. For example, 2024",
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": "Enter the year of the estimate",
            "invalid": "Enter the year as a number, for example 2024",
            "min_value": "Enter a year from 2000 onwards",
            "max_value": "Enter a year before 2100",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "inputmode": "numeric"}),
    )
    aged_5_to_16 = forms.IntegerField(
        label="Population aged 5 to 16",
        help_text="In the local authority",
        min_value=1,
        error_messages={
            "required": "Enter the population aged 5 to 16",
            "invalid": "Enter the population as a whole number",
            "min_value": "Enter a population of 1 or more",
        },
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric"}),
    )
    source = forms.CharField(
        label="Source",
        help_text="For example, ONS mid-year population estimates, released June 2025",
        max_length=300,
        required=False,
    )


class ComparatorFigureForm(GovukForm):
    census_date = date_field("Census date", hint="For example, 2 10 2025")
    geography = forms.ChoiceField(
        label="Figures for",
        choices=Geography.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the figures are for England or the region"},
    )
    ehe_count = forms.IntegerField(
        label="Children in EHE", min_value=0, required=False, widget=COUNT_INPUT
    )
    ehe_rate_per_100 = forms.DecimalField(
        label="EHE rate per 100 children",
        min_value=0,
        max_digits=5,
        decimal_places=2,
        required=False,
        widget=RATE_INPUT,
    )
    cme_count = forms.IntegerField(
        label="Children missing education", min_value=0, required=False, widget=COUNT_INPUT
    )
    cme_rate_per_100 = forms.DecimalField(
        label="CME rate per 100 children",
        min_value=0,
        max_digits=5,
        decimal_places=2,
        required=False,
        widget=RATE_INPUT,
    )
    source = forms.CharField(
        label="Source",
        help_text="For example, DfE Elective home education, autumn term 2025/26",
        max_length=300,
        required=False,
    )

    FIGURES = ("ehe_count", "ehe_rate_per_100", "cme_count", "cme_rate_per_100")

    def clean_census_date(self):
        day = self.cleaned_data["census_date"]
        validate_census_day(day)
        return day

    def clean(self):
        cleaned = super().clean()
        if not self.errors and all(cleaned.get(field) is None for field in self.FIGURES):
            raise ValidationError(NO_FIGURES, code="no_figures")
        return cleaned

    def figures(self) -> dict:
        """The figures and their source, as the service takes them."""
        return {field: self.cleaned_data[field] for field in (*self.FIGURES, "source")}
