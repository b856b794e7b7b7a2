"""How the contact list feels at 100,000 contacts: server-side time of what the page does.

    .venv/bin/python benchmarks/list_bench.py              # a temporary SQLite file
    .venv/bin/python benchmarks/list_bench.py --postgres   # PostgreSQL at 127.0.0.1:5432, fresh schema

Seeds one line with realistic, unique names, numbers and e-mails (a few opted out, with their
consent history; tags, a custom field, a list, review flags and every consent status), then
prints the median of several runs of each page action, and peak memory: searches, opening a
contact, and the first page of every sort with every filter (and some combinations of them).
Exits with status 1 when a median misses the 50 ms target.
"""

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

# Run as a script from anywhere: the project is not installed into the virtualenv as a package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.seeding import seed_row  # noqa: E402
from contacts_app.db import make_engine, migrate, session_scope  # noqa: E402
from contacts_app.domain import consent, custom_fields, lists  # noqa: E402
from contacts_app.domain.contact_filter import ContactFilter, Sort  # noqa: E402
from contacts_app.domain.contacts import (  # noqa: E402
    ensure_default_line,
    get_contact,
    position_of,
    region_of_line,
    search_contacts,
)
from contacts_app.models import ConsentStatus, Contact, FieldKind, Line, utcnow  # noqa: E402
from contacts_app.views import contact_detail, contact_row, history_entry  # noqa: E402

