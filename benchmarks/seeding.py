"""A contact as the benchmarks bulk-insert it: the columns `create_contact` would fill, without
the per-row checks (the benchmarks seed tens of thousands at once)."""

from datetime import datetime

from contacts_app.domain.contacts import search_text_for


def seed_row(
    line_id: int,
    name: str,
    phone: str,
    email: str | None,
    when: datetime,
    opted_out: bool = False,
    consent_status: str = "not_sent",
) -> dict:
    return {
        "line_id": line_id,
        "full_name": name,
        "name_key": name.lower(),
        "phone": phone,
        "email": email,
        "search_text": search_text_for(name, phone, email),
        "opted_out": opted_out,
        "opted_out_at": when if opted_out else None,
        "opted_out_source": "keyword" if opted_out else None,
        "opted_out_by": None,
        "consent_status": consent_status,
        "created_at": when,
        "updated_at": when,
    }
