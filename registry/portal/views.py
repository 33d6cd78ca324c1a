"""The parent portal's pages (GOV.UK patterns for a public service: a start page, one thing per
page, check your answers, a confirmation). Thin: forms validate, services decide and write."""

import uuid
from functools import wraps

from axes.helpers import get_client_ip_address
from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from registry.access import Capability, user_can
from registry.cnis.selectors import cnis_in_force, open_registration, requests_for_parent
from registry.dates import date_words
from registry.forms import add_service_errors
from registry.models import AccessPurpose, Child, CNISRequestKind, EvidenceFile, SentLetter
from registry.portal import files, forms, services
from registry.portal.selectors import (
    notices_to_answer,
    open_ehe_episode,
    parent_children,
    plain_status,
)
from registry.selectors import carers_once
from registry.services.access_log import children_list_log_for_request

NOTICE_SESSION_KEY = "portal_notice"
SENT_SESSION_KEY = "portal_sent"


class SignInMessages:
    LINK_NOT_VALID = (
        "This link has expired or has already been used. Links work once, for a short time."
    )


def parent_required(view):
    """Signed in (else to the portal's sign-in page) and holding the portal's capability (else
    404: a staff member has no parent's pages)."""

    @wraps(view)
    @login_required(login_url="portal:sign-in")
    def wrapped(request, *args, **kwargs):
        if not user_can(request.user, Capability.USE_PARENT_PORTAL):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (TypeError, ValueError):
        return None


def _sent(request, *, title: str, body: str, child: Child | None):
    request.session[SENT_SESSION_KEY] = {
        "title": title,
        "body": body,
        "child_id": str(child.pk) if child else "",
    }
    return redirect("portal:sent")


# --- Start and sign-in ---------------------------------------------------------------------------


def start(request):
    return render(request, "portal/start.html")


def _link_page(request, form, send, *, title: str, submit: str, intro: str = ""):
    """A form that ends in an emailed sign-in link: the same "check your email" page follows
    whatever the address (nothing tells whether it is known)."""
    if request.method == "POST" and form.is_valid():
        send(
            **form.cleaned_data,
            ip_address=get_client_ip_address(request),
            base_url=services.base_url_for(request),
        )
        return redirect("portal:sign-in-sent")
    context = {"form": form, "title": title, "intro": intro, "submit": submit}
    return render(request, "portal/form_page.html", {**context, "back": reverse("portal:start")})


@require_http_methods(["GET", "POST"])
def sign_in(request):
    return _link_page(
        request,
        forms.LinkRequestForm(request.POST or None),
        services.portal_link_request,
        title="Sign in with your email address",
        submit="Email me a link",
    )


@require_http_methods(["GET", "POST"])
def account_create(request):
    """A parent new to the council makes an account to tell it about home education."""
    return _link_page(
        request,
        forms.AccountCreateForm(request.POST or None),
        services.parent_account_register,
        title="Create an account",
        submit="Create account",
        intro="If the council has not given you a sign-in yet, make your own to tell it about "
        "home education. An officer links your children to your account once they have checked "
        "who you are.",
    )


def sign_in_sent(request):
    """The same page whether the address is known, unknown or over its limit."""
    return render(request, "portal/sign_in_sent.html")


@require_http_methods(["GET", "POST"])
def sign_in_link(request):
    """The link opens a page with a button: signing in takes a POST, so a mail scanner that
    fetches links does not use up the parent's one-time link."""
    if request.method == "GET":
        token = request.GET.get("sesame", "")
        return render(
            request, "portal/sign_in_link.html", {"form": forms.SignInLinkForm({"sesame": token})}
        )
    form = forms.SignInLinkForm(request.POST)
    user = None
    if form.is_valid():
        user = authenticate(
            request, sesame=form.cleaned_data["sesame"], scope=services.SIGN_IN_SCOPE
        )
    if user is None or not user_can(user, Capability.USE_PARENT_PORTAL):
        return render(
            request,
            "portal/sign_in_link.html",
            {"refused": SignInMessages.LINK_NOT_VALID},
            status=403,
        )
    login(request, user)
    return redirect("portal:home")


# --- The parent's children -----------------------------------------------------------------------


@parent_required
def home(request):
    children = list(parent_children(user=request.user))
    children_list_log_for_request(request, children, purpose=AccessPurpose.PARENT_PORTAL)
    return render(request, "portal/home.html", {"children": children})


