"""Wires the app: pages, start-up migrations."""

import os

import reflex as rx

from contacts_app import live  # noqa: F401 - changes made here reach open pages
from contacts_app.api import create_api
from contacts_app.db import get_engine, migrate
from contacts_app.domain.import_files import sweep_stale_files
from contacts_app.jobs.worker import in_process_worker
from contacts_app.pages.blasts import blasts_page
from contacts_app.pages.contacts import contacts_page
from contacts_app.pages.fields import fields_page
from contacts_app.pages.integrations import integrations_page
from contacts_app.pages.lists import lists_page
from contacts_app.pages.reminders import reminders_page
from contacts_app.pages.sign_in import setup_page, sign_in_page
from contacts_app.pages.users import users_page
from contacts_app.server import SCHEMA_READY_ENV
from contacts_app.state.blasts import BlastsState
from contacts_app.state.contacts import ContactsState
from contacts_app.state.custom_fields import CustomFieldsState
from contacts_app.state.integrations import IntegrationsState
from contacts_app.state.lists import ListsState
from contacts_app.state.reminders import RemindersState
from contacts_app.state.session import SessionState, refusal_handler
from contacts_app.state.users import UsersState
from contacts_app.state_purge import sweep_page_states_now_and_then

sweep_page_states_now_and_then()


def apply_migrations() -> None:
    """Schema changes run at start-up, before the first request is served.

    `python -m contacts_app.server web` (bin/serve) has migrated once before starting its workers;
    under `reflex run` each worker gets here, and the migration lock lets only the first one migrate.
    """
    if os.environ.get(SCHEMA_READY_ENV) != "1":
        migrate(get_engine())


# The REST API (/api/v1, docs at /api/docs) is a FastAPI app with Reflex mounted beneath it.
app = rx.App(
    stylesheets=["/styles.css"],
    api_transformer=create_api(),
    # Refusals (signed out, not permitted) raised by any handler become a message or a redirect.
    backend_exception_handler=refusal_handler,
    # Toasts sit at the bottom, in a strip the page and dialogs leave free while one shows
    # (assets/styles.css): they cover no control. Stacked, so two fit in the strip.
    toaster=rx.toast.provider(position="bottom-center", expand=False, visible_toasts=2, offset="12px"),
)
app.register_lifespan_task(apply_migrations)
# Staged import files left by a killed process or an abandoned tab hold people's data.
app.register_lifespan_task(sweep_stale_files)
# Background jobs (imports, Delete All, webhook deliveries, carrier texts) run here too unless
# CONTACTS_JOBS_IN_PROCESS=0 (then `contacts-app worker` runs them). After the migrations.
app.register_lifespan_task(in_process_worker)
app.add_page(contacts_page, route="/", title="Contacts", on_load=ContactsState.load)
# One contact's own address: the same page with its details open (Back returns to the list as it was).
app.add_page(contacts_page, route="/contacts/[contact_id]", title="Contact · Contacts", on_load=ContactsState.load)
app.add_page(fields_page, route="/fields", title="Custom fields · Contacts", on_load=CustomFieldsState.load)
app.add_page(lists_page, route="/lists", title="Lists · Contacts", on_load=ListsState.load)
app.add_page(blasts_page, route="/blasts", title="Blasts · Contacts", on_load=BlastsState.load)
app.add_page(reminders_page, route="/reminders", title="Reminders · Contacts", on_load=RemindersState.load)
app.add_page(integrations_page, route="/integrations", title="Integrations · Contacts", on_load=IntegrationsState.load)
app.add_page(users_page, route="/users", title="Users and lines · Contacts", on_load=UsersState.load)
app.add_page(sign_in_page, route="/sign-in", title="Sign in · Contacts", on_load=SessionState.open_sign_in)
app.add_page(setup_page, route="/setup", title="Create administrator · Contacts", on_load=SessionState.setup_guard)
