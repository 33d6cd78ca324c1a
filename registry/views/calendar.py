"""The LA's school calendar: administrators import term dates and INSET and closure days from CSV
files (docs/rules/registration.md §5.3) and see what is loaded; they correct single days in the
administration pages. Thin: gate, bind the form, call one service, message, redirect.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from registry.access import Capability, user_can
from registry.form_errors import GovukForm
from registry.school_days import calendar_overview
from registry.services.calendar import (
    CalendarFileProblem,
    calendar_import_closures,
    calendar_import_terms,
)

CALENDAR_MAX_UPLOAD_BYTES = 1_000_000
TOO_LARGE = "The file must be smaller than {limit}"
# The error summary names the first problems by row, column and value; the table lists them all.
PROBLEMS_IN_SUMMARY = 10
PROBLEM_IN_SUMMARY = "Row {row}, column {column}: {message}"
MORE_PROBLEMS = "{count} more problem(s) are listed in the table below"
IMPORTS = {
    "terms": ("Term dates", calendar_import_terms),
    "closures": ("INSET and closure days", calendar_import_closures),
}


class CalendarUploadForm(GovukForm):
    file = forms.FileField(
        label="Upload a CSV file", error_messages={"required": "Choose a CSV file to upload"}
    )

    def __init__(self, *args, which: str, **kwargs):
        super().__init__(*args, prefix=which, **kwargs)
        self.which = which
        self.fields["file"].label = IMPORTS[which][0]
        self.fields["file"].help_text = (
            "Columns: Term, First day, Last day. Dates as 03/09/2025."
            if which == "terms"
            else "Columns: URN (blank for a day every school is closed), Date, Kind (INSET or "
            "closure), Description. Dates as 03/09/2025."
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CALENDAR_MAX_UPLOAD_BYTES:
            limit = filesizeformat(CALENDAR_MAX_UPLOAD_BYTES)
            raise forms.ValidationError(TOO_LARGE.format(limit=limit))
        return upload


@login_required
def school_calendar(request):
    if not user_can(request.user, Capability.ADMINISTER):
        raise PermissionDenied
    forms_by_kind = {which: CalendarUploadForm(which=which) for which in IMPORTS}
    result = None
    which = request.POST.get("which")
    if request.method == "POST" and which in IMPORTS:
        form = CalendarUploadForm(request.POST, request.FILES, which=which)
        forms_by_kind[which] = form
        if form.is_valid():
            try:
                result = IMPORTS[which][1](data=form.cleaned_data["file"].read(), by=request.user)
            except CalendarFileProblem as problem:
                form.add_error("file", problem.message)
            else:
                if not result.rejected:
                    messages.success(request, result.summary)
                    return redirect("registry:school-calendar")
                form.add_error("file", result.summary)
                for problem in result.rejected[:PROBLEMS_IN_SUMMARY]:
                    form.add_error("file", PROBLEM_IN_SUMMARY.format(**vars(problem)))
                if len(result.rejected) > PROBLEMS_IN_SUMMARY:
                    more = len(result.rejected) - PROBLEMS_IN_SUMMARY
                    form.add_error("file", MORE_PROBLEMS.format(count=more))
    today = timezone.localdate()
    context = {
        **calendar_overview(today=today),
        "terms_form": forms_by_kind["terms"],
        "closures_form": forms_by_kind["closures"],
        "form": forms_by_kind[which] if which in IMPORTS else None,
        "result": result,
    }
    return render(request, "registry/school_calendar.html", context)
