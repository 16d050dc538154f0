"""Finding a class's submissions (folders, zips, Moodle's layout) and extracting zips safely. No subprocess."""

from __future__ import annotations

import os
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from grader.batch import discovery
from grader.batch.archive import MAX_TOTAL_BYTES, ArchiveRefused, Budget, copy_bounded, extract_zip
from grader.batch.discovery import find_submissions
from grader.harness.exercise import CLIENT, SERVER
from grader.harness.workspace import SubmissionError


def program(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or (SERVER, CLIENT):
        (folder / name).write_text(f'"""{name} de {folder.name}"""\n', encoding="utf-8")
    return folder


def make_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def zip_folder(folder: Path, path: Path) -> Path:
    members = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    return make_zip(path, members)


def summary(items) -> list[tuple[str, str, str | None, str]]:
    """(identifier, name, folder name graded or None, start of the error)."""
    return [(i.student.identifier, i.student.name, i.path.name if i.path else None, i.error[:40]) for i in items]


def moodle_class(root: Path) -> Path:
    """A Moodle download: folders, a student zip, a flat download, a participant with nothing to grade."""
    program(root / "Alice Martin_12345_assignsubmission_file_")
    zoe = root / "Zoé Ünïcode_67890_assignsubmission_file_"
    zoe.mkdir()
    zip_folder(program(root.parent / "zoe-src" / "chat").parent, zoe / "rendu.zip")
    (root / "Zoé Ünïcode_67890_assignsubmission_onlinetext_").mkdir()
    (root / "Zoé Ünïcode_67890_assignsubmission_onlinetext_" / "onlinetext.html").write_text("<p>voilà</p>")
    bob = root / "Bob Leroy_11111_assignsubmission_file_"
    bob.mkdir()
    (bob / "rapport.pdf").write_bytes(b"%PDF-1.4")
    (root / f"Ève Dupont_22222_assignsubmission_file_{SERVER}").write_text("print('serveur')\n")
    (root / f"Ève Dupont_22222_assignsubmission_file_{CLIENT}").write_text("print('client')\n")
    return root


EXPECTED_MOODLE = [
    ("12345", "Alice Martin", "Alice Martin_12345_assignsubmission_file_", ""),
    ("11111", "Bob Leroy", None, "Aucun fichier serveur_exo.py ni client_e"),
    ("67890", "Zoé Ünïcode", "chat", ""),
    ("22222", "Ève Dupont", "0002-22222", ""),
]


# -- layouts ---------------------------------------------------------------------------------------


def test_a_folder_holding_the_programs_is_single_mode(tmp_path):
    assert find_submissions([program(tmp_path / "exercice", SERVER)]) is None


def test_plain_folders_at_depth_one_and_two(tmp_path):
    program(tmp_path / "rendus" / "alice")
    program(tmp_path / "rendus" / "dave" / "projet", SERVER)  # the programs one level down
    program(tmp_path / "rendus" / "TD1" / "bob", CLIENT)
    program(tmp_path / "rendus" / "TD1" / "carol")
    (tmp_path / "rendus" / "notes.txt").write_text("à ignorer")
    (tmp_path / "rendus" / "__MACOSX").mkdir()
    items = find_submissions([tmp_path / "rendus"])
    assert summary(items) == [
        ("alice", "", "alice", ""),
        ("dave", "", "projet", ""),
        ("TD1/bob", "", "bob", ""),
        ("TD1/carol", "", "carol", ""),
    ]
    assert items[0].source == f"{tmp_path / 'rendus'}/alice"


def test_several_paths_each_a_submission(tmp_path):
    items = find_submissions([program(tmp_path / "alice"), program(tmp_path / "bob")])
    assert [(i.student.identifier, i.path) for i in items] == [("alice", tmp_path / "alice"), ("bob", tmp_path / "bob")]


def test_student_zips_in_a_folder(tmp_path):
    (tmp_path / "rendus").mkdir()
    zip_folder(program(tmp_path / "src" / "alice"), tmp_path / "rendus" / "alice.zip")
    zip_folder(program(tmp_path / "src2" / "bob" / "chat").parent, tmp_path / "rendus" / "bob.zip")
    assert summary(find_submissions([tmp_path / "rendus"])) == [
        ("alice", "", "0001-alice", ""),
        ("bob", "", "chat", ""),
    ]


def test_moodle_download_folder(tmp_path):
    items = find_submissions([moodle_class(tmp_path / "telechargement")])
    assert summary(items) == EXPECTED_MOODLE
    assert all(i.source.startswith(str(tmp_path / "telechargement")) for i in items)
    assert "rapport.pdf" in items[1].error
    gathered = items[3].path
    assert sorted(p.name for p in gathered.iterdir()) == [CLIENT, SERVER]
    assert (gathered / SERVER).read_text() == "print('serveur')\n"


def test_moodle_download_as_a_single_zip(tmp_path):
    folder = moodle_class(tmp_path / "telechargement")
    archive = zip_folder(folder, tmp_path / "TD réseau-Serveur de chat-12.zip")
    items = find_submissions([archive])
    assert [(i, n, e) for i, n, _, e in summary(items)] == [(i, n, e) for i, n, _, e in EXPECTED_MOODLE]
    assert all(i.source.startswith(str(archive) + "/") for i in items)
    assert items[2].path.name == "chat" and (items[2].path / SERVER).is_file()


def test_extracted_files_live_as_long_as_the_items(tmp_path):
    archive = zip_folder(moodle_class(tmp_path / "m"), tmp_path / "m.zip")
    items = find_submissions([archive])
    folder = items[0].path
    assert folder.is_dir()
    del items
    assert not folder.exists()


def test_missing_path_and_nothing_found_are_french_errors(tmp_path):
    with pytest.raises(SubmissionError, match="n'existe pas"):
        find_submissions([tmp_path / "absent"])
    (tmp_path / "vide" / "sous-dossier").mkdir(parents=True)
    with pytest.raises(SubmissionError, match="Aucune soumission trouvée"):
        find_submissions([tmp_path / "vide"])
    (tmp_path / "texte.txt").write_text("x")
    with pytest.raises(SubmissionError, match="ni un dossier ni une archive"):
        find_submissions([tmp_path / "texte.txt"])


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="liens symboliques indisponibles")
def test_symbolic_links_are_not_followed(tmp_path):
    outside = program(tmp_path / "ailleurs")
    (tmp_path / "rendus").mkdir()
    (tmp_path / "rendus" / "lien").symlink_to(outside, target_is_directory=True)
    (tmp_path / "rendus" / "faux").mkdir()
    (tmp_path / "rendus" / "faux" / SERVER).symlink_to(outside / SERVER)
    (tmp_path / "rendus" / "Mallory Lien_999_assignsubmission_file_").symlink_to(outside, target_is_directory=True)
    (tmp_path / "rendus" / f"Oscar Lien_888_assignsubmission_file_{SERVER}").symlink_to(outside / SERVER)
    program(tmp_path / "rendus" / "vrai")
    assert [i.student.identifier for i in find_submissions([tmp_path / "rendus"])] == ["vrai"]


