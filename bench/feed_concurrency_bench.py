"""Benchmark: 50 schools upload 1,000-row files at the same time through the running app.

Starts the app (``manage.py runserver``, threaded) and a real Celery worker against PostgreSQL
and Redis, signs in 50 school users over HTTP, and has each upload, preview and confirm its file
at once. Files above ``FEED_BACKGROUND_ROWS`` go to the worker. It then checks that every
notification was stored exactly once and none was lost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehe_register_bench \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/14 DEBUG=true \
        .venv/bin/python bench/feed_concurrency_bench.py [--schools 50] [--rows 1000]
"""

import argparse
import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehe_register.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("MEDIA_ROOT", "/tmp/ehe-bench-media")
os.environ["FEED_BACKGROUND_ROWS"] = "500"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from registry.csv_output import write_csv  # noqa: E402
from registry.models import Role, User  # noqa: E402
from schools_feed.models import Notification, School, Submission  # noqa: E402

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench-password-0123456789"
HEADERS = [
    "Surname",
    "Forename",
    "DOB",
    "Sex",
    "Address",
    "Postcode",
    "Parent 1 full name",
    "Parent 1 emergency phone",
    "Ground",
    "Date of deletion",
]


def school_users(count: int) -> list[tuple[User, School]]:
    pairs = []
    for school in School.objects.filter(is_local=True).order_by("urn")[:count]:
        user, _ = User.objects.get_or_create(
            username=f"bench-school-{school.urn}", defaults={"role": Role.SCHOOL_USER}
        )
        user.set_password(PASSWORD)
        user.save()
        user.schools.set([school])
        pairs.append((user, school))
    return pairs


def file_for(school: School, rows: int, run: str) -> bytes:
    today = timezone.localdate().strftime("%d/%m/%Y")
    return write_csv(
        HEADERS,
        [
            [
                f"Bench{run}{school.urn}x{n}",
                "Sam",
                "14/03/2015",
                "F",
                f"{n} Mill Lane",
                "CB7 9QT",
                f"Pat Bench{n}",
                "07700900123",
                "k",
                today,
            ]
            for n in range(rows)
        ],
    )


class Browser:
    """A signed-in session over real HTTP, with the CSRF token Django expects."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str) -> str:
        return self.opener.open(BASE + path, timeout=300).read().decode()

    def post(self, path: str, fields: dict, files: dict | None = None):
        if files:
            boundary = uuid.uuid4().hex
            body = b""
            for name, value in fields.items():
                body += (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n"
                ).encode()
            for name, (filename, content) in files.items():
                body += (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'
                ).encode()
                body += content + b"\r\n"
            body += f"--{boundary}--\r\n".encode()
            content_type = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(BASE + path, data=body, method="POST")
        request.add_header("Content-Type", content_type)
        request.add_header("Referer", BASE + path)
        return self.opener.open(request, timeout=600)

    def sign_in(self, username: str) -> None:
        self.get("/sign-in/")
        self.post(
            "/sign-in/",
            {"csrfmiddlewaretoken": self.csrf(), "username": username, "password": PASSWORD},
        )


def send(user: User, data: bytes, results: dict) -> None:
    browser = Browser()
    try:
        browser.sign_in(user.username)
        browser.get("/school/send/upload/")
        response = browser.post(
            "/school/send/upload/",
            {"csrfmiddlewaretoken": browser.csrf(), "return_type": ""},
            files={"file": ("returns.csv", data)},
        )
        submission_id = re.search(r"/school/submissions/([0-9a-f-]{36})/", response.geturl()).group(
            1
        )
        browser.post(
            f"/school/submissions/{submission_id}/confirm/", {"csrfmiddlewaretoken": browser.csrf()}
        )
        results[user.username] = submission_id
    except Exception as error:  # report every failure, do not stop the other schools
        results[user.username] = error


def start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--rows", type=int, default=1000)
    options = parser.parse_args()
    if connection.vendor != "postgresql" or not os.environ.get("CELERY_BROKER_URL"):
        raise SystemExit("Run against PostgreSQL with CELERY_BROKER_URL set")
    pairs = school_users(options.schools)
    run = uuid.uuid4().hex[:6]
    files = {user.username: file_for(school, options.rows, run) for user, school in pairs}
    before = Notification.objects.count()
    server = start([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"])
    worker = start(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ehe_register",
            "worker",
            "--concurrency=2",
            "--loglevel=warning",
        ]
    )
    try:
        time.sleep(6)
        results: dict = {}
        started = time.perf_counter()
        threads = [
            threading.Thread(target=send, args=(user, files[user.username], results))
            for user, _ in pairs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sent = time.perf_counter() - started
        failures = {name: r for name, r in results.items() if isinstance(r, Exception)}
        ids = [r for r in results.values() if not isinstance(r, Exception)]
        while Submission.objects.filter(pk__in=ids).exclude(status="imported").exists():
            time.sleep(1)
        finished = time.perf_counter() - started
    finally:
        server.terminate()
        worker.terminate()
    stored = Notification.objects.count() - before
    per_file = set(Submission.objects.filter(pk__in=ids).values_list("imported", flat=True))
    expected = options.schools * options.rows
    print(
        f"{len(pairs)} schools x {options.rows} rows: uploads confirmed in {sent:.1f} s, "
        f"all imported in {finished:.1f} s; failures {len(failures)}"
    )
    print(f"notifications stored {stored:,} of {expected:,}; imported per file {sorted(per_file)}")
    for name, error in list(failures.items())[:5]:
        print(f"  {name}: {error}")
    if failures or stored != expected or per_file != {options.rows}:
        raise SystemExit("FAILED: notifications were lost or stored twice")


if __name__ == "__main__":
    main()
