"""Domain errors. Each carries the HTTP status an API maps it to and, where known, where the problem is."""

from __future__ import annotations


class RecoupError(Exception):
    """Base of every error Recoup raises on purpose."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(RecoupError):
    """Bad input: names the field (and, when the caller knows them, the file, row and column)."""

    status_code = 422

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        file: str | None = None,
        row: int | None = None,
    ) -> None:
        super().__init__(message)
        self.field = field
        self.file = file
        self.row = row

    def located(self, *, file: str | None = None, row: int | None = None, field: str | None = None) -> str:
        where = [f for f in (file or self.file, f"row {row or self.row}" if (row or self.row) else None) if f]
        column = field or self.field
        if column:
            where.append(f"column {column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class NotFound(RecoupError):
    status_code = 404


class Conflict(RecoupError):
    status_code = 409
