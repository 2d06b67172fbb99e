"""Every ``shop/…`` path that README.md and docs/ name exists (docs that send a newcomer to a
file that is gone cost more than no docs)."""

import re

import pytest

from shop import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PATH = re.compile(r"(?<![\w/.])((?:shop|sandbox|tests|bench)/[\w/.-]*\w)")


def named_paths():
    for doc in DOCS:
        for match in PATH.finditer(doc.read_text(encoding="utf-8")):
            path = match.group(1).rstrip(".")
            if "*" in path or "<" in path or path.endswith("_"):
                continue  # a pattern (``tests/integration/test_faults_*.py``), not a path
            yield doc.relative_to(ROOT).as_posix(), path


@pytest.mark.parametrize(("doc", "path"), sorted(set(named_paths())))
def test_a_path_the_docs_name_exists(doc, path):
    # From the repository's root, or (a Markdown link) from the page's own folder.
    assert (ROOT / path).exists() or (ROOT / doc).parent.joinpath(path).exists(), \
        f"{doc} names {path}, which does not exist"
