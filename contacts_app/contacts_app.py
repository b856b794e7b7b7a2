"""Wires the app: pages, start-up migrations."""

import reflex as rx

from contacts_app.db import get_engine, migrate
from contacts_app.pages.contacts import contacts_page
from contacts_app.state.contacts import ContactsState


def apply_migrations() -> None:
    """Schema changes run at start-up, before the first request is served."""
    migrate(get_engine())


app = rx.App(stylesheets=["/styles.css"])
app.register_lifespan_task(apply_migrations)
app.add_page(contacts_page, route="/", title="Contacts", on_load=ContactsState.load)
