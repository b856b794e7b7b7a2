"""What an open page polls for texts and review flags, and the list's "Needs review" filter."""

from contacts_app.db import session_scope
from contacts_app.domain import conversation_watch, review_flags
from contacts_app.domain.contact_filter import ContactFilter
from contacts_app.domain.contacts import ContactInput, create_contact, search_contacts
from contacts_app.domain.inbound import receive_inbound
from contacts_app.models import Line


def test_a_flagged_text_moves_the_stamps_and_lists_the_contact_under_needs_review(engine, line_id):
    with session_scope(engine) as session:
        flagged = create_contact(session, line_id, ContactInput("Flagged Person", "415 555 0103"))
        create_contact(session, line_id, ContactInput("Quiet Person", "415 555 0104"))
        before = conversation_watch.contact_stamp(session, line_id, flagged.phone)
        review_before = conversation_watch.review_stamp(session, line_id)

        receive_inbound(session, session.get(Line, line_id), "4155550103", "please stop texting me")

        assert conversation_watch.contact_stamp(session, line_id, flagged.phone) != before
        assert conversation_watch.review_stamp(session, line_id) != review_before
        needing_review = search_contacts(session, line_id, ContactFilter(needs_review=True))
        assert [c.full_name for c in needing_review.rows] == ["Flagged Person"]
        assert needing_review.total == 1

        review_flags.resolve_review(session, flagged, actor="owner@example.com")
        assert conversation_watch.review_stamp(session, line_id) == review_before
        assert search_contacts(session, line_id, ContactFilter(needs_review=True)).total == 0


def test_a_plain_text_moves_only_its_contacts_stamp(engine, line_id):
    with session_scope(engine) as session:
        one = create_contact(session, line_id, ContactInput("One", "415 555 0105"))
        other = create_contact(session, line_id, ContactInput("Other", "415 555 0106"))
        stamps = {c.phone: conversation_watch.contact_stamp(session, line_id, c.phone) for c in (one, other)}
        receive_inbound(session, session.get(Line, line_id), "4155550105", "See you at 5")
        assert conversation_watch.contact_stamp(session, line_id, one.phone) != stamps[one.phone]
        assert conversation_watch.contact_stamp(session, line_id, other.phone) == stamps[other.phone]
