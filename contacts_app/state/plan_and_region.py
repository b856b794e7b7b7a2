"""The Users page's account settings: the plan (where administrators may choose it) and the
region that numbers without a country code are read in.

A mixin of `UsersState` (state/users.py), whose `_reload` shows the result. The domain functions
check that the signed-in user is an administrator.
"""

import reflex as rx

from contacts_app.db import session_scope
from contacts_app.domain import accounts as accounts_domain
from contacts_app.domain.contacts import RegionInvalid
from contacts_app.domain.permissions import UnknownPlan
from contacts_app.state.session import off_the_loop


class PlanAndRegion(rx.State, mixin=True):
    region: str = ""
    region_error: str = ""
    # Changes when the region field must show the stored value again (its input is uncontrolled).
    region_version: int = 0

    @rx.var
    def region_key(self) -> str:
        return f"region-{self.region_version}"

    @rx.event
    @off_the_loop
    def choose_plan(self, plan: str):
        with session_scope() as session:
            admin = self._user(session)
            try:
                accounts_domain.choose_plan(session, admin, plan)
            except UnknownPlan as unknown:
                return rx.toast.error(str(unknown))
            self._reload(session, admin)
        return rx.toast.success(f"The account is on the {self.plan_name} plan.")

    @rx.event
    @off_the_loop
    def save_region(self, form_data: dict):
        with session_scope() as session:
            admin = self._user(session)
            try:
                region = accounts_domain.choose_region(session, admin, str(form_data.get("region", "")))
            except RegionInvalid as invalid:
                self.region_error = str(invalid)
                return
            self.region_error = ""
            self._reload(session, admin)
        self.region_version += 1
        return rx.toast.success(f"Numbers without a country code are now read as {region} numbers.")
