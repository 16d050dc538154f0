"""Workspace: a bounded snapshot that never follows links nor touches the student's folder."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from grader.harness import workspace as workspace_module
from grader.harness.workspace import SubmissionError, Workspace


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.lstat().st_size, path.lstat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
    }


def test_snapshot_skips_links_and_leaves_the_folder_untouched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("mot de passe", encoding="utf-8")
    folder = tmp_path / "Élève avec espaces"
    folder.mkdir()
    (folder / "serveur_exo.py").write_text("print('é')\n", encoding="utf-8")
    (folder / "lien_fichier.txt").symlink_to(secret)
    (folder / "lien_dossier").symlink_to(tmp_path)
    (folder / "sous").mkdir()
    (folder / "sous" / "donnees.txt").write_text("ok", encoding="utf-8")
    before = listing(folder)

    with Workspace(folder) as workspace:
        assert workspace.has("serveur_exo.py") and not workspace.has("client_exo.py")
        assert not (workspace.snapshot / "lien_fichier.txt").exists()
        assert not (workspace.snapshot / "lien_dossier").exists()
        assert (workspace.snapshot / "sous" / "donnees.txt").read_text(encoding="utf-8") == "ok"
        assert any("lien_fichier.txt" in note and "lien symbolique" in note for note in workspace.skipped)
        first, second = workspace.new_workdir(), workspace.new_workdir()
        (first / "serveur_exo.py").unlink()
        (first / "historique.txt").write_text("écrit par le programme", encoding="utf-8")
        assert (second / "serveur_exo.py").is_file() and not (second / "historique.txt").exists()
        root = workspace.snapshot.parent
    assert not root.exists()
    assert listing(folder) == before


def test_copy_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workspace_module, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(workspace_module, "MAX_TOTAL_BYTES", 2500)
    monkeypatch.setattr(workspace_module, "MAX_FILES", 4)
    monkeypatch.setattr(workspace_module, "MAX_DEPTH", 2)
    (tmp_path / "aaa_enorme.bin").write_bytes(b"x" * 5000)
    (tmp_path / "serveur_exo.py").write_bytes(b"#" * 900)
    (tmp_path / "client_exo.py").write_bytes(b"#" * 900)
    for name in ("b.txt", "c.txt", "d.txt"):
        (tmp_path / name).write_bytes(b"y" * 300)
    deep = tmp_path / "un" / "deux" / "trois"
    deep.mkdir(parents=True)
    (deep / "profond.txt").write_text("loin", encoding="utf-8")

    with Workspace(tmp_path) as workspace:
        copied = sorted(p.name for p in workspace.snapshot.rglob("*") if p.is_file())
        assert workspace.has("serveur_exo.py") and workspace.has("client_exo.py")
        assert "aaa_enorme.bin" not in copied and "profond.txt" not in copied
        assert copied == ["b.txt", "c.txt", "client_exo.py", "serveur_exo.py"]
        notes = "\n".join(workspace.skipped)
        assert "aaa_enorme.bin : trop gros" in notes
        assert "d.txt" in notes and "un/deux/trois : dossier trop profond" in notes


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFO: POSIX only")
def test_special_files_are_not_opened(tmp_path: Path) -> None:
    (tmp_path / "serveur_exo.py").write_text("pass\n", encoding="utf-8")
    os.mkfifo(tmp_path / "tube")
    with Workspace(tmp_path) as workspace:
        assert not (workspace.snapshot / "tube").exists()


def test_unusable_paths_raise_submission_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[Path] = []
    real_mkdtemp = workspace_module.tempfile.mkdtemp

    def recording_mkdtemp(**kwargs: str) -> str:
        created.append(Path(real_mkdtemp(**kwargs)))
        return str(created[-1])

    monkeypatch.setattr(workspace_module.tempfile, "mkdtemp", recording_mkdtemp)
    with pytest.raises(SubmissionError, match="n'existe pas"):
        Workspace(tmp_path / "absent")
    (tmp_path / "serveur_exo.py").write_text("pass\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match="n'est pas un dossier"):
        Workspace(tmp_path / "serveur_exo.py")
    empty = tmp_path / "vide"
    empty.mkdir()
    (empty / "serveur_exo.py").symlink_to(tmp_path / "serveur_exo.py")
    with pytest.raises(SubmissionError, match=r"Ni serveur_exo\.py ni client_exo\.py") as raised:
        Workspace(empty)
    assert "lien symbolique" in str(raised.value)
    assert created and not any(root.exists() for root in created)


def test_a_program_that_deletes_its_folder_and_the_parent_spares_the_snapshot(tmp_path: Path) -> None:
    source = tmp_path / "rendu"
    (source / "sous").mkdir(parents=True)
    (source / "serveur_exo.py").write_text("pass\n", encoding="utf-8")
    (source / "sous" / "donnees.txt").write_text("ok", encoding="utf-8")
    outside = tmp_path / "hors_du_rendu.txt"
    outside.write_text("à ne pas toucher", encoding="utf-8")
    outside.chmod(0o444)
    with Workspace(source) as workspace:
        first = workspace.new_workdir()
        assert workspace.snapshot.parent not in first.parents
        shutil.rmtree(first.parent)  # what shutil.rmtree("..") does from the working folder
        second = workspace.new_workdir()
        assert (second / "sous" / "donnees.txt").read_text(encoding="utf-8") == "ok"
        (second / "historique.txt").write_text("le programme écrit dans son dossier", encoding="utf-8")
        (second / "sous" / "donnees.txt").unlink()
        (second / "sous" / "lien").symlink_to(outside)
        (second / "sous").chmod(0o500)  # cleanup opens it up again, without following the link
        roots = [workspace.snapshot.parent, second.parent]
        if os.name == "posix":
            assert stat.S_IMODE(workspace.path("serveur_exo.py").stat().st_mode) == stat.S_IRUSR
            assert stat.S_IMODE(workspace.snapshot.stat().st_mode) == stat.S_IRUSR | stat.S_IXUSR
    assert not any(root.exists() for root in roots)
    assert stat.S_IMODE(outside.stat().st_mode) == 0o444
    assert (source / "sous" / "donnees.txt").read_text(encoding="utf-8") == "ok"
