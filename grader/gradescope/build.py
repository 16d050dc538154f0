"""Building the autograder zip Gradescope asks for: its entry points at the root, the kit in `kit/`."""

from __future__ import annotations

import zipfile
from pathlib import Path

import grader

TEMPLATES = Path(__file__).resolve().parent / "modeles"
ENTRY_POINTS = ("setup.sh", "run_autograder", "lancer_etudiant.sh")
KIT_ROOT = Path(grader.__file__).resolve().parent.parent
KIT_FILES = ("pyproject.toml", "README.fr.md")  # with grader/: what `pip install kit/` needs, nothing more
LEADERBOARD_MARKER = "classement"  # its presence asks run_autograder for the load test's leaderboard
SCALE_NAME = "bareme.toml"
_SKIPPED = ("__pycache__",)


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def kit_files() -> list[Path]:
    """The kit's files that go into the zip, relative to its root: no solution, tests or corpus."""
    package = [
        path.relative_to(KIT_ROOT)
        for path in sorted((KIT_ROOT / "grader").rglob("*"))
        if path.is_file() and not any(part in _SKIPPED for part in path.parts) and path.suffix != ".pyc"
    ]
    return [Path(name) for name in KIT_FILES] + package


def build(destination: Path, *, scale: Path | None = None, leaderboard: bool = False) -> list[str]:
    """Write the autograder zip; the names it holds."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w") as archive:
        for name in ENTRY_POINTS:
            _add(archive, name, (TEMPLATES / name).read_bytes(), executable=True)
        for relative in kit_files():
            _add(archive, f"kit/{relative.as_posix()}", (KIT_ROOT / relative).read_bytes())
        if scale is not None:
            _add(archive, SCALE_NAME, scale.read_bytes())
        if leaderboard:
            _add(archive, LEADERBOARD_MARKER, b"")
        return archive.namelist()
