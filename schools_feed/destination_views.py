"""An officer confirms that a pupil arrived at a destination outside the LA or not in GIAS
(docs/rules/registration.md §6.2). Thin: gate, bind the form, call the service, redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from registry.access import Capability, user_can
from registry.models import AccessPurpose
from registry.services.access_log import children_list_log_for_request
from schools_feed import forms
from schools_feed.models import DestinationCheck, DestinationCheckStatus
from schools_feed.selectors import notification_queryset_for_user
from schools_feed.services.destinations import destination_check_confirm_arrival

ARRIVAL_CONFIRMED = "Arrival at {destination} confirmed"


@login_required
def destination_arrival_confirm(request, notification_id):
    if not user_can(request.user, Capability.CME_CASEWORK):
        raise Http404
    notification = get_object_or_404(
        notification_queryset_for_user(user=request.user).select_related("school"),
        pk=notification_id,
    )
    check = get_object_or_404(
        DestinationCheck.objects.select_related("destination_school"),
        deletion=notification,
        status=DestinationCheckStatus.AWAITING_OFFICER,
    )
    form = forms.ArrivalConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        destination_check_confirm_arrival(
            check=check, by=request.user, evidence=form.cleaned_data["evidence"]
        )
        messages.success(request, ARRIVAL_CONFIRMED.format(destination=check.destination))
        return redirect("schools_feed:notification-detail", notification.pk)
    # The page names the pupil of the return: logged as every page about a return is.
    children_list_log_for_request(
        request, [notification.child_id], purpose=AccessPurpose.RETURNS, shown=1
    )
    return render(
        request,
        "schools_feed/confirm_arrival.html",
        {"notification": notification, "check": check, "form": form},
    )
