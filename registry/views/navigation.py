"""Where a page sends the user next: one check for every page that follows a ``next`` link."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, default: str) -> str:
    """The page named by ``next`` (in the form's POST, or the query string) when it is on this
    site and, on HTTPS, over HTTPS; otherwise ``default``. A link that names another site is
    never followed (an open redirect would lend the register's name to a phishing page)."""
    named = request.POST.get("next") or request.GET.get("next") or ""
    if named and url_has_allowed_host_and_scheme(
        named, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return named
    return default
