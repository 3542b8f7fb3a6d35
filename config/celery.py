"""The Celery app. Settings come from Django's (CELERY_* names).

Every task's base class is kernel.worker.JobTask: a task published for a job (kernel.jobs) marks it done.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("parley", task_cls="kernel.worker:JobTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
