"""The administrators' pages for retention and disclosure (ADR 0011): legal holds (placed and
lifted here, through the services, with history), the retention job's runs and the disclosure
log (both read-only). Only a role holding ``Capability.ADMINISTER`` sees them. Registered from
``registry/admin.py``.
"""

from django import forms
from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from registry import selectors
from registry.admin_base import AdministratorsOnly
from registry.models import Disclosure, LegalHold, RetentionRun
from registry.services.retention import legal_hold_lift, legal_hold_place

HOLD_IN_PAST = "A hold cannot end before today"
LIFT_REASON_NEEDED = "Say why the hold is lifted"


class LegalHoldForm(forms.ModelForm):
    lift_reason = forms.CharField(
        label="Lift the hold: why",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Fill in only to lift the hold now.",
    )

    class Meta:
        model = LegalHold
        fields = ("child", "reason", "until")

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until is not None and until < timezone.localdate() and self.instance.pk is None:
            raise forms.ValidationError(HOLD_IN_PAST)
        return until


@admin.register(LegalHold)
class LegalHoldAdmin(AdministratorsOnly, SimpleHistoryAdmin):
    """Place a hold (child, reason, until or indefinite); lift it with a reason. A child held
    is never anonymised by the retention job. The history of each hold is kept."""

    form = LegalHoldForm
    list_display = ("child_id", "placed_at", "placed_by", "until", "lifted_at", "lifted_by")
    list_filter = ("lifted_at",)
    raw_id_fields = ("child",)
    search_fields = ("child__id",)

    def get_queryset(self, request):
        children = selectors.child_queryset_for_user(user=request.user)
        return LegalHold.objects.filter(child__in=children).select_related("placed_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("child", "reason", "until")
        return (
            "child_id",
            "reason",
            "until",
            "placed_by",
            "placed_at",
            "lifted_at",
            "lifted_by",
            *(("lift_reason",) if obj.lifted_at is None else ("lift_reason_given",)),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "child_id",
            "reason",
            "until",
            "placed_by",
            "placed_at",
            "lifted_at",
            "lifted_by",
            "lift_reason_given",
        )

    @admin.display(description="Why it was lifted")
    def lift_reason_given(self, obj):
        return obj.lift_reason

    def save_model(self, request, obj, form, change):
        if not change:
            hold = legal_hold_place(
                child=obj.child, by=request.user, reason=obj.reason, until=obj.until
            )
            obj.pk, obj.placed_by, obj.placed_at = hold.pk, hold.placed_by, hold.placed_at
            return
        lift_reason = form.cleaned_data.get("lift_reason", "").strip()
        if lift_reason and obj.lifted_at is None:
            legal_hold_lift(
                hold=LegalHold.objects.get(pk=obj.pk), by=request.user, reason=lift_reason
            )


@admin.register(RetentionRun)
class RetentionRunAdmin(AdministratorsOnly, admin.ModelAdmin):
    list_display = ("started_at", "as_at", "dry_run", "children_anonymised", "triggered_by")
    list_filter = ("dry_run",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Disclosure)
class DisclosureAdmin(AdministratorsOnly, admin.ModelAdmin):
    """The disclosure log: what left the register, who, to whom or where, why, how many
    children. Children are listed by id: opening a child's record is logged on its own page."""

    list_display = ("disclosed_at", "kind", "channel", "user", "children_count", "recipient")
    list_filter = ("kind", "channel")
    exclude = ("children",)
    readonly_fields = ("child_ids",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Children (record ids)")
    def child_ids(self, obj):
        return ", ".join(str(pk) for pk in obj.children.values_list("pk", flat=True))
