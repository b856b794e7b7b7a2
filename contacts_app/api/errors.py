"""Every API error is JSON: {"error": {"message": ..., "fields": {field: message}}}."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


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
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code, headers=exc.headers)
