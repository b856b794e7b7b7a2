"""The column mapping an account last imported with, so the next file with those columns (the
same CRM's export next month) is proposed the way the user left it."""

import json

from sqlmodel import Session

from contacts_app.domain.column_mapping import ColumnMapping, clean_target, normalize_header
from contacts_app.models import AccountSettings, utcnow

# Columns remembered per account; the oldest choices give way first.
MAX_REMEMBERED_COLUMNS = 200


def remembered_targets(session: Session, account_id: int) -> dict[str, str]:
    """{normalized column name: target} of the account's earlier imports."""
    settings = session.get(AccountSettings, account_id)
    if settings is None or not settings.import_mapping:
        return {}
    try:
        stored = json.loads(settings.import_mapping)
    except ValueError:
        return {}
    remembered = {}
    for key, target in stored.items():
        try:
            remembered[key] = clean_target(target)
        except ValueError:
            continue
    return remembered


def remember_mapping(session: Session, account_id: int, mapping: ColumnMapping) -> None:
    """Keep what each named column of this import held (over what was kept before)."""
    remembered = remembered_targets(session, account_id)
    for header, target in zip(mapping.headers, mapping.targets, strict=False):
        if key := normalize_header(header):
            remembered.pop(key, None)
            remembered[key] = target
    kept = dict(list(remembered.items())[-MAX_REMEMBERED_COLUMNS:])
    settings = session.get(AccountSettings, account_id) or AccountSettings(account_id=account_id)
    settings.import_mapping = json.dumps(kept, ensure_ascii=False)
    settings.updated_at = utcnow()
    session.add(settings)
