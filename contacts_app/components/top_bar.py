"""The bar across the top of every page: the app's pages on the left, the page's actions on the right."""

import reflex as rx

PAGES = (("Contacts", "/"), ("Lists", "/lists"))


def nav_link(label: str, href: str) -> rx.Component:
    current = rx.State.router.page.path == href
    return rx.link(
        label,
        href=href,
        weight=rx.cond(current, "bold", "regular"),
        underline="none",
        class_name=rx.cond(current, "nav-link current", "nav-link"),
        aria_current=rx.cond(current, "page", "false"),
    )


def top_bar(*actions: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.icon("contact", size=22, color="var(--accent-9)", class_name="app-logo"),
            rx.el.nav(*[nav_link(label, href) for label, href in PAGES], class_name="nav", aria_label="Pages"),
            align="center",
            spacing="3",
        ),
        rx.hstack(*actions, spacing="2", align="center"),
        justify="between",
        align="center",
        class_name="top-bar",
    )
