"""The Import dialog: sample CSV, Upload File or paste, options, progress and the report."""

import reflex as rx

from contacts_app.state.importer import ImportState, ProblemRow

UPLOAD_ID = "contacts-csv"


def file_picker() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.upload.root(
                rx.button(rx.icon("upload", size=16), "Upload File", type="button", variant="soft"),
                id=UPLOAD_ID,
                accept={"text/csv": [".csv"], "text/plain": [".txt"]},
                max_files=1,
                multiple=False,
                no_drag=True,
                on_drop=ImportState.receive_file(rx.upload_files(upload_id=UPLOAD_ID)),
            ),
            rx.cond(
                ImportState.file_name != "",
                rx.hstack(
                    rx.icon("file-text", size=16),
                    rx.text(ImportState.file_name, size="2", weight="medium"),
                    rx.icon_button(
                        rx.icon("x", size=14),
                        variant="ghost",
                        size="1",
                        aria_label="Remove file",
                        on_click=ImportState.clear_file,
                    ),
                    align="center",
                    spacing="2",
                ),
                rx.text("a .csv file, up to 100 MB", size="2", color_scheme="gray"),
            ),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(ImportState.file_error != "", rx.text(ImportState.file_error, role="alert", class_name="field-error")),
        width="100%",
    )


def paste_area() -> rx.Component:
    return rx.box(
        rx.el.label("Or paste CSV text", html_for="import-paste", class_name="field-label"),
        rx.text_area(
            id="import-paste",
            placeholder="Full Name,Phone,Email\nJane Doe,(415) 555-2671,jane@example.com",
            value=ImportState.pasted,
            on_change=ImportState.set_pasted.debounce(300),
            disabled=ImportState.file_name != "",
            rows="5",
            width="100%",
        ),
        class_name="field",
    )


def list_picker() -> rx.Component:
    lists_hint = rx.cond(
        ImportState.can_use_lists,
        rx.text(
            "To import into a list, first create one on the ",
            rx.link("Lists", href="/lists"),
            " page.",
            size="2",
            color_scheme="gray",
        ),
    )
    return rx.cond(
        ImportState.lists.length() > 0,
        rx.box(
            rx.el.label("Import Contacts into Selected List", html_for="import-list", class_name="field-label"),
            rx.select.root(
                rx.select.trigger(placeholder="No list (optional)", id="import-list", width="100%"),
                rx.select.content(
                    rx.select.item("No list", value="none"),
                    rx.foreach(ImportState.lists, lambda option: rx.select.item(option.name, value=option.id)),
                ),
                value=rx.cond(ImportState.list_id == "", "none", ImportState.list_id),
                on_change=ImportState.set_list_id,
            ),
            class_name="field",
        ),
        lists_hint,
    )


def options() -> rx.Component:
    return rx.vstack(
        rx.el.label(
            rx.checkbox(checked=ImportState.skip_first_line, on_change=ImportState.set_skip_first_line),
            rx.text("Skip First Line", as_="span", size="2"),
            class_name="checkbox-label",
        ),
        rx.cond(
            ImportState.header_hint & ~ImportState.skip_first_line,
            rx.callout(
                "The first line looks like a header (Full Name, Phone, Email). Tick “Skip First Line” "
                "so it is not read as a contact.",
                icon="info",
                size="1",
                color_scheme="amber",
            ),
        ),
        rx.el.label(
            rx.checkbox(checked=ImportState.skip_invalid, on_change=ImportState.set_skip_invalid),
            rx.text("Skip invalid rows (import the good rows and list the rest)", as_="span", size="2"),
            class_name="checkbox-label",
        ),
        spacing="2",
        width="100%",
    )


def progress_panel() -> rx.Component:
    return rx.cond(
        ImportState.running,
        rx.box(
            rx.hstack(
                rx.cond(
                    ImportState.total > 0,
                    rx.text(
                        "Importing… ", ImportState.done.to_string(), " of ", ImportState.total.to_string(), " rows"
                    ),
                    rx.text("Importing… reading the file"),
                ),
                rx.text(ImportState.time_left, color_scheme="gray", size="2"),
                justify="between",
                width="100%",
            ),
            rx.progress(value=ImportState.percent, max=100, aria_label="Import progress"),
            rx.text(
                "You can close this dialog and keep working; the contacts appear when the import commits.",
                size="1",
                color_scheme="gray",
            ),
            class_name="import-progress",
            role="status",
        ),
    )


def problem_item(problem: ProblemRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(problem.where, white_space="nowrap"),
        rx.table.cell(rx.code(problem.value)),
        rx.table.cell(problem.reason),
    )


def report_panel() -> rx.Component:
    return rx.fragment(
        rx.cond(
            ImportState.summary != "",
            rx.callout(rx.text("Imported: ", ImportState.summary), icon="circle-check", color_scheme="green"),
        ),
        rx.cond(
            ImportState.rejected_message != "",
            rx.callout(rx.text(ImportState.rejected_message), icon="circle-alert", color_scheme="red", role="alert"),
        ),
        rx.cond(
            ImportState.problem_count > 0,
            rx.box(
                rx.hstack(
                    rx.text(ImportState.problem_count.to_string(), " problem(s)", weight="bold", size="2"),
                    rx.button(
                        rx.icon("download", size=14),
                        "Download bad rows",
                        size="1",
                        variant="soft",
                        on_click=ImportState.download_bad_rows,
                    ),
                    justify="between",
                    align="center",
                ),
                rx.scroll_area(
                    rx.table.root(
                        rx.table.header(
                            rx.table.row(
                                rx.table.column_header_cell("Where"),
                                rx.table.column_header_cell("Value"),
                                rx.table.column_header_cell("Why"),
                            )
                        ),
                        rx.table.body(rx.foreach(ImportState.problems, problem_item)),
                        size="1",
                        aria_label="Import problems",
                    ),
                    max_height="220px",
                    type="auto",
                ),
                rx.cond(
                    ImportState.hidden_problem_count > 0,
                    rx.text(
                        "…and ",
                        ImportState.hidden_problem_count.to_string(),
                        " more in the download.",
                        size="1",
                        color_scheme="gray",
                    ),
                ),
                class_name="import-problems",
            ),
        ),
    )


def import_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(
                rx.icon("file-up", size=16),
                rx.el.span("Import", class_name="button-label"),
                aria_label="Import",
                variant="soft",
                size="2",
            )
        ),
        rx.dialog.content(
            rx.dialog.title("Import Contacts"),
            rx.dialog.description(
                "Columns in this order: Full Name, Phone, Email (optional). A file with any bad row is not "
                "imported at all, and every problem is listed. ",
                rx.link("Download a sample CSV", href="/sample_contacts.csv", download="sample_contacts.csv"),
                size="2",
            ),
            rx.vstack(
                file_picker(),
                paste_area(),
                options(),
                list_picker(),
                progress_panel(),
                report_panel(),
                rx.hstack(
                    rx.dialog.close(rx.button("Close", type="button", variant="soft", color_scheme="gray")),
                    rx.button(
                        "Import Contacts",
                        on_click=ImportState.start_import,
                        disabled=~ImportState.can_start,
                        loading=ImportState.running,
                    ),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="4",
                margin_top="12px",
            ),
            max_width="620px",
        ),
        open=ImportState.open,
        on_open_change=ImportState.set_open,
    )
