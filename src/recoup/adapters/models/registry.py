"""A file-system model registry: versioned, hash-checked artifacts and a promotion pointer per score kind.

Layout under the registry directory (``RECOUP_MODEL_DIR``, default ``./models``)::

    <version>/model.json      the scorer as data (scorecard points, encoder, calibrator)
    <version>/booster.txt     LightGBM's text model (gradient boosting only)
    <version>/metadata.json   kind, family, features, training fingerprint, metrics, file hashes, sha256
    promoted/<kind>.json      {"version", "sha256", "promoted_at"}: what the daily run scores with

``sha256`` covers the metadata (which lists every file's own SHA-256), so changing any byte of a file
or of the metadata is detected on load; the promotion pointer pins that hash, so a promoted model
cannot be swapped even by someone who rewrites the metadata to match. Nothing is unpickled: loading
reads JSON and LightGBM text and needs no network. A version directory and a pointer are each written
to a temporary name first and renamed into place, so a reader never sees half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from recoup.core.errors import NotFound, RecoupError
from recoup.core.scoring.artifacts import FORMAT, ScorerParts, VersionedScorer, from_parts, to_parts
from recoup.core.scoring.features import FEATURE_SCHEMA
from recoup.core.scoring.metrics import ScoreReference
from recoup.core.scoring.scorer import SCORE_KINDS, CalibratedScorer

MODEL_FILE: Final = "model.json"
METADATA_FILE: Final = "metadata.json"
POINTERS: Final = "promoted"


class ArtifactError(RecoupError):
    """A stored model is damaged, tampered with, or unfit for what it was asked to do."""

    status_code = 409


@dataclass(frozen=True)
class ModelRecord:
    version: str
    kind: str
    family: str
    dataset: str
    created_at: str
    sha256: str
    metrics: dict[str, Any]
    promoted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "kind": self.kind,
            "family": self.family,
            "dataset": self.dataset,
            "created_at": self.created_at,
            "sha256": self.sha256,
            "metrics": self.metrics,
            "promoted": self.promoted,
        }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _content_hash(metadata: Mapping[str, Any]) -> str:
    return _sha256(_canonical({k: v for k, v in metadata.items() if k not in ("sha256", "version")}))


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ModelRegistry:
    """Save, verify, list and promote scoring models in one directory."""

    def __init__(self, root: Path | str, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.root = Path(root)
        self._clock = clock

    # ---- writing ---------------------------------------------------------------------------------

    def save(self, scorer: CalibratedScorer, metadata: Mapping[str, Any]) -> ModelRecord:
        """Store ``scorer`` with ``metadata`` (must name its ``kind``) as a new version."""
        kind = str(metadata.get("kind"))
        if kind not in SCORE_KINDS:
            raise ArtifactError(f"metadata must name a kind ({', '.join(SCORE_KINDS)}), not {kind!r}")
        parts = to_parts(scorer)
        files = {MODEL_FILE: _canonical(parts.description), **{n: t.encode() for n, t in parts.texts.items()}}
        created = self._clock().astimezone(UTC)
        body = {
            **metadata,
            "format": FORMAT,
            "family": scorer.family,
            "created_at": created.isoformat(),
            "files": {name: _sha256(data) for name, data in sorted(files.items())},
        }
        digest = _content_hash(body)
        version = f"{kind}-{scorer.family}-{created:%Y%m%dT%H%M%S}-{digest[:8]}"
        complete = {**body, "version": version, "sha256": digest}
        self._write_version(version, {**files, METADATA_FILE: json.dumps(complete, indent=2).encode()})
        return self._record(complete)

    def _write_version(self, version: str, files: Mapping[str, bytes]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.root / version
        if final.exists():
            raise ArtifactError(f"model version {version} already exists")
        staging = self.root / f".staging-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            for name, data in files.items():
                (staging / name).write_bytes(data)
            os.replace(staging, final)
        finally:
            if staging.exists():
                shutil.rmtree(staging)

    def promote(self, version: str) -> ModelRecord:
        """Make ``version`` the model the daily run scores its kind with (after verifying it)."""
        metadata = self._verified_metadata(version)
        unknown = sorted(set(metadata.get("features", [])) - set(FEATURE_SCHEMA))
        if unknown:
            raise ArtifactError(
                f"model {version} was trained on {metadata.get('dataset')} features the daily run does not "
                f"compute ({', '.join(unknown[:3])}{', ...' if len(unknown) > 3 else ''}); "
                "promote a model trained on the portfolio (recoup model train --sim-accounts or --portfolio)"
            )
        pointer = {
            "kind": metadata["kind"],
            "version": version,
            "sha256": metadata["sha256"],
            "promoted_at": self._clock().astimezone(UTC).isoformat(),
        }
        folder = self.root / POINTERS
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{metadata['kind']}-{uuid.uuid4().hex}.json"
        temporary.write_text(json.dumps(pointer, indent=2), encoding="utf-8")
        os.replace(temporary, folder / f"{metadata['kind']}.json")
        return self._record(metadata, promoted=True)

    # ---- reading ---------------------------------------------------------------------------------

    def _metadata(self, version: str) -> dict[str, Any]:
        if not version or "/" in version or "\\" in version or version.startswith("."):
            raise NotFound(f"no model version {version!r} in {self.root}")
        path = self.root / version / METADATA_FILE
        if not path.is_file():
            raise NotFound(f"no model version {version!r} in {self.root}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ArtifactError(f"model {version}: metadata is not valid JSON ({error})") from None
        if not isinstance(data, dict):
            raise ArtifactError(f"model {version}: metadata is not a JSON object")
        return data

    def _verified_metadata(self, version: str, expected_sha256: str | None = None) -> dict[str, Any]:
        metadata = self._metadata(version)
        recorded = metadata.get("sha256")
        if recorded != _content_hash(metadata):
            raise ArtifactError(f"model {version}: metadata does not match its SHA-256; refusing to load it")
        if expected_sha256 is not None and recorded != expected_sha256:
            raise ArtifactError(
                f"model {version}: SHA-256 differs from the one recorded when it was promoted"
            )
        for name, digest in dict(metadata.get("files", {})).items():
            path = self.root / version / name
            if not path.is_file():
                raise ArtifactError(f"model {version}: {name} is missing")
            if _sha256(path.read_bytes()) != digest:
                raise ArtifactError(
                    f"model {version}: {name} was changed after it was saved; refusing to load it"
                )
        return metadata

    def load(self, version: str, *, expected_sha256: str | None = None) -> VersionedScorer:
        """The scorer of ``version``, after checking every file against its recorded SHA-256."""
        metadata = self._verified_metadata(version, expected_sha256)
        folder = self.root / version
        texts = {
            name: (folder / name).read_text(encoding="utf-8")
            for name in metadata["files"]
            if name != MODEL_FILE
        }
        parts = ScorerParts(
            description=json.loads((folder / MODEL_FILE).read_text(encoding="utf-8")), texts=texts
        )
        try:
            scorer = from_parts(parts)
        except (KeyError, ValueError, TypeError) as error:
            raise ArtifactError(f"model {version}: cannot be read ({error})") from None
        reference = metadata.get("reference")
        return VersionedScorer(
            version=version,
            kind=str(metadata["kind"]),
            scorer=scorer,
            reference=ScoreReference.from_dict(reference) if reference else None,
            metadata=metadata,
        )

    def _pointer(self, kind: str) -> dict[str, Any] | None:
        path = self.root / POINTERS / f"{kind}.json"
        if not path.is_file():
            return None
        try:
            pointer = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise ArtifactError(f"promotion pointer for {kind} is not valid JSON ({error})") from None
        return pointer if isinstance(pointer, dict) else None

    def promoted(self, kind: str) -> VersionedScorer | None:
        """The promoted model of ``kind``, verified against the hash pinned at promotion; None if none."""
        pointer = self._pointer(kind)
        if pointer is None:
            return None
        version = str(pointer.get("version"))
        try:
            return self.load(version, expected_sha256=str(pointer.get("sha256")))
        except NotFound:
            raise ArtifactError(f"the promoted {kind} model {version} is missing from {self.root}") from None

    def list(self) -> list[ModelRecord]:
        """Every stored version, oldest first, with which ones are promoted."""
        if not self.root.is_dir():
            return []
        promoted = {str(p.get("version")) for kind in SCORE_KINDS if (p := self._pointer(kind))}
        records = [
            self._record(self._metadata(path.name), promoted=path.name in promoted)
            for path in self.root.iterdir()
            if path.is_dir() and (path / METADATA_FILE).is_file() and not path.name.startswith(".")
        ]
        return sorted(records, key=lambda record: (record.created_at, record.version))

    @staticmethod
    def _record(metadata: Mapping[str, Any], *, promoted: bool = False) -> ModelRecord:
        return ModelRecord(
            version=str(metadata.get("version")),
            kind=str(metadata.get("kind")),
            family=str(metadata.get("family")),
            dataset=str(metadata.get("dataset")),
            created_at=str(metadata.get("created_at")),
            sha256=str(metadata.get("sha256")),
            metrics=dict(metadata.get("metrics") or {}),
            promoted=promoted,
        )
