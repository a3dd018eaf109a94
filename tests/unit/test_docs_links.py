"""Documents name only files the repository holds: a reader of a clone finds every one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# markdown links to local files, and `path.md` mentions
REFERENCES = re.compile(r"\]\((?!https?://|#)([^)#\s]+)[^)]*\)|`([^`\s]+\.md)`")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_document_a_document_names_is_in_the_repository(document):
    missing = []
    for match in REFERENCES.finditer(document.read_text(encoding="utf-8")):
        name = match.group(1) or match.group(2)
        candidates = [(document.parent / name).resolve(), (ROOT / name).resolve()]
        if not any(c.is_relative_to(ROOT) and c.exists() for c in candidates):
            missing.append(name)
    assert not missing, f"{document.name} names files outside the repository: {missing}"


def test_the_architecture_document_is_there():
    assert (ROOT / "docs" / "architecture.md").is_file()
