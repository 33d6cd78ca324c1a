"""Request body limits, enforced before anything reads the body.

Django spools an upload to memory or a temporary file as soon as a view (or the CSRF check) reads
``request.POST``; a form's size check runs only after that. So this middleware, which runs
before every other that could read the body, refuses a request whose declared length passes the
limit for its page (413, a GOV.UK page saying the limit). The upload pages take the upload limit
of their form; everything else takes ``REQUEST_MAX_BODY_BYTES``.

A body whose length is not declared (a chunked request) is never read: Django reads at most the
declared length. As a second guard that does not trust the header, uploads are parsed through
``BodyLimitUploadHandler``, which counts the file data actually received and stops the upload as
soon as it passes the limit, so no more of it is read or stored.
"""

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

from schools_feed.intake.messages import FileMessages

# Pages that take a file, by URL name, and the setting holding the largest file each accepts:
# the same setting the page's form checks, so there is one limit per kind of file.
UPLOAD_LIMIT_SETTINGS = {
    "schools_feed:upload": "FEED_MAX_UPLOAD_BYTES",
    "admin:schools_feed_schoolroll_import_rolls": "FEED_MAX_UPLOAD_BYTES",
    "admin:registry_school_import_gias": "GIAS_MAX_UPLOAD_BYTES",
    "portal:evidence": "PORTAL_MAX_UPLOAD_BYTES",
}
# Room for the form's other fields and the multipart boundaries around the file.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
TEMPLATE = "request_too_large.html"


class LimitMessages:
    FILE_TOO_LARGE = FileMessages.TOO_LARGE  # what the upload form says of a file it checks
    REQUEST_TOO_LARGE = "The information sent must be smaller than {limit}"


def upload_limit_for(request: HttpRequest) -> int | None:
    """The largest file the page takes, or None for a page that takes no file."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    setting = UPLOAD_LIMIT_SETTINGS.get(match.view_name)
    return getattr(settings, setting) if setting else None


def too_large_response(*, upload_limit: int | None) -> HttpResponse:
    if upload_limit is None:
        message = LimitMessages.REQUEST_TOO_LARGE.format(
            limit=filesizeformat(settings.REQUEST_MAX_BODY_BYTES)
        )
    else:
        message = LimitMessages.FILE_TOO_LARGE.format(limit=filesizeformat(upload_limit))
    # Rendered without the request: this runs before sessions and authentication.
    return HttpResponse(render_to_string(TEMPLATE, {"message": message}), status=413)


class BodyLimitUploadHandler(FileUploadHandler):
    """Counts file data as it arrives and stops the upload once it passes the limit."""

    def __init__(self, request: HttpRequest, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.body_limit_exceeded = True
            # connection_reset: the parser reads no further (it would otherwise drain the rest).
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (Django's own) keeps the file


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        upload_limit = upload_limit_for(request)
        body_limit = (
            settings.REQUEST_MAX_BODY_BYTES
            if upload_limit is None
            else upload_limit + MULTIPART_OVERHEAD_BYTES
        )
        declared = request.META.get("CONTENT_LENGTH")
        try:
            declared_length = int(declared) if declared else None
        except ValueError:
            declared_length = None
        if declared_length is not None and declared_length > body_limit:
            return too_large_response(upload_limit=upload_limit)

        if request.content_type == "multipart/form-data":
            request.upload_handlers.insert(0, BodyLimitUploadHandler(request, body_limit))
        response = self.get_response(request)
        if getattr(request, "body_limit_exceeded", False):
            return too_large_response(upload_limit=upload_limit)
        return response
