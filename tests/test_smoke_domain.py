from contacts_app.db import session_scope
from contacts_app.domain.contacts import ContactInput, create_contact, search_contacts


def test_added_contact_is_found_by_last_four_digits(engine, line_id):
    with session_scope(engine) as session:
        create_contact(session, line_id, ContactInput("Jane Doe", "(415) 555-2671"))
    with session_scope(engine) as session:
        assert [c.full_name for c in search_contacts(session, line_id, "2671").rows] == ["Jane Doe"]
