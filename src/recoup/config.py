"""One Settings object, read from RECOUP_* environment variables when an entry point builds it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from recoup.adapters.db.engine import DEFAULT_URL


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECOUP_", extra="ignore")

    database_url: str = Field(default=DEFAULT_URL, description="sqlite:///file.db or postgresql+psycopg://")
    model_dir: Path = Path("models")
    agency_name: str = "Recoup"
    agency_phone: str = "400-000-0000"
    call_capacity: int = Field(default=2000, ge=0, description="agent calls a day, all queues together")
    visit_capacity: int = Field(default=0, ge=0)
    message_budget: int | None = Field(default=None, ge=0, description="minor units a day; none: no cap")
    promise_grace_days: int = Field(default=3, ge=0, le=60)
    audit_signing_key: str | None = Field(default=None, description="Ed25519 private key (hex): checkpoints")
    max_upload_bytes: int = Field(default=2 * 1024**3, gt=0)
    strategy: str = "default"
