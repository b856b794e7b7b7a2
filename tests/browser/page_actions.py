"""The Contacts page's Export, Import and Settings: buttons where there is room, the "More" menu on a phone."""

from playwright.sync_api import Page

# The width up to which assets/styles.css lays the page out for phones.
PHONE_MAX_WIDTH = 768
MENU_ITEMS = {"Export": "Export contacts", "Import": "Import contacts…", "Settings": "Settings…"}


def page_action(page: Page, name: str) -> None:
    """Click Export, Import or Settings as a person would at this screen size."""
    if page.viewport_size["width"] <= PHONE_MAX_WIDTH:
        page.get_by_role("button", name="More").click()
        page.get_by_role("menuitem", name=MENU_ITEMS[name]).click()
    else:
        page.get_by_role("button", name=name, exact=True).click()
