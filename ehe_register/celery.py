"""The Celery app. Tasks are thin: they take ids, load fresh state and call a service."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehe_register.settings")

app = Celery("ehe_register")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
