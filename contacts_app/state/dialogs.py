"""What every page's dialogs keep on the server: which one is open, its field errors, and a version
that renews its form. A page shows one dialog at a time, so one name serves all of a state's dialogs."""

import reflex as rx


class DialogState(rx.State, mixin=True):
    # The open dialog's name ("" when none is open).
    dialog: str = ""
    # The open dialog's messages, by field name, shown beside each field.
    dialog_errors: dict[str, str] = {}
    # Changes on every opening: a form keyed on it shows fresh default values (its inputs are uncontrolled).
    dialog_version: int = 0

    def _open_dialog(self, name: str) -> None:
        """Open `name` with no errors and fresh fields; a handler that must refuse does so before this."""
        self.dialog, self.dialog_errors = name, {}
        self.dialog_version += 1

    def _close_dialog(self) -> None:
        self.dialog, self.dialog_errors = "", {}

    @rx.event
    def dialog_open_change(self, name: str, is_open: bool):
        """Radix's on_open_change: Escape, a click outside and Cancel close the dialog. Opening goes through
        the page's own handler, which checks permissions and reads what the dialog shows."""
        if not is_open and self.dialog == name:
            self._close_dialog()
