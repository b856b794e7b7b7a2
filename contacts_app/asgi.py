"""What the web processes serve: the Reflex app behind the one wrapper Reflex offers no hook for.

Reflex mounts everything beneath a top-level Starlette app whose catch-all `Mount("")` never
matches a path with a newline in it; that request would get Starlette's plain-text 404 even under
/api/, where clients are promised JSON errors.
"""

from contacts_app.api.errors import JsonNotFoundUnderApi
from contacts_app.contacts_app import app


def served_app():
    """Granian's factory target (contacts_app/server.py)."""
    return JsonNotFoundUnderApi(app())
