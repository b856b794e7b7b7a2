"""Every API error is JSON: {"error": {"message": ..., "fields": {field: message}}}."""

import json
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

# Every route may answer these (400: a body that is not JSON at all; 405 carries `Allow`).
API_ERROR_STATUSES = (400, 401, 403, 404, 405, 409, 422)


class ApiError(Exception):
    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.headers = headers


def error_body(message: str, fields: dict[str, str] | None = None) -> dict:
    return {"error": {"message": message, "fields": fields or {}}}


def invalid(fields: dict[str, str], status: int = 422) -> ApiError:
    return ApiError(status, " ".join(fields.values()), fields)


def _field_name(location: tuple) -> str:
    # ("body", "phone") -> "phone"; ("query", "limit") -> "limit"; a bad body as a whole -> "body".
    names = [str(part) for part in location[1:] if not isinstance(part, int)]
    if not location:
        return "body"
    return ".".join(names) or str(location[0])


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.message, exc.fields), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields: dict[str, str] = {}
        for problem in exc.errors():
            name = _field_name(tuple(problem.get("loc", ())))
            fields.setdefault(name, f"{name}: {problem.get('msg', 'invalid')}")
        return JSONResponse(error_body(" ".join(fields.values()) or "Invalid request.", fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = exc.headers
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path; the path may have several.
            allowed = allowed_methods(request)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            message = f"{request.method} is not allowed here; use {', '.join(allowed)}."
            return JSONResponse(error_body(message), status_code=405, headers=headers)
        return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code, headers=headers)


class JsonNotFoundUnderApi:
    """ASGI middleware: a path under /api/ that no route takes (one with a newline in it, which
    Starlette's path patterns never match) falls through to the page app, whose 404 is plain
    text; an API client gets the API's JSON error instead."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_as_json(message) -> None:
            nonlocal replaced
            if replaced:
                return  # the page app's text body, already answered
            if message["type"] == "http.response.start" and message["status"] == 404:
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if not content_type.startswith(b"application/json"):
                    replaced = True
                    body = json.dumps(error_body("There is nothing at this address.")).encode()
                    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                    await send({"type": "http.response.start", "status": 404, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
            await send(message)

        await self.app(scope, receive, send_as_json)


def allowed_methods(request: Request) -> list[str]:
    """The methods the OpenAPI description gives the request's path."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), request.url.path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)
