"""Safe extraction of the .zip files of a batch (a Moodle download, a student's archive).

Everything is checked from the archive's directory BEFORE a byte is written: a member with an absolute
path or `..`, a symbolic link, an encrypted member, too many members, a declared total size or a
compression ratio that only a zip bomb has -> `ArchiveRefused` (French reason), nothing extracted.
Then members are copied in bounded chunks (a member larger than what it declared is cut), members
larger than MAX_MEMBER_BYTES are left out, and every byte written is taken from a disk `Budget`: one
per submission (a student's archive can only exhaust its own), one for the class archive itself.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from grader.harness.french import os_error

MAX_MEMBERS = 5_000
MAX_TOTAL_BYTES = 512 * 2**20  # declared uncompressed size of one archive
MAX_MEMBER_BYTES = 64 * 2**20  # a larger member is left out (a chat program is a few kilobytes)
MAX_RATIO = 200  # uncompressed / compressed: text reaches 10 to 20, a bomb reaches 1000
RATIO_FLOOR_BYTES = 2**20  # below this size no ratio is suspicious
CLASS_BUDGET_BYTES = 2 * 2**30  # what the archive given on the command line (a class download) may write
SUBMISSION_BUDGET_BYTES = MAX_TOTAL_BYTES  # what one submission's archives and copies may write, together
_CHUNK = 2**16


class ArchiveRefused(Exception):
    """A .zip that is not extracted; the message says why, in French."""


@dataclass
class Budget:
    """Bytes a submission (or the class archive) may still write to the batch's temporary directory."""

    bytes_left: int = SUBMISSION_BUDGET_BYTES
    owner: str = "ce rendu"

    def __post_init__(self) -> None:
        self.total = self.bytes_left

    def take(self, size: int, what: str) -> None:
        if size > self.bytes_left:
            raise ArchiveRefused(
                f"{what} : la place réservée aux fichiers extraits de {self.owner} est épuisée "
                f"({self.total // 2**20} Mo au plus) ; archive non extraite."
            )
        self.bytes_left -= size


def _member_path(name: str) -> PurePosixPath | None:
    """The relative path a member is extracted to, or None when it would escape the destination."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and path.parts[0].endswith(":")):
        return None
    return path


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def inspect_archive(archive: zipfile.ZipFile, label: str) -> list[zipfile.ZipInfo]:
    """The members to extract; ArchiveRefused when the archive must not be extracted at all."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ArchiveRefused(f"{label} : trop de fichiers dans l'archive ({len(members)} > {MAX_MEMBERS}).")
    total = sum(info.file_size for info in members)
    if total > MAX_TOTAL_BYTES:
        raise ArchiveRefused(
            f"{label} : l'archive se décompresserait en {total // 2**20} Mo (limite {MAX_TOTAL_BYTES // 2**20} Mo) ; "
            "elle n'a pas été extraite."
        )
    compressed = sum(info.compress_size for info in members) or 1
    if total > RATIO_FLOOR_BYTES and total / compressed > MAX_RATIO:
        raise ArchiveRefused(
            f"{label} : taux de compression anormal ({total // compressed} pour 1), archive piégée probable ; "
            "elle n'a pas été extraite."
        )
    for info in members:
        if _member_path(info.filename) is None:
            raise ArchiveRefused(
                f"{label} : le fichier « {info.filename} » sortirait du dossier d'extraction "
                "(chemin absolu ou « .. ») ; archive refusée."
            )
        if _is_symlink(info):
            raise ArchiveRefused(f"{label} : « {info.filename} » est un lien symbolique ; archive refusée.")
        if info.flag_bits & 0x1:
            raise ArchiveRefused(f"{label} : « {info.filename} » est chiffré (mot de passe) ; archive refusée.")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size / (info.compress_size or 1) > MAX_RATIO:
            raise ArchiveRefused(
                f"{label} : « {info.filename} » a un taux de compression anormal, archive piégée probable ; "
                "elle n'a pas été extraite."
            )
    return [info for info in members if not info.is_dir() and info.file_size <= MAX_MEMBER_BYTES]


def extract_zip(source: Path, destination: Path, budget: Budget, label: str) -> None:
    """Extract `source` into the existing folder `destination`, or raise ArchiveRefused."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = inspect_archive(archive, label)
            budget.take(sum(info.file_size for info in members), label)
            for info in members:
                member = _member_path(info.filename)
                assert member is not None, info.filename  # inspect_archive refuses such an archive
                target = destination.joinpath(*member.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as reader, target.open("wb") as writer:
                    _copy_bounded(reader, writer, info.file_size)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, RuntimeError) as error:
        raise ArchiveRefused(f"{label} : archive .zip illisible ({error}).") from None
    except OSError as error:
        raise ArchiveRefused(f"{label} : extraction impossible ({os_error(error)}).") from None


def copy_bounded(source: Path, destination: Path, budget: Budget, limit: int = MAX_MEMBER_BYTES) -> None:
    """Copy at most `limit` bytes of a regular file; a huge file is cut, a link or a device is not copied."""
    info = source.lstat()
    if not stat.S_ISREG(info.st_mode):
        return
    size = min(info.st_size, limit)
    budget.take(size, str(source))
    with source.open("rb") as reader, destination.open("wb") as writer:
        _copy_bounded(reader, writer, size)


def _copy_bounded(reader: IO[bytes], writer: IO[bytes], limit: int) -> None:
    left = limit
    while left > 0:
        chunk = reader.read(min(_CHUNK, left))
        if not chunk:
            break
        writer.write(chunk)
        left -= len(chunk)
