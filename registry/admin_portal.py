"""The administrators' pages for the parent portal (ADR 0014): complaints (choose a handler when
none was eligible, through the service that refuses the officer complained about), parents'
links to carer records, and the sign-in link requests (read-only). Registered from
``registry/admin.py``."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from simple_history.admin import SimpleHistoryAdmin

from registry.admin_base import AdministratorsOnly, ChildPagesLogged
from registry.models import Complaint, ParentLink, PortalLinkRequest
from registry.portal.services import complaint_handler_assign, complaint_handler_eligible


class ComplaintForm(forms.ModelForm):
    class Meta:
        model = Complaint
        fields = ("handler",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            eligible = complaint_handler_eligible(complaint=self.instance)
            self.fields["handler"].queryset = self.fields["handler"].queryset.filter(
                pk__in=[user.pk for user in eligible]
            )


@admin.register(Complaint)
class ComplaintAdmin(ChildPagesLogged, AdministratorsOnly, SimpleHistoryAdmin):
    form = ComplaintForm
    list_display = ("child_id", "received_at", "status", "handler", "acknowledge_by", "respond_by")
    list_filter = ("status",)
    readonly_fields = (
        "child",
        "made_by",
        "about_officer",
        "about_text",
        "text",
        "status",
        "received_at",
        "acknowledge_by",
        "respond_by",
        "acknowledged_on",
        "responded_on",
    )

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        try:
            complaint_handler_assign(
                complaint=obj, handler=form.cleaned_data["handler"], by=request.user
            )
        except ValidationError as error:
            raise ValidationError(error.messages) from error


@admin.register(ParentLink)
class ParentLinkAdmin(AdministratorsOnly, SimpleHistoryAdmin):
    list_display = ("user", "carer", "created_at")
    readonly_fields = ("user", "carer", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PortalLinkRequest)
class PortalLinkRequestAdmin(AdministratorsOnly, admin.ModelAdmin):
    list_display = ("requested_at", "ip_address", "sent", "refused")
    list_filter = ("sent", "refused")
    readonly_fields = ("address_hash", "ip_address", "requested_at", "sent", "refused")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