@parent_required
def child_detail(request, child_id):
    child = services.parent_child_open(request=request, child_id=child_id)
    episode = open_ehe_episode(child)
    return render(
        request,
        "portal/child.html",
        {
            "child": child,
            "episode": episode,
            "plain_status": plain_status(episode),
            "address": child.addresses.all()[:1],
            "carers": carers_once(child=child),
            "notices": notices_to_answer(child=child),
            "letters": child.sent_letters.all(),
            "sent": child.parent_submissions.all(),
            "complaints": child.complaints.all(),
            "register_requests": requests_for_parent(child=child, on=timezone.localdate()),
            "registration": open_registration(child),
        },
    )


@parent_required
def letter_download(request, child_id, letter_id):
    child = services.parent_child_open(request=request, child_id=child_id)
    letter = next((x for x in child.sent_letters.all() if x.pk == letter_id), None)
    if letter is None:
        raise Http404
    pdf = SentLetter.objects.values_list("pdf", flat=True).get(pk=letter.pk)
    response = HttpResponse(bytes(pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="letter-{letter.sent_on}.pdf"'
    return response


@parent_required
def evidence_file_download(request, child_id, file_id):
    child = services.parent_child_open(request=request, child_id=child_id)
    return evidence_file_response(child=child, file_id=file_id)


def evidence_file_response(*, child: Child, file_id) -> FileResponse:
    """A parent's file, for someone already let through a gate to ``child``."""
    try:
        evidence = EvidenceFile.objects.get(pk=file_id, submission__child=child)
    except EvidenceFile.DoesNotExist as missing:
        raise Http404 from missing
    handle = files.private_storage().open(evidence.stored_name, "rb")
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"evidence-{evidence.pk}.{evidence.stored_name.rsplit('.', 1)[-1]}",
        content_type=evidence.content_type,
    )


# --- Telling the council about home education ----------------------------------------------------

NOTICE_STEPS = {
    "child": (forms.NoticeChildChoiceForm, "Which child is this about?"),
    "child-details": (forms.NoticeChildDetailsForm, "About your child"),
    "parents": (forms.NoticeParentsForm, "About the child's parents"),
    "providers": (forms.NoticeProvidersForm, "Who else educates your child?"),
    # Asked once the register of children not in school is in force (docs/rules/ehe.md §6).
    "time": (forms.NoticeTimeForm, "How much time is your child educated?"),
    "dates": (forms.NoticeDatesForm, "When home education starts"),
}


def _notice_steps(answers: dict) -> list[str]:
    chosen = answers.get("child", {}).get("child")
    steps = ["child"]
    if chosen == forms.ANOTHER_CHILD:
        steps.append("child-details")
    register = ["time"] if cnis_in_force(timezone.localdate()) else []
    return steps + ["parents", "providers", *register, "dates"]


def _notice_form(request, step: str, data=None):
    form_class, _ = NOTICE_STEPS[step]
    kwargs = {"children": parent_children(user=request.user)} if step == "child" else {}
    return form_class(data, **kwargs)


def _notice_cleaned(request, answers: dict) -> dict | None:
    """Every step's answers, validated again; None when one is missing or no longer valid."""
    cleaned = {}
    for step in _notice_steps(answers):
        form = _notice_form(request, step, answers.get(step))
        if step not in answers or not form.is_valid():
            return None
        cleaned[step] = form.cleaned_data
    return cleaned


def _own_child(request, value) -> Child | None:
    """One of the parent's own children named by ``value`` (an id); None for anything else,
    "another" (a child the council does not hold) included."""
    chosen = uuid_or_none(str(value or ""))
    return parent_children(user=request.user).filter(pk=chosen).first() if chosen else None


def _notice_child(request, cleaned: dict) -> Child | None:
    return _own_child(request, cleaned["child"]["child"])


def _notice_details(cleaned: dict, child: Child | None) -> dict:
    """The answers in the shape of the s.436C register content (docs/rules/ehe.md §11)."""
    given = cleaned.get("child-details", {})
    parents = [
        {
            "full_name": cleaned["parents"][f"parent_{n}_name"],
            "address": cleaned["parents"][f"parent_{n}_address"],
            "is_educating": cleaned["parents"][f"parent_{n}_educates"],
        }
        for n in (1, 2)
        if cleaned["parents"][f"parent_{n}_name"]
    ]
    providers = [
        {
            "provider_type": cleaned["providers"][f"provider_{n}_type"],
            "name": cleaned["providers"][f"provider_{n}_name"],
            "place_or_website": cleaned["providers"][f"provider_{n}_place"],
        }
        for n in (1, 2)
        if cleaned["providers"][f"provider_{n}_type"]
    ]
    dates = cleaned["dates"]
    time = {key: str(value) for key, value in cleaned.get("time", {}).items()}
    return {
        **time,
        "child": {
            "register_record": str(child.pk) if child else "",
            "legal_forenames": child.legal_forenames if child else given["legal_forenames"],
            "legal_surname": child.legal_surname if child else given["legal_surname"],
            "date_of_birth": (child.date_of_birth if child else given["date_of_birth"]).isoformat(),
            "address": given.get("address", ""),
            "postcode": given.get("postcode", ""),
        },
        "parents": parents,
        "providers": providers,
        "already_started": dates["already_started"],
        "starts_on": dates["starts_on"].isoformat(),
        "school_leaving": dates["school_leaving"],
    }


@parent_required
def notice_start(request):
    request.session[NOTICE_SESSION_KEY] = {}
    chosen = _own_child(request, request.GET.get("child"))
    if chosen is not None:
        request.session[NOTICE_SESSION_KEY] = {"child": {"child": str(chosen.pk)}}
        return redirect("portal:notice-step", step="parents")
    return redirect("portal:notice-step", step="child")


def _parents_known(request, answers: dict) -> dict:
    """The parents the register holds for a linked child, offered for the parent to check; for
    a child the council does not hold yet, the parent's own name to start from."""
    child = _own_child(request, answers.get("child", {}).get("child"))
    if child is None:
        return {"parent_1_name": request.user.get_full_name()}
    initial = {}
    for n, carer in enumerate(carers_once(child=child)[:2], start=1):
        address = ", ".join(part for part in (carer.address, carer.postcode) if part)
        initial |= {
            f"parent_{n}_name": carer.full_name,
            f"parent_{n}_address": address,
            f"parent_{n}_educates": carer.is_educating,
        }
    return initial


@parent_required
@require_http_methods(["GET", "POST"])
def notice_step(request, step):
    if step not in NOTICE_STEPS:
        raise Http404
    answers = request.session.get(NOTICE_SESSION_KEY, {})
    steps = _notice_steps(answers)
    if step not in steps:
        return redirect("portal:notice-step", step=steps[0])
    if request.method == "POST":
        form = _notice_form(request, step, request.POST)
        if form.is_valid():
            answers[step] = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
            request.session[NOTICE_SESSION_KEY] = answers
            steps = _notice_steps(answers)
            following = steps[steps.index(step) + 1 :]
            missing = [s for s in following if s not in answers]
            if request.GET.get("change") and not missing:
                return redirect("portal:notice-check")
            return (
                redirect("portal:notice-step", step=following[0])
                if following
                else redirect("portal:notice-check")
            )
    elif step in answers:
        form = _notice_form(request, step, answers[step])
    else:
        form = _notice_form(request, step)
        if step == "parents":
            form.initial = _parents_known(request, answers)
    index = steps.index(step)
    back = (
        reverse("portal:notice-step", kwargs={"step": steps[index - 1]})
        if index
        else reverse("portal:home")
    )
    return render(
        request,
        "portal/form_page.html",
        {
            "form": form,
            "title": NOTICE_STEPS[step][1],
            "caption": "Tell your council about home education",
            "submit": "Continue",
            "back": back,
        },
    )


@parent_required
@require_http_methods(["GET", "POST"])
def notice_check(request):
    answers = request.session.get(NOTICE_SESSION_KEY, {})
    cleaned = _notice_cleaned(request, answers)
    if cleaned is None:
        return redirect("portal:notice-start")
    child = _notice_child(request, cleaned)
    details = _notice_details(cleaned, child)
    if request.method == "POST":
        services.home_education_notice_submit(user=request.user, child=child, details=details)
        request.session.pop(NOTICE_SESSION_KEY, None)
        return _sent(
            request,
            title="You have told your council about home education",
            body="An officer will read what you sent. If they need anything else, they will "
            "contact you.",
            child=child,
        )
    return render(
        request,
        "portal/notice_check.html",
        {"details": details, "starts_on": date_words(cleaned["dates"]["starts_on"])},
    )


# --- Evidence, replies and complaints ------------------------------------------------------------


@parent_required
@require_http_methods(["GET", "POST"])
def evidence(request, child_id):
    child = services.parent_child_open(request=request, child_id=child_id)
    form = forms.EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_submit(
                user=request.user,
                child=child,
                method=form.cleaned_data["method"],
                text=form.cleaned_data["text"],
                upload=form.cleaned_data["upload"],
            )
        except ValidationError as error:
            form.add_error("upload", error.messages)
        else:
            return _sent(
                request,
                title="You have sent information about your child's education",
                body="An officer will look at it and contact you if they need to.",
                child=child,
            )
    return render(
        request,
        "portal/form_page.html",
        {
            "form": form,
            "child": child,
            "title": "Show us your child's education",
            "intro": "You choose how to show us the education you provide. You do not have to "
            "agree to a visit to your home.",
            "submit": "Send",
            "back": reverse("portal:child", args=[child.pk]),
            "multipart": True,
        },
    )


@parent_required
@require_http_methods(["GET", "POST"])
def reply(request, child_id):
    child = services.parent_child_open(request=request, child_id=child_id)
    notices = list(notices_to_answer(child=child))
    form = forms.ReplyForm(request.POST or None, notices=notices)
    if request.method == "POST" and form.is_valid():
        step = next((n for n in notices if str(n.pk) == form.cleaned_data["about"]), None)
        try:
            services.reply_submit(
                user=request.user,
                child=child,
                text=form.cleaned_data["text"],
                enforcement_step=step,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _sent(
                request,
                title="You have sent your reply",
                body="An officer will read it. It is kept with your child's record.",
                child=child,
            )
    return render(
        request,
        "portal/form_page.html",
        {
            "form": form,
            "child": child,
            "title": "Reply to your council",
            "submit": "Send reply",
            "back": reverse("portal:child", args=[child.pk]),
        },
    )


@parent_required
@require_http_methods(["GET", "POST"])
def complaint(request, child_id):
    child = services.parent_child_open(request=request, child_id=child_id)
    form = forms.ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        made = services.complaint_make(user=request.user, child=child, **form.cleaned_data)
        return _sent(
            request,
            title="You have made a complaint",
            body=f"It will be handled by someone who is not the officer it is about. We will "
            f"acknowledge it by {date_words(made.acknowledge_by)} and answer it by "
            f"{date_words(made.respond_by)}.",
            child=child,
        )
    return render(
        request,
        "portal/form_page.html",
        {
            "form": form,
            "child": child,
            "title": "Make a complaint",
            "intro": "Your complaint goes to someone who is not the officer dealing with your "
            "child's case.",
            "submit": "Send complaint",
            "back": reverse("portal:child", args=[child.pk]),
        },
    )


@parent_required
def sent(request):
    message = request.session.get(SENT_SESSION_KEY)
    if not message:
        return redirect("portal:home")
    return render(request, "portal/sent.html", {"message": message})


# --- Requests of the children-not-in-school register (ADR 0016) ---------------------------------


@parent_required
@require_http_methods(["GET", "POST"])
def register_request(request, child_id, request_id):
    """Answer the council's request: update the register information, or say whether a home
    visit may happen."""
    child = services.parent_child_open(request=request, child_id=child_id)
    cnis_request = (
        requests_for_parent(child=child, on=timezone.localdate()).filter(pk=request_id).first()
    )
    if cnis_request is None:
        raise Http404
    due = date_words(cnis_request.respond_by)
    if cnis_request.kind == CNISRequestKind.UPDATE:
        registration = cnis_request.registration
        form = forms.RegisterInformationForm(
            request.POST or None,
            initial={
                "hours_from_parents": registration.hours_from_parents,
                "hours_from_others": registration.hours_from_others,
            },
        )
        title = "Update what the council holds about your child's education"
        intro = (
            f"The law asks you to tell the council about your child's education when it asks. "
            f"Please answer by {due}. Estimates are enough."
        )

        def save(data):
            return services.register_information_submit(
                user=request.user, child=child, request_id=cnis_request.pk, **data
            )

    else:
        form = forms.HomeVisitAnswerForm(request.POST or None)
        title = "The council has asked to visit you at home"
        intro = (
            f"The council would like to visit by {due}. You can say no. If you do, the council "
            "may ask you in another way to show that your child is receiving a suitable "
            "education."
        )

        def save(data):
            return services.home_visit_answer_submit(
                user=request.user, child=child, request_id=cnis_request.pk, **data
            )

    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _sent(
                request,
                title="You have sent your answer",
                body="It is kept with your child's record. An officer will contact you if they "
                "need to.",
                child=child,
            )
    return render(
        request,
        "portal/form_page.html",
        {
            "form": form,
            "child": child,
            "title": title,
            "intro": intro,
            "submit": "Send",
            "back": reverse("portal:child", args=[child.pk]),
        },
    )
