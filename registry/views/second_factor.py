"""The second-factor steps after the password: set up an authenticator app, or enter a code."""

import base64

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django_otp import login as otp_login

from registry.form_errors import GovukForm
from registry.second_factor import has_confirmed_device
from registry.services import second_factor as services
from registry.views.navigation import safe_next_url


class SecondFactorFormMessages:
    WRONG_CODE = (
        "Enter the 6-digit code your authenticator app shows now, or one of your backup codes"
    )
    WRONG_SETUP_CODE = "Enter the 6-digit code your authenticator app shows now"


class CodeForm(GovukForm):
    code = forms.CharField(
        label="Code",
        max_length=20,
        error_messages={"required": SecondFactorFormMessages.WRONG_CODE},
    )


def _next_url(request) -> str:
    return safe_next_url(request, reverse("home"))


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def second_factor_verify(request):
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not has_confirmed_device(request.user):
        return redirect(f"{reverse('second-factor-enrol')}?{request.GET.urlencode()}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.second_factor_verify(user=request.user, token=form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("code", SecondFactorFormMessages.WRONG_CODE)
    return render(
        request,
        "registration/second_factor_verify.html",
        {"form": form, "next": _next_url(request)},
    )


@login_required
def second_factor_enrol(request):
    """Only for someone with no confirmed device: adding a device to an account that has one
    would let a stolen password replace the second factor."""
    if has_confirmed_device(request.user):
        return redirect(f"{reverse('second-factor-verify')}?{request.GET.urlencode()}")
    device = services.second_factor_enrolment_device(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.second_factor_enrolment_confirm(
            user=request.user, device=device, token=form.cleaned_data["code"]
        )
        if codes is not None:
            otp_login(request, device)
            return render(
                request,
                "registration/second_factor_backup_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        form.add_error("code", SecondFactorFormMessages.WRONG_SETUP_CODE)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "registration/second_factor_enrol.html",
        {
            "form": form,
            "secret": _grouped(secret),
            "otpauth_uri": device.config_url,
            "next": _next_url(request),
        },
    )
