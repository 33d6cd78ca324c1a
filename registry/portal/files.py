"""Parents' uploads: checked by content, scanned where a scanner is configured, stored privately.

- The type is read from the file's first bytes (its "magic number"), never from its name or the
  browser's claim: a file named ``report.pdf`` that is a program is refused.
- Only PDF, PNG and JPEG are taken, up to ``PORTAL_MAX_UPLOAD_BYTES``; a PDF carrying script or
  embedded files (``/JavaScript``, ``/Launch``, ``/EmbeddedFile``) is refused too.
- With ``CLAMAV_SOCKET`` set (a Unix socket path, or ``host:port``), each file is streamed to
  clamd (INSTREAM); a threat or a scanner failure refuses the file. Without it the file is kept
  and recorded "not scanned".
- Files live in ``PORTAL_PRIVATE_ROOT`` (under MEDIA_ROOT by default), a storage with no URL: the
  only way out is the gated download views, which check who is asking.
"""

import hashlib
import socket
import struct
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.template.defaultfilters import filesizeformat

from registry.models import ScanResult

# First bytes -> (content type, extension we store it under).
SIGNATURES = (
    (b"%PDF-", ("application/pdf", "pdf")),
    (b"\x89PNG\r\n\x1a\n", ("image/png", "png")),
    (b"\xff\xd8\xff", ("image/jpeg", "jpg")),
)
PDF_ACTIVE_CONTENT = (b"/JavaScript", b"/Launch", b"/EmbeddedFile")
SCAN_CHUNK_BYTES = 64 * 1024


class UploadMessages:
    WRONG_TYPE = (
        "The selected file must be a PDF, PNG or JPG. This file's content is not one of these, "
        "whatever its name says"
    )
    TOO_LARGE = "The selected file must be smaller than {limit}"
    EMPTY = "The selected file is empty"
    ACTIVE_PDF = (
        "The selected PDF contains scripts or attached files, which we cannot accept. Save or "
        "print it as a plain PDF and upload that"
    )
    INFECTED = "The selected file contains a virus. It has not been kept"
    SCAN_FAILED = "We could not check the selected file for viruses. Try again later"


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    extension: str
    sha256: str
    scan_result: str
    scan_detail: str = ""


def private_storage() -> FileSystemStorage:
    """Where parents' files are kept: no base URL, so nothing here is ever linked or served."""
    return FileSystemStorage(location=settings.PORTAL_PRIVATE_ROOT, base_url=None)


def sniff_type(content: bytes) -> tuple[str, str] | None:
    for signature, kind in SIGNATURES:
        if content.startswith(signature):
            return kind
    return None


def clamav_scan(content: bytes) -> tuple[str, str]:
    """(scan result, detail). Streams the bytes to clamd with the INSTREAM command."""
    target = settings.CLAMAV_SOCKET
    if not target:
        return ScanResult.NOT_SCANNED, ""
    try:
        if ":" in target and not target.startswith("/"):
            host, port = target.rsplit(":", 1)
            connection = socket.create_connection((host, int(port)), timeout=30)
        else:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(30)
            connection.connect(target)
        with connection:
            connection.sendall(b"zINSTREAM\0")
            for start in range(0, len(content), SCAN_CHUNK_BYTES):
                chunk = content[start : start + SCAN_CHUNK_BYTES]
                connection.sendall(struct.pack("!L", len(chunk)) + chunk)
            connection.sendall(struct.pack("!L", 0))
            reply = connection.recv(4096).rstrip(b"\0").decode("utf-8", "replace").strip()
    except OSError as error:
        return ScanResult.ERROR, str(error)[:200]
    if reply.endswith("OK"):
        return ScanResult.CLEAN, ""
    if reply.endswith("FOUND"):
        return ScanResult.INFECTED, reply[:200]
    return ScanResult.ERROR, reply[:200]


def upload_check(upload) -> CheckedUpload:
    """Read and check an uploaded file; raises ValidationError with a message for the parent."""
    limit = settings.PORTAL_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(UploadMessages.TOO_LARGE.format(limit=filesizeformat(limit)))
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError(UploadMessages.TOO_LARGE.format(limit=filesizeformat(limit)))
    if not content:
        raise ValidationError(UploadMessages.EMPTY)
    kind = sniff_type(content)
    if kind is None:
        raise ValidationError(UploadMessages.WRONG_TYPE)
    content_type, extension = kind
    if content_type == "application/pdf" and any(
        marker in content for marker in PDF_ACTIVE_CONTENT
    ):
        raise ValidationError(UploadMessages.ACTIVE_PDF)
    scan_result, detail = clamav_scan(content)
    if scan_result == ScanResult.INFECTED:
        raise ValidationError(UploadMessages.INFECTED)
    if scan_result == ScanResult.ERROR:
        raise ValidationError(UploadMessages.SCAN_FAILED)
    return CheckedUpload(
        content=content,
        content_type=content_type,
        extension=extension,
        sha256=hashlib.sha256(content).hexdigest(),
        scan_result=scan_result,
        scan_detail=detail,
    )


def upload_store(checked: CheckedUpload) -> str:
    """Keep the checked bytes under a name of our own (never the parent's file name)."""
    name = f"{uuid.uuid4().hex}.{checked.extension}"
    return private_storage().save(name, ContentFile(checked.content))
