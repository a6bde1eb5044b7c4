"""Every relative link in README.md, docs/ and models/data/README.md resolves: the file exists, and an anchor names
a heading of the file it points to (GitHub's heading slugs). No network: web links are not followed."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^(```|~~~)")
LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|`[^`]*`)*\]\(([^)\s]+)\)")


def markdown_files() -> list[Path]:
    """The documentation whose links are checked."""
    return [ROOT / "README.md", ROOT / "models" / "data" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def prose_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of the lines outside fenced code blocks."""
    out, fenced = [], False
    for number, line in enumerate(path.read_text().split("\n"), 1):
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            out.append((number, line))
    return out


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but '-' and '_' dropped, spaces as '-'."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a markdown file, with GitHub's -1, -2 suffixes for repeated headings."""
    seen: dict[str, int] = {}
    out = set()
    for _, line in prose_lines(path):
        match = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return out


def links(path: Path) -> list[tuple[int, str]]:
    """(line number, target) of every markdown link outside code, web and mail links left out."""
    out = []
    for number, line in prose_lines(path):
        # a link's text may hold inline code; code spans elsewhere on the line are not links
        for match in LINK.finditer(line):
            if line[: match.start()].count("`") % 2:  # inside a code span
                continue
            target = match.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue
            out.append((number, target))
    return out


def test_slug_follows_github():
    assert slug("RTL without a vendor licence (`--rtl`)") == "rtl-without-a-vendor-licence---rtl"
    assert slug("On the 5,000-A->4l file") == "on-the-5000-a-4l-file"
    assert slug("Checking a build: `codesign check` (CI)") == "checking-a-build-codesign-check-ci"


def test_links_found_outside_code(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Top\n\n[a](other.md) `[b](x.md)`\n\n```\n[c](y.md)\n```\n[d](#top) [e](https://x.org)\n")
    assert [t for _, t in links(page)] == ["other.md", "#top"]


def broken_links(path: Path) -> list[str]:
    """'file:line: target (why)' for every relative link of a markdown file that does not resolve."""
    broken = []
    for number, target in links(path):
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(f"{path.name}:{number}: {target} (no such file)")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{path.name}:{number}: {target} (no heading '#{anchor}' in {dest.name})")
    return broken


def test_broken_links_are_found(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## A `code` heading (x)\n\n## Twice\n\n## Twice\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Top\n[ok](other.md#a-code-heading-x) [ok](other.md#twice-1) [ok](#top)\n"
        "[gone](missing.md) [bad anchor](other.md#nowhere) [bad](#twice)\n"
    )
    assert broken_links(page) == [
        "page.md:3: missing.md (no such file)",
        "page.md:3: other.md#nowhere (no heading '#nowhere' in other.md)",
        "page.md:3: #twice (no heading '#twice' in page.md)",
    ]


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path):
    assert path.exists(), path
    broken = broken_links(path)
    assert not broken, "\n".join(broken)


def test_docs_files_linked_from_readme():
    readme = {t.partition("#")[0] for _, t in links(ROOT / "README.md")}
    missing = [p.name for p in (ROOT / "docs").glob("*.md") if f"docs/{p.name}" not in readme]
    assert not missing, f"docs files the README does not link: {missing}"


def test_readme_contents_lists_every_section():
    readme = ROOT / "README.md"
    lines = [line for _, line in prose_lines(readme)]
    start = lines.index("## Contents")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    listed = {target for line in lines[start:end] for target in re.findall(r"\]\(#([^)]+)\)", line)}
    sections = [slug(line[3:]) for line in lines if line.startswith("## ") and line != "## Contents"]
    missing = [s for s in sections if s not in listed]
    assert not missing, f"README sections missing from its Contents: {missing}"
