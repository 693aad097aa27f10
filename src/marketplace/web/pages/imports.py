"""What the desk's table imports (questionnaires, the roster) do alike on pages: take the uploaded file,
act once on a form (mapping, start), and say how far an import has come."""

from collections.abc import Awaitable, Callable

from litestar import Request
from litestar.response import Redirect

from .common import attempt, refusal
from .i18n import lang_of, tr
from .once import once


async def take_upload(
    request: Request, db, user, upload: Callable[..., Awaitable[tuple[object, bool]]], path: str
) -> tuple[Redirect | None, dict[str, str]]:
    """The form's `file` uploaded (once, a double tap leads to the same import): the way to the import's
    page (`path` + its id), or the errors to show beside the field."""
    form = await request.form()
    upload_file = form.get("file")
    if upload_file is None or isinstance(upload_file, str) or not upload_file.filename:
        return None, {"file": tr(lang_of(request), "Choose a CSV or XLSX file.")}
    content = await upload_file.read()

    async def work() -> str:
        found, _ = await upload(db, user, upload_file.filename, content)
        return f"{path}{found.id}"

    location, exc = await attempt(db, lambda: once(request, db, user, work))
    if exc is None:
        return Redirect(location, status_code=303), {}
    return None, refusal(request, exc, "file")[1]


async def act(
    request: Request, db, user, work: Callable[[], Awaitable[str]], field: str = "mapping"
) -> tuple[Redirect | None, int, dict[str, str]]:
    """A form's use case run once: the redirect to where it leads, or the status and errors to show."""
    location, exc = await attempt(db, lambda: once(request, db, user, work))
    if exc is None:
        return Redirect(location, status_code=303), 200, {}
    status, errors = refusal(request, exc, field)
    return None, status, errors


def progress(found) -> dict:
    """How far an import has come, for its page and the page's script (static/js/progress.js)."""
    total = max(found.total_rows, 1)
    return {
        "state": found.state,
        "processed": found.processed_rows,
        "total": found.total_rows,
        "imported": found.imported_rows,
        "duplicates": found.duplicate_rows,
        "bad": found.bad_rows,
        "percent": min(100, round(100 * found.processed_rows / total)),
    }