# -- zip safety ------------------------------------------------------------------------------------


def refused_before_writing(tmp_path: Path, archive: Path, expected: str) -> None:
    destination = tmp_path / "extraction"
    destination.mkdir()
    with pytest.raises(ArchiveRefused, match=expected):
        extract_zip(archive, destination, Budget(), "rendu.zip")
    assert list(destination.iterdir()) == []


@pytest.mark.parametrize("name", ["../evil.py", "a/../../evil.py", "/tmp/evil.py", "C:/evil.py", "..\\evil.py"])
def test_path_traversal_is_refused(tmp_path, name):
    archive = make_zip(tmp_path / "piege.zip", {SERVER: b"x", name: b"print('evil')"})
    refused_before_writing(tmp_path, archive, "sortirait du dossier")
    assert not (tmp_path / "evil.py").exists()


def symlink_zip(archive: Path) -> Path:
    """A zip holding a server and a symbolic link named `lien`."""
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(SERVER, b"x")
        link = zipfile.ZipInfo("lien")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        out.writestr(link, "/etc/passwd")
    return archive


def test_symlink_member_is_refused(tmp_path):
    refused_before_writing(tmp_path, symlink_zip(tmp_path / "lien.zip"), "lien symbolique")


def test_bomb_by_compression_ratio_is_refused(tmp_path):
    archive = make_zip(tmp_path / "bombe.zip", {SERVER: b"x", "zeros.bin": bytes(8 * 2**20)})
    assert archive.stat().st_size < 100_000
    refused_before_writing(tmp_path, archive, "taux de compression anormal")


