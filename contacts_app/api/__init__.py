"""The REST API (FastAPI), mounted into the Reflex app by `api_transformer`."""

from contacts_app.api.app import create_api

__all__ = ["create_api"]
