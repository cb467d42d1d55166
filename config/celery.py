import os
from pathlib import Path

from celery import Celery
from celery.signals import import_modules

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("appeals_desk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@import_modules.connect
def _make_filesystem_broker_folders(sender=None, **kwargs):
    # kombu's filesystem transport (the zero-setup broker) expects its folders to exist,
    # wherever APPEALS_VAR_DIR puts them.
    if not app.conf.broker_url.startswith("filesystem://"):
        return
    for key in ("data_folder_in", "processed_folder", "control_folder"):
        folder = app.conf.broker_transport_options.get(key)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
