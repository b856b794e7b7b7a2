"""Account settings in the Settings dialog, for administrators: the business name consent texts use."""

import reflex as rx

from contacts_app.db import session_scope
from contacts_app.domain import account as account_domain
from contacts_app.domain import permissions
from contacts_app.domain.permissions import Action
from contacts_app.state.session import SessionState, off_the_loop


class AccountState(SessionState):
    business_name: str = ""
    business_name_error: str = ""
    # Changes when the field must show the stored name again (its input is uncontrolled).
    business_form_version: int = 0

    @rx.event
    @off_the_loop
    def load_business_name(self):
        with session_scope() as session:
            user = self._user(session)
            self.business_name = account_domain.business_name(session, user.account_id)
        self.business_name_error = ""
        self.business_form_version += 1

    @rx.event
    @off_the_loop
    def save_business_name(self, form_data: dict):
        try:
            with session_scope() as session:
                user = self._user(session)
                permissions.require(session, user, Action.MANAGE_USERS)
                name = account_domain.set_business_name(session, user.account_id, str(form_data.get("business_name")))
        except account_domain.BusinessNameInvalid as invalid:
            self.business_name_error = str(invalid)
            return None
        self.business_name, self.business_name_error = name, ""
        return rx.toast.success(f"Consent requests now start with “{name}”.")
