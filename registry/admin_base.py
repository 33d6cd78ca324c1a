"""What every admin page about children shares: the record only inside the queryset given (a
gate), and an access-log row for each page or list that shows a child, as on any other page."""

from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect

from registry.access import Capability, user_can
from registry.models import AccessPurpose
from registry.services.access_log import (
    ReasonRequired,
    child_record_open,
    children_list_log_for_request,
)


def gated_object(queryset, object_id):
    """The record with this id inside ``queryset`` (a gate), or Http404: a record outside the
    gate and one that does not exist look the same."""
    try:
        obj = queryset.filter(pk=unquote(object_id)).first()
    except (ValidationError, ValueError) as malformed:
        raise Http404 from malformed
    if obj is None:
        raise Http404
    return obj


class AdministratorsOnly:
    """Seen and changed only by a role that administers the register: the capability table
    decides, not Django's per-model permissions (administrators are staff, not superusers).
    Nothing is deleted here; a page that is read-only says so by overriding add and change."""

    def _administers(self, request) -> bool:
        return user_can(request.user, Capability.ADMINISTER)

    def has_module_permission(self, request):
        return self._administers(request)

    def has_view_permission(self, request, obj=None):
        return self._administers(request)

    def has_add_permission(self, request):
        return self._administers(request)

    def has_change_permission(self, request, obj=None):
        return self._administers(request)

    def has_delete_permission(self, request, obj=None):
        return False


class ChildPagesLogged:
    """A mixin for a ModelAdmin whose rows are about a child: opening one (its change page, its
    history, a historical version) goes through ``child_record_open``, and a list writes one row
    naming the children shown. ``child_id_of`` says which child a row is about."""

    # The purpose logged when the admin shows a child's details.
    access_purpose = AccessPurpose.DATA_QUALITY

    def child_id_of(self, obj):
        """The child whose details a page about ``obj`` shows (None: no child yet)."""
        return obj.child_id

    def _gated_open(self, request, object_id):
        """The record inside the queryset, its child's opening logged; Http404 outside it
        (nothing says the record exists). Returns a redirect while a reason is owed."""
        obj = gated_object(self.get_queryset(request), object_id)
        child_id = self.child_id_of(obj)
        if child_id is None:  # a pupil on a return not yet linked to a record: named all the same
            children_list_log_for_request(request, [], purpose=self.access_purpose, shown=1)
            return None
        try:
            child_record_open(request=request, child_id=child_id, purpose=self.access_purpose)
        except ReasonRequired as owed:
            return redirect(owed.url)
        return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        refused = self._gated_open(request, object_id)
        return refused or super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        refused = self._gated_open(request, object_id)
        return refused or super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        refused = self._gated_open(request, object_id)
        return refused or super().history_form_view(request, object_id, version_id, extra_context)

    def get_changelist_instance(self, request):
        """The list, with one access-log row naming the children it shows."""
        changelist = super().get_changelist_instance(request)
        children_list_log_for_request(
            request,
            [self.child_id_of(obj) for obj in changelist.result_list],
            purpose=self.access_purpose,
            shown=len(changelist.result_list),  # every row here is about a child or a pupil
        )
        return changelist
