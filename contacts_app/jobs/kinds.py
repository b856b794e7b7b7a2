"""Every job kind and outbox, imported so that its registration (and any huey task it defines) exists."""

from contacts_app.jobs import delete_all, imports, sends  # noqa: F401
