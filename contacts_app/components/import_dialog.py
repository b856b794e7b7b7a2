"""The Import dialog: sample CSV, Upload File or paste, options, progress and the report."""

import reflex as rx

from contacts_app.state.importer import FILE_INPUT_ID, ImportState, MappingColumn, ProblemRow

SAMPLE_CSV = "/sample_contacts.csv"


def file_picker() -> rx.Component:
    # A native file input named by its visible label; the page sends the file to the server's own
    # upload route (state/importer.py), not Reflex's upload, which spools the whole body first.
    return rx.vstack(
        rx.hstack(
            rx.el.input(
                type="file",
                id=FILE_INPUT_ID,
                accept=".csv,.txt,.xlsx,.vcf,text/csv,text/plain,text/vcard",
                on_change=ImportState.choose_file,
                disabled=ImportState.running | ImportState.uploading,
                class_name="file-input",
            ),
            rx.el.label(
                rx.icon("upload", size=16, aria_hidden="true"),
                "Upload File",
                html_for=FILE_INPUT_ID,
                class_name="file-button",
            ),
            rx.cond(
                ImportState.uploading,
                rx.hstack(rx.spinner(size="1"), rx.text("Uploading…", size="2"), align="center", role="status"),
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
                    rx.text("CSV, Excel (.xlsx) or vCard (.vcf), up to 100 MB", size="2", color_scheme="gray"),
                ),
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
            # A controlled text area is already debounced (300 ms) by Reflex: no second wait on top.
            on_change=ImportState.set_pasted,
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


def mapping_row(column: MappingColumn, index) -> rx.Component:
    # The first values sit under the column's name, not in a column of their own: two columns fit a
    # 390 px screen, three pushed the dialog past its right edge.
    return rx.table.row(
        rx.table.row_header_cell(
            rx.text(column.header, as_="div", weight="medium"),
            rx.text(column.sample, as_="div", size="1", color_scheme="gray"),
        ),
        rx.table.cell(
            rx.select.root(
                rx.select.trigger(aria_label=column.label, width="100%"),
                rx.select.content(
                    rx.foreach(
                        ImportState.target_options, lambda option: rx.select.item(option.label, value=option.value)
                    )
                ),
                value=column.target,
                on_change=lambda target: ImportState.set_column_target(index, target),
                size="1",
            ),
            min_width="130px",
        ),
    )


def mapping_panel() -> rx.Component:
    """What each column holds, proposed from the header line; the user can change any of it."""
    return rx.cond(
        ImportState.mapping.length() > 0,
        rx.box(
            rx.text("Match the columns", weight="bold", size="2"),
            rx.text(
                "The first line names the columns, so it is not imported. Choose what each column holds.",
                size="1",
                color_scheme="gray",
            ),
            rx.scroll_area(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Column (first values)"),
                            rx.table.column_header_cell("Import as"),
                        )
                    ),
                    rx.table.body(rx.foreach(ImportState.mapping, mapping_row)),
                    size="1",
                    aria_label="Column mapping",
                ),
                max_height="240px",
                type="auto",
            ),
            rx.cond(
                ImportState.mapping_error != "",
                rx.text(ImportState.mapping_error, role="alert", class_name="field-error", size="2"),
            ),
            class_name="import-mapping",
            width="100%",
        ),
    )


def options() -> rx.Component:
    return rx.vstack(
        rx.cond(
            ImportState.mapping.length() == 0,
            rx.el.label(
                rx.checkbox(
                    checked=ImportState.skip_first_line,
                    on_change=ImportState.set_skip_first_line,
                    aria_label="Skip First Line",
                ),
                rx.text("Skip First Line", as_="span", size="2"),
                class_name="checkbox-label",
            ),
        ),
        rx.cond(
            ~ImportState.header_hint & ((ImportState.file_name != "") | (ImportState.pasted != "")),
            rx.text("No header line: the columns are read as Full Name, Phone, Email.", size="1", color_scheme="gray"),
        ),
        rx.cond(
            ImportState.header_hint & (ImportState.mapping.length() == 0),
            rx.cond(
                ImportState.skip_first_line,
                rx.text("The first line looks like column names, so it is skipped.", size="1", color_scheme="gray"),
                # Once an import has failed, its report says it: the hint would be a second message.
                rx.cond(
                    ImportState.rejected_message == "",
                    rx.callout(
                        "The first line looks like a header (Full Name, Phone, Email). Tick “Skip First Line” "
                        "so it is not read as a contact.",
                        icon="info",
                        size="1",
                        color_scheme="amber",
                    ),
                ),
            ),
        ),
        rx.el.label(
            rx.checkbox(
                checked=ImportState.skip_invalid,
                on_change=ImportState.set_skip_invalid,
                aria_label="Skip invalid rows",
            ),
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
                rx.text(ImportState.progress_text),
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
                    rx.text(ImportState.problem_count_text, weight="bold", size="2"),
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
                # A plain scrolling box that takes focus, so the list scrolls from the keyboard too.
                rx.box(
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
                    overflow_y="auto",
                    tab_index=0,
                    role="region",
                    aria_label="Problems",
                    class_name="problem-scroll",
                ),
                rx.cond(
                    ImportState.hidden_problem_count > 0,
                    rx.text(ImportState.hidden_problem_text, size="1", color_scheme="gray"),
                ),
                class_name="import-problems",
            ),
        ),
    )


def import_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(rx.icon("upload", size=16), "Import", variant="soft", size="2", class_name="desktop-only")
        ),
        rx.dialog.content(
            rx.dialog.title("Import Contacts"),
            rx.dialog.description(
                "Columns in this order: Full Name, Phone, Email (optional), or a header line naming the "
                "columns, which you match below. A file with any bad row is not imported at all, and every "
                "problem is listed. ",
                # reload_document: the router's client-side navigation would show its 404 page instead.
                rx.link(
                    "Download a sample CSV",
                    href=SAMPLE_CSV,
                    download="sample_contacts.csv",
                    reload_document=True,
                    underline="always",
                ),
                size="2",
            ),
            rx.vstack(
                file_picker(),
                paste_area(),
                mapping_panel(),
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
        open=ImportState.dialog == "import",
        on_open_change=ImportState.set_open,
    )