def test_declared_gigabytes_are_refused_before_expansion(tmp_path):
    """The central directory claims 3 GB: refused from the directory alone, nothing read or written."""
    archive = make_zip(tmp_path / "geant.zip", {SERVER: b"print('x')\n"}, zipfile.ZIP_STORED)
    data = bytearray(archive.read_bytes())
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 3 * 10**9)  # uncompressed size field
    archive.write_bytes(bytes(data))
    assert zipfile.ZipFile(archive).infolist()[0].file_size == 3 * 10**9 > MAX_TOTAL_BYTES
    refused_before_writing(tmp_path, archive, "se décompresserait en")


def test_a_refused_zip_costs_only_its_student(tmp_path):
    (tmp_path / "rendus").mkdir()
    make_zip(tmp_path / "rendus" / "mallory.zip", {SERVER: b"x", "../../evil.py": b"x"})
    (tmp_path / "rendus" / "illisible.zip").write_bytes(b"PK pas une archive")
    program(tmp_path / "rendus" / "alice")
    items = find_submissions([tmp_path / "rendus"])
    assert [(i.student.identifier, i.path is None) for i in items] == [
        ("alice", False),
        ("illisible", True),
        ("mallory", True),
    ]
    assert "illisible" in items[1].error and "sortirait du dossier" in items[2].error


def test_a_refused_class_zip_is_a_usage_error(tmp_path):
    archive = make_zip(tmp_path / "classe.zip", {"a/" + SERVER: b"x", "/abs.py": b"x"})
    with pytest.raises(SubmissionError, match="sortirait du dossier"):
        find_submissions([archive])


def test_the_batch_budget_bounds_what_is_written(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {SERVER: b"x" * 1000})
    destination = tmp_path / "out"
    destination.mkdir()
    with pytest.raises(ArchiveRefused, match="place réservée"):
        extract_zip(archive, destination, Budget(bytes_left=999), "a.zip")
    assert list(destination.iterdir()) == []


def test_bounded_copy_cuts_a_huge_file(tmp_path):
    huge = tmp_path / "enorme.py"
    huge.write_bytes(b"#" * 10_000)
    budget = Budget(bytes_left=1_000_000)
    copy_bounded(huge, tmp_path / "copie.py", budget, limit=4096)
    assert (tmp_path / "copie.py").stat().st_size == 4096 and budget.bytes_left == 1_000_000 - 4096


def test_each_submission_has_its_own_extraction_budget(tmp_path, monkeypatch):
    """A zip that would use up the space of the whole class only uses up its own student's."""
    monkeypatch.setattr(discovery, "Budget", lambda *given: Budget(*(given or (300_000,))))
    (tmp_path / "rendus").mkdir()
    noise = {f"bruit{n}.bin": os.urandom(100_000) for n in range(5)}  # incompressible: no bomb ratio
    make_zip(tmp_path / "rendus" / "glouton.zip", {SERVER: b"x", **noise})
    for name in ("alice", "bob", "chloe"):
        make_zip(tmp_path / "rendus" / f"{name}.zip", {SERVER: b"x", **dict(list(noise.items())[:2])})
    items = find_submissions([tmp_path / "rendus"])
    assert [(i.student.identifier, i.path is None) for i in items] == [
        ("alice", False),
        ("bob", False),
        ("chloe", False),
        ("glouton", True),
    ]
    assert "la place réservée aux fichiers extraits de ce rendu est épuisée" in items[3].error


def test_a_zip_refused_deep_in_a_submission_is_told_with_its_reason(tmp_path):
    inner = symlink_zip(tmp_path / "interieur.zip")
    group = tmp_path / "rendus" / "TD1" / "alice"
    group.mkdir(parents=True)
    (group / "projet.zip").write_bytes(inner.read_bytes())
    program(tmp_path / "rendus" / "TD1" / "bob")
    program(tmp_path / "rendus" / "TD1" / "chloe")
    moodle = tmp_path / "moodle" / "Zoé Ünïcode_67890_assignsubmission_file_"
    moodle.mkdir(parents=True)
    make_zip(moodle / "rendu.zip", {"chat/interieur.zip": inner.read_bytes()})
    items = find_submissions([tmp_path / "rendus", tmp_path / "moodle"])
    assert summary(items)[:3] == [
        ("TD1/alice", "", None, f"{tmp_path}/rendus/TD1/alice/projet.zip"[:40]),
        ("TD1/bob", "", "bob", ""),
        ("TD1/chloe", "", "chloe", ""),
    ]
    assert "« lien » est un lien symbolique" in items[0].error
    assert items[3].path is None and "« lien » est un lien symbolique" in items[3].error
