"""The Django project for the EHE and CME register.

Importing the Celery app here makes ``shared_task`` bind to it whenever Django starts.
"""

from ehe_register.celery import app as celery_app

__all__ = ("celery_app",)