POSTGRES_URL = os.environ.get("CONTACTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
TARGET_MS = 50.0
INSERT_BATCH = 5_000
OPTED_OUT_SHARE = 0.02

FIRST_NAMES = """James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark
Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian
Melissa George Deborah Timothy Stephanie Ronald Dorothy Jason Rebecca Edward Sharon Jeffrey Laura Ryan Cynthia Jacob
Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Brenda Stephen Emma Larry Anna Justin Pamela Scott Nicole
Brandon Samantha Benjamin Katherine Samuel Christine Gregory Helen Alexander Debra Patrick Rachel Frank Carolyn
Raymond Janet Jack Maria Dennis Catherine Jerry Heather Tyler Diane Aaron Olivia Jose Julie Adam Joyce Nathan
Victoria Henry Ruth Zachary Virginia Douglas Lauren Peter Kelly Kyle Christina Noah Joan Ethan Evelyn Jeremy Judith
Walter Andrea Christian Hannah Keith Megan Roger Cheryl Terry Jacqueline Austin Martha Sean Madison Gerald Teresa
Carl Gloria Harold Sara Dylan Janice Arthur Ann Lawrence Kathryn Jordan Abigail Jesse Sophia Bryan Frances Billy
Jean Bruce Alice Gabriel Judy Joe Isabella Logan Julia Alan Grace Juan Amber Albert Denise Willie Danielle Elijah
Marilyn Wayne Beverly Randy Charlotte Vincent Natalie Mason Theresa Roy Diana Ralph Brittany Bobby Doris Russell
Kayla Bradley Alexis Philip Lori Eugene Marie""".split()
LAST_NAMES = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis
Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera
Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris
Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward
Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel
Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales
Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West Cole
Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez
McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson
Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson
Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver
Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley
Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry Perkins
Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval Guerrero George Chapman Rios
Estrada Ortega Watkins Greene Nunez Wheeler Valdez Harper Burke Larson Santiago Maldonado Morrison Franklin Carlson
Austin Dominguez Carr Lawson Jacobs Obrien Lynch Singh Vega Bishop Montgomery Oliver Jensen Harvey Williamson
Gilbert Dean Sims Espinoza Howell Li Wong Reid Hanson Le McCoy Garrett Burton Fuller Wang Weber Welch Rojas Lucas
Marquez Fields Park Yang Little Banks Padilla Day Walsh Bowman Schultz Luna Fowler Mejia Davidson Acosta Brewer
May Holland Juarez Newman Pearson Curtis Cortez Douglas Schneider Joseph Barrett Navarro Figueroa Keller Avila
Wade Molina Stanley Hopkins Campos Barnett Bates Chambers Caldwell Beck Lambert Miranda Byrd Craig Ayala Lowe
Frazier Powers Neal Leonard Gregory Carrillo Sutton Fleming Rhodes Shelton Schwartz Norris Jennings Watts Duran
Walters Cohen McDaniel Moran Parks Steele Vaughn Becker Holt Deleon Barker Terry Hale Leon Hail Benson Haynes
Horton Miles Lyons Pham Graves Bush Thornton Wolfe Warner Cabrera McKinney Mann Zimmerman Dawson Lara Fletcher
Page McCarthy Love Robles Cervantes Solis Erickson Reeves Chang Klein Salinas Fuentes Baldwin Daniel Simon
Velasquez Hardy Higgins Aguirre Lin Cummings Chandler Sharp Barber Bowen Ochoa Dennis Robbins Liu Ramsey Francis
Griffith Paul Blair Oconnor Cardenas Pacheco Cross Calderon Quinn Moss Swanson Chan Rivas Khan Rodgers Serrano
Fitzgerald Rosales Stevenson Christensen Manning Gill Curry McKinney Gutierrez Logan Hogan Norton Mccormick""".split()
# Real US area codes, so every number is valid for phonenumbers; 415 gets a bigger share.
AREA_CODES = """415 415 415 212 213 312 305 404 512 617 646 702 713 718 720 801 808 206 303 503 602 619 650
704 901 949 971 984 210 214 469 480 510 562 626 661 707 708 714 760 773 786 818 832 858 909 916 925 951""".split()
MAIL_DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "aol.com", "proton.me"]


def realistic_people(count: int, seed: int = 20260101) -> Iterator[tuple[str, str, str | None]]:
    """Unique (full name, E.164 phone, e-mail) triples; names repeat as in life, numbers never."""
    rng = random.Random(seed)
    seen_phones: set[str] = set()
    seen_emails: set[str] = set()
    produced = 0
    while produced < count:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        # NANP exchanges and subscriber numbers: [2-9]XX-XXXX; 555 appears like any other exchange.
        phone = f"+1{rng.choice(AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if phone in seen_phones:
            continue
        seen_phones.add(phone)
        email = None
        if rng.random() < 0.7:
            email = f"{first}.{last}{rng.randint(1, 9999)}@{rng.choice(MAIL_DOMAINS)}".lower()
            if email in seen_emails:
                email = None
            else:
                seen_emails.add(email)
        produced += 1
        yield f"{first} {last}", phone, email


def seed_contacts(engine: Engine, count: int) -> tuple[int, int]:
    """Bulk-insert `count` contacts on the default line; returns (line id, an opted-out contact's id)."""
    with session_scope(engine) as session:
        line_id = ensure_default_line(session).id
    now = utcnow()
    rng = random.Random(7)
    batch: list[dict] = []
    opted_out_phones: list[str] = []

    def flush() -> None:
        with engine.begin() as connection:
            connection.execute(insert(Contact), batch)
        batch.clear()

    for name, phone, email in realistic_people(count):
        opted_out = rng.random() < OPTED_OUT_SHARE
        created = now - timedelta(minutes=rng.randint(0, 500_000))
        consent_status = "confirmed" if rng.random() < 0.5 else "not_sent"
        batch.append(seed_row(line_id, name, phone, email, created, opted_out, consent_status))
        if opted_out:
            opted_out_phones.append(phone)
        if len(batch) >= INSERT_BATCH:
            flush()
    if batch:
        flush()
    with engine.begin() as connection:
        # Opted-out contacts carry their history, as the app would have written it.
        connection.execute(
            text(
                "INSERT INTO consentevent (line_id, contact_id, phone, kind, source, actor, detail, created_at) "
                "SELECT line_id, id, phone, 'opted_out', 'keyword', NULL, 'STOP', opted_out_at "
                "FROM contact WHERE opted_out AND line_id = :line"
            ),
            {"line": line_id},
        )
        opted_out_id = connection.execute(
            text("SELECT id FROM contact WHERE phone = :phone AND line_id = :line"),
            {"phone": opted_out_phones[len(opted_out_phones) // 2], "line": line_id},
        ).scalar_one()
    return line_id, opted_out_id


def seed_extras(engine: Engine, line_id: int) -> tuple[int, int]:
    """What a business keeps beyond the basics, in realistic shares; returns (list id, field id).

    Tags: 10% "vip", 33% "regular"; Company on half the contacts (50 companies); a list with 20%
    of them; consent pending 5% and declined 2%; an open review flag on 0.1%.
    """
    with session_scope(engine) as session:
        account_id = session.get(Line, line_id).account_id
        list_id = lists.create_list(session, line_id, "Spring Sale").id
        field_id = custom_fields.create_field(session, account_id, "Company", FieldKind.TEXT).id
    statements = [
        "INSERT INTO contact_tag (contact_id, name_key, name, line_id) "
        "SELECT id, 'vip', 'VIP', line_id FROM contact WHERE line_id = :line AND id % 10 = 0",
        "INSERT INTO contact_tag (contact_id, name_key, name, line_id) "
        "SELECT id, 'regular', 'regular', line_id FROM contact WHERE line_id = :line AND id % 3 = 0",
        # A value on the contact (custom_fields.value_member's shape), and its lookup row.
        "UPDATE contact SET field_values = '{\"' || CAST(:field AS TEXT) || '\":[\"Acme ' || (id % 50) || "
        "'\",\"acme ' || (id % 50) || '\"]}' WHERE line_id = :line AND id % 2 = 0",
        "INSERT INTO contact_field_value (field_id, value_key, contact_id) "
        "SELECT :field, 'acme ' || (id % 50), id FROM contact WHERE line_id = :line AND id % 2 = 0",
        "INSERT INTO list_membership (list_id, contact_id, added_at) "
        "SELECT :list, id, created_at FROM contact WHERE line_id = :line AND id % 5 = 0",
        "UPDATE contact SET consent_status = 'pending' WHERE line_id = :line AND id % 20 = 1",
        "UPDATE contact SET consent_status = 'declined' WHERE line_id = :line AND id % 50 = 2",
        "INSERT INTO review_flag (line_id, phone, contact_id, reason, created_at) "
        "SELECT line_id, phone, id, 'possible_opt_out', created_at FROM contact "
        "WHERE line_id = :line AND id % 1000 = 7",
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"line": line_id, "list": list_id, "field": field_id})
    return list_id, field_id


def filter_combinations(list_id: int, field_id: int) -> list[tuple[str, ContactFilter]]:
    """Every filter alone and a few together, each in every sort."""
    alone = [
        ("no filter", ContactFilter()),
        ("opted out", ContactFilter(opted_out=True)),
        ("not opted out", ContactFilter(opted_out=False)),
        *[(f"consent {status.value}", ContactFilter(consent=status)) for status in ConsentStatus],
        ("tag vip", ContactFilter(tag="vip")),
        ("tag nobody has", ContactFilter(tag="nobody")),
        ("Company = acme 8", ContactFilter(field_id=field_id, field_value="acme 8")),
        ("Company has a value", ContactFilter(field_id=field_id)),
        ("list", ContactFilter(list_id=list_id)),
        ("needs review", ContactFilter(needs_review=True)),
        ("list + tag regular + not opted out", ContactFilter(list_id=list_id, tag="regular", opted_out=False)),
        ("consent pending + tag vip", ContactFilter(consent=ConsentStatus.PENDING, tag="vip")),
        ("search 'smith' + opted out", ContactFilter(query="smith", opted_out=True)),
        ("search '415' + Company acme 8", ContactFilter(query="415", field_id=field_id, field_value="acme 8")),
    ]
    return [(f"{sort.value:<7} | {label}", replace(chosen, sort=sort)) for sort in Sort for label, chosen in alone]


def analyze(engine: Engine) -> None:
    """Refresh planner statistics, as autovacuum / `PRAGMA optimize` would in a running system."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def median_ms(action: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    action()  # warm caches and prepared statements, as a page already in use has
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), times


def filter_actions(engine: Engine, line_id: int, list_id: int, field_id: int) -> list[tuple[str, Callable[[], object]]]:
    """The first page (and its count) of every sort and filter combination, as the page reads it."""
    with session_scope(engine) as session:
        region = region_of_line(session, line_id)

    def first_page(chosen: ContactFilter) -> Callable[[], object]:
        def run() -> int:
            with session_scope(engine) as session:
                page = search_contacts(session, line_id, chosen)
                return page.total + len([contact_row(contact, region) for contact in page.rows])

        return run

    return [(label, first_page(chosen)) for label, chosen in filter_combinations(list_id, field_id)]


def page_actions(engine: Engine, line_id: int, contact_id: int) -> list[tuple[str, Callable[[], object]]]:
    with session_scope(engine) as session:
        sample = get_contact(session, line_id, contact_id)
        region = region_of_line(session, line_id)
    last_four = sample.phone[-4:]
    surname = sample.full_name.split()[-1].lower()

    def search(query: str) -> Callable[[], object]:
        def run() -> int:
            with session_scope(engine) as session:
                page = search_contacts(session, line_id, ContactFilter(query=query))
                rows = [contact_row(contact, region) for contact in page.rows]
                return page.total + len(rows)

        return run

    def open_contact() -> object:
        with session_scope(engine) as session:
            contact = get_contact(session, line_id, contact_id)
            events = consent.history(session, contact)
            return contact_detail(contact, region), [history_entry(event) for event in events]

    def locate() -> int:
        with session_scope(engine) as session:
            return position_of(session, line_id, get_contact(session, line_id, contact_id))

    return [
        ("first page (empty search, with count)", search("")),
        (f"name search {surname!r}", search(surname)),
        (f"name search {sample.full_name.lower()!r}", search(sample.full_name.lower())),
        (f"e-mail search {'gmail.com'!r}", search("gmail.com")),
        # Too short for any index: the worst case, a full count of nearly every row.
        ("one-letter search 'a'", search("a")),
        (f"phone search last four {last_four!r}", search(last_four)),
        ("phone search '415 555'", search("415 555")),
        ("phone search '(415)'", search("(415)")),
        ("open one contact (get + history + detail)", open_contact),
        ("position of a contact in the list", locate),
    ]


@contextmanager
def benchmark_engine(use_postgres: bool) -> Iterator[Engine]:
    if not use_postgres:
        with tempfile.TemporaryDirectory(prefix="contacts-bench-") as directory:
            engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
            try:
                yield engine
            finally:
                engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help=f"run on PostgreSQL ({POSTGRES_URL})")
    parser.add_argument("--contacts", type=int, default=100_000, help="how many contacts to seed")
    parser.add_argument("--runs", type=int, default=9, help="timed runs per action (median is reported)")
    parser.add_argument("--only-basics", action="store_true", help="searches and opening only, no sort/filter grid")
    args = parser.parse_args()

    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{database}, {args.contacts:,} contacts, median of {args.runs} runs; load average {_load()}")
    with benchmark_engine(args.postgres) as engine:
        migrate(engine)
        start = time.perf_counter()
        line_id, contact_id = seed_contacts(engine, args.contacts)
        list_id, field_id = seed_extras(engine, line_id)
        analyze(engine)
        print(f"seeded in {time.perf_counter() - start:.1f} s")
        missed = 0
        actions = page_actions(engine, line_id, contact_id)
        if not args.only_basics:
            actions += filter_actions(engine, line_id, list_id, field_id)
        for label, action in actions:
            median, times = median_ms(action, args.runs)
            verdict = "ok" if median < TARGET_MS else "MISSES TARGET"
            missed += median >= TARGET_MS
            print(f"  {label:<52} {median:7.1f} ms  (min {min(times):.1f}, max {max(times):.1f})  {verdict}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (maxrss): {peak_mb:.0f} MB; load average {_load()}")
    return 1 if missed else 0


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
