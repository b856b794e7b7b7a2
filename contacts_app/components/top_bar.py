"""The bar across the top of every page: the app's pages on the left, the page's actions on the right."""

import reflex as rx

from contacts_app.state.session import SessionState


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


def number_switcher() -> rx.Component:
    """The active line; a user with several lines toggles between them here."""
    return rx.cond(
        SessionState.line_choices.length() > 1,
        rx.select.root(
            rx.select.trigger(aria_label="Phone line", class_name="line-switcher"),
            rx.select.content(
                rx.foreach(SessionState.line_choices, lambda line: rx.select.item(line.label, value=line.id)),
            ),
            value=SessionState.active_line_id.to_string(),
            on_change=SessionState.switch_line,
            size="2",
        ),
    )


def account_menu() -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.icon_button(rx.icon("circle-user", size=18), variant="ghost", aria_label="Account"),
        ),
        rx.dropdown_menu.content(
            rx.box(
                rx.text("Signed in as", size="1", color_scheme="gray"),
                rx.text(SessionState.user_email, size="2"),
                padding="4px 8px",
            ),
            rx.cond(
                SessionState.is_admin,
                rx.fragment(
                    rx.dropdown_menu.item("Users and lines", on_click=rx.redirect("/users")),
                    rx.dropdown_menu.item("Integrations", on_click=rx.redirect("/integrations")),
                    rx.dropdown_menu.item("Custom fields", on_click=rx.redirect("/fields")),
                ),
            ),
            rx.dropdown_menu.separator(),
            rx.dropdown_menu.item("Sign out", on_click=SessionState.sign_out),
        ),
        # Not modal: a modal menu hides the page from screen readers while its controls stay focusable.
        modal=False,
    )


def top_bar(*actions: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.hstack(
            rx.icon("contact", size=22, color="var(--accent-9)", class_name="app-logo"),
            rx.el.nav(
                nav_link("Contacts", "/"),
                # Not offered where the plan or an administrator took Lists away.
                rx.cond(SessionState.can_use_lists & ~SessionState.no_line, nav_link("Lists", "/lists")),
                # Text Blasting: a plan feature and a per-user permission.
                rx.cond(SessionState.can_blast & ~SessionState.no_line, nav_link("Blasts", "/blasts")),
                rx.cond(~SessionState.no_line, nav_link("Reminders", "/reminders")),
                class_name="nav",
                aria_label="Pages",
            ),
            number_switcher(),
            align="center",
            spacing="3",
            class_name="top-bar-start",
        ),
        rx.hstack(*actions, account_menu(), spacing="2", align="center", class_name="top-bar-actions"),
        justify="between",
        align="center",
        class_name="top-bar",
    )
