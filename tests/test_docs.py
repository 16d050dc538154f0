"""The documentation stays true to the code: the catalogue of checks, the README's quick start, links."""

from __future__ import annotations

import re

from grader.catalogue import load_catalogue
from grader.model import Category
from tests.grading import ROOT

DOCS = ROOT / "docs"
HEADING = re.compile(r"^### (?P<id>[SCB]\d\d) — (?P<title>.+)$", re.MULTILINE)
SECTIONS = {Category.SERVER: "## Serveur", Category.CLIENT: "## Client", Category.BONUS: "## Bonus"}


def test_every_check_has_its_section_with_its_title_in_catalogue_order():
    text = (DOCS / "verifications.md").read_text(encoding="utf-8")
    documented = [(match["id"], match["title"].replace("`", "")) for match in HEADING.finditer(text)]
    catalogue = load_catalogue()
    assert documented == [(spec.id, spec.title) for spec in catalogue.values()]


def test_each_check_is_documented_under_its_category():
    text = (DOCS / "verifications.md").read_text(encoding="utf-8")
    for spec in load_catalogue().values():
        section_start = text.index(SECTIONS[spec.category])
        assert text.index(f"### {spec.id} ") > section_start, spec.id
        later_sections = [text.index(title) for title in SECTIONS.values() if text.index(title) > section_start]
        assert all(text.index(f"### {spec.id} ") < start for start in later_sections), spec.id


def test_readme_quick_start_is_the_three_commands_in_order():
    readme = (ROOT / "README.fr.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Démarrage rapide", 1)[1]
    block = re.search(r"```\w*\n(.*?)```", quick_start, re.DOTALL)[1]
    assert block.split("\n")[:3] == [
        'python -m pip install -e ".[test]"',
        "python -m grader solution/",
        "python -m pytest",
    ]


def test_relative_links_of_the_docs_point_to_existing_files():
    for page in [ROOT / "README.fr.md", ROOT / "ARCHITECTURE.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} : lien cassé vers {target}"


def test_the_modules_the_architecture_names_exist():
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"\b(grader/[\w/]*\w(?:\.py)?)", text))
    assert len(named) > 10
    assert sorted(path for path in named if not (ROOT / path).exists()) == []
