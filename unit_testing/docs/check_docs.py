#!/usr/bin/env python3
"""Documentation and Finesse desktop layout checks for TTECPhone (issue 9).

Run from the repository root (Python 3.11, standard library only):

    python3 unit_testing/docs/check_docs.py              # check the repository
    python3 unit_testing/docs/check_docs.py --self-test  # prove every check can fail

Checks
  layout   layouts/desktop-layout.xml is well-formed and has the structure Finesse
           requires: root <finesseLayout> in http://www.cisco.com/vtg/finesse, a
           <header> with only left/rightAlignedColumns, every <headercolumn> has a
           width in px and holds at least one <gadget> or <component> (with id and
           <url>), the TTECPhone gadget URL is exactly
           /3rdpartygadget/files/TTECPhone/gadget.xml (optionally ?query) and sits
           in a 600px header column, every <layout> has a known <role> and at
           least one <page>, Agent and Supervisor roles are both present, every
           <tab> has <id> and <label>.
  links    every relative Markdown link or image in README.md, doc/**/*.md,
           layouts/**/*.md and unit_testing/**/README.md resolves to an existing
           file or folder; #anchors into Markdown files must match a heading.
  mermaid  every ```mermaid block is non-empty, starts with a known diagram type,
           and (flowcharts) has no unquoted ( ) inside a [ ] node label, which
           GitHub fails to render.
  paths    every `inline code` span, and every token of a shell code block, that
           names a repository path under src/, components/, static/,
           unit_testing/, doc/, layouts/, .ci/ or tools/ exists.

Each check prints PASS or FAIL with the file and line; the last line is
"N passed, M failed"; the exit status is 1 when anything failed.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import textwrap
import unicodedata
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

NS = "http://www.cisco.com/vtg/finesse"
Q = "{" + NS + "}"
LAYOUT_PATH = "layouts/desktop-layout.xml"
GADGET_RE = re.compile(r"^/3rdpartygadget/files/TTECPhone/gadget\.xml(\?[^\s#]*)?$")
PX_RE = re.compile(r"^[1-9][0-9]*px$")
KNOWN_ROLES = {"Agent", "Supervisor", "Admin"}
REPO_DIRS = ("src/", "components/", "static/", "unit_testing/", "doc/", "layouts/", ".ci/", "tools/")
DOC_GLOBS = ("README.md", "doc/**/*.md", "layouts/**/*.md", "unit_testing/**/README.md")
MERMAID_TYPES = (
    "flowchart", "graph", "sequenceDiagram", "classDiagram", "stateDiagram-v2",
    "stateDiagram", "erDiagram", "journey", "gantt", "pie", "gitGraph", "mindmap",
    "timeline", "quadrantChart", "requirementDiagram", "C4Context", "C4Container",
    "C4Component", "C4Dynamic", "C4Deployment", "sankey-beta", "xychart-beta",
    "block-beta", "packet-beta", "architecture-beta", "kanban", "zenuml",
)
SKIP_DIRS = {"node_modules", "target", "dist", ".git", ".venv", "__pycache__"}
SHELL_LANGS = {"sh", "bash", "shell", "console", "zsh"}


@dataclass
class Report:
    passed: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    quiet: bool = False

    def check(self, name: str, problems: list[str]) -> bool:
        if problems:
            self.failed += 1
            self.failures.append(name)
            if not self.quiet:
                print(f"FAIL {name}")
                for p in problems:
                    print(f"     - {p}")
            return False
        self.passed += 1
        if not self.quiet:
            print(f"PASS {name}")
        return True


# --------------------------------------------------------------------------- layout

def _text(el: ET.Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def layout_problems(xml_text: str) -> dict[str, list[str]]:
    """Return {check name: [problems]} for a Finesse desktop layout document."""
    out: dict[str, list[str]] = {}
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as e:
        return {"well-formed XML": [f"parse error: {e}"]}
    out["well-formed XML"] = []

    p = []
    if root.tag != Q + "finesseLayout":
        p.append(f"root is {root.tag!r}, expected <finesseLayout xmlns=\"{NS}\">")
    out["root finesseLayout in the Finesse namespace"] = p

    p = []
    headers = root.findall(Q + "header")
    if len(headers) != 1:
        p.append(f"expected exactly one <header>, found {len(headers)}")
    for h in headers:
        for child in h:
            if child.tag not in (Q + "leftAlignedColumns", Q + "rightAlignedColumns"):
                p.append(f"unexpected <{child.tag.replace(Q, '')}> in <header>")
    out["header has left/rightAlignedColumns only"] = p

    cols = root.findall(f"{Q}header/*/{Q}headercolumn")
    p = [] if cols else ["no <headercolumn> in the header"]
    for i, col in enumerate(cols, 1):
        items = [c for c in col if c.tag in (Q + "gadget", Q + "component")]
        if not items:
            p.append(f"headercolumn #{i} (width={col.get('width')!r}) holds no gadget or component")
        for c in col:
            if c.tag not in (Q + "gadget", Q + "component"):
                p.append(f"headercolumn #{i}: unexpected <{c.tag.replace(Q, '')}>")
            if c.tag == Q + "gadget" and not _text(c):
                p.append(f"headercolumn #{i}: empty <gadget>")
            if c.tag == Q + "component":
                if not c.get("id"):
                    p.append(f"headercolumn #{i}: <component> without id")
                if not _text(c.find(Q + "url")):
                    p.append(f"headercolumn #{i}: <component id={c.get('id')!r}> without <url>")
    out["every headercolumn holds a gadget or component"] = p

    p = []
    for i, col in enumerate(cols, 1):
        w = col.get("width")
        if w is None or not PX_RE.match(w):
            p.append(f"headercolumn #{i} width={w!r} is not <n>px")
    out["headercolumn widths are px"] = p

    p = []
    all_gadgets = root.iter(Q + "gadget")
    ttec = [g for g in all_gadgets if "ttecphone" in _text(g).lower()]
    if not ttec:
        p.append("no TTECPhone gadget in the layout")
    parent = {c: par for par in root.iter() for c in par}
    for g in ttec:
        url = _text(g)
        if not GADGET_RE.match(url):
            p.append(f"TTECPhone gadget URL {url!r} is not /3rdpartygadget/files/TTECPhone/gadget.xml[?query]")
        col = parent.get(g)
        if col is None or col.tag != Q + "headercolumn":
            p.append(f"TTECPhone gadget {url!r} is not in a header column")
        elif col.get("width") != "600px":
            p.append(f"TTECPhone gadget {url!r} is in a {col.get('width')!r} column, expected 600px")
    out["TTECPhone gadget URL and 600px header column"] = p

    p = []
    layouts = root.findall(Q + "layout")
    if not layouts:
        p.append("no <layout> element")
    roles = []
    for i, lay in enumerate(layouts, 1):
        role = _text(lay.find(Q + "role"))
        roles.append(role)
        if role not in KNOWN_ROLES:
            p.append(f"layout #{i}: role {role!r} is not one of {sorted(KNOWN_ROLES)}")
        pages = lay.findall(Q + "page")
        if not pages:
            p.append(f"layout #{i} ({role}): no <page>")
        for pg in pages:
            if not [g for g in pg.iter(Q + "gadget") if _text(g)]:
                p.append(f"layout #{i} ({role}): <page> holds no gadget")
        for t in lay.iter(Q + "tab"):
            if not _text(t.find(Q + "id")) or not _text(t.find(Q + "label")):
                p.append(f"layout #{i} ({role}): a <tab> lacks <id> or <label>")
    for needed in ("Agent", "Supervisor"):
        if needed not in roles:
            p.append(f"no <layout> for role {needed}")
    if len(set(roles)) != len(roles):
        p.append(f"duplicate roles: {roles}")
    out["each role has pages (Agent and Supervisor)"] = p
    return out


def check_layout(repo: Path, rep: Report) -> None:
    path = repo / LAYOUT_PATH
    if not path.is_file():
        rep.check(f"layout: {LAYOUT_PATH} exists", [f"{LAYOUT_PATH} is missing"])
        return
    for name, problems in layout_problems(path.read_text(encoding="utf-8")).items():
        rep.check(f"layout: {name}", problems)


# ------------------------------------------------------------------------- markdown

FENCE_RE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([^\s`]*)")


@dataclass
class Block:
    lang: str
    start: int  # 1-based line of the opening fence
    lines: list[str]


def split_markdown(text: str) -> tuple[list[tuple[int, str]], list[Block]]:
    """Return (prose lines with numbers, fenced code blocks)."""
    prose: list[tuple[int, str]] = []
    blocks: list[Block] = []
    cur: Block | None = None
    fence = ""
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE_RE.match(line)
        if cur is None:
            if m:
                fence = m.group(1)
                cur = Block(m.group(2).lower(), n, [])
            else:
                prose.append((n, line))
        else:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not m.group(2):
                blocks.append(cur)
                cur = None
            else:
                cur.lines.append(line)
    if cur is not None:
        blocks.append(cur)  # unterminated fence: still a block
    return prose, blocks


INLINE_CODE_RE = re.compile(r"(`+)(.+?)\1")
LINK_RE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+[\"'(][^)]*)?\)")
REFDEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_LINK_RE = re.compile(r"<(?:a|img)\s[^>]*?(?:href|src)\s*=\s*\"([^\"]+)\"", re.I)


def _strip_code(line: str) -> str:
    return INLINE_CODE_RE.sub(lambda m: " " * len(m.group(0)), line)


def github_slug(heading: str) -> str:
    s = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links -> text
    s = s.replace("`", "")
    s = re.sub(r"(\*\*|__|\*)", "", s)
    s = re.sub(r"(?<!\w)_(.+?)_(?!\w)", r"\1", s)  # _emphasis_
    s = re.sub(r"<[^>]+>", "", s)
    s = s.strip().lower()
    s = "".join(ch for ch in s if ch in "-_ " or unicodedata.category(ch)[0] in "LNM")
    return s.replace(" ", "-")


def anchors_of(md_text: str) -> set[str]:
    prose, _ = split_markdown(md_text)
    seen: dict[str, int] = {}
    out: set[str] = set()
    for _, line in prose:
        m = re.match(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = github_slug(m.group(2))
        k = seen.get(base, 0)
        seen[base] = k + 1
        out.add(base if k == 0 else f"{base}-{k}")
    for _, line in prose:  # explicit HTML anchors
        for a in re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", line, re.I):
            out.add(a)
    return out


def link_targets(text: str) -> list[tuple[int, str]]:
    prose, _ = split_markdown(text)
    out = []
    for n, line in prose:
        clean = _strip_code(line)
        for m in LINK_RE.finditer(clean):
            out.append((n, m.group(1)))
        m = REFDEF_RE.match(clean)
        if m:
            out.append((n, m.group(1)))
        for m in HTML_LINK_RE.finditer(clean):
            out.append((n, m.group(1)))
    return out


def link_problems(repo: Path, md: Path) -> list[str]:
    text = md.read_text(encoding="utf-8")
    problems = []
    for n, raw in link_targets(text):
        target = raw.strip("<>").strip()
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
            continue  # absolute URL, mailto:, etc.
        path_part, _, anchor = target.partition("#")
        path_part = urllib.parse.unquote(path_part.split("?", 1)[0])
        if path_part == "":
            dest = md
        elif path_part.startswith("/"):
            dest = Path(os.path.normpath(repo / path_part.lstrip("/")))
        else:
            dest = Path(os.path.normpath(md.parent / path_part))
        try:
            dest.resolve().relative_to(repo.resolve())
        except ValueError:
            problems.append(f"line {n}: link {raw!r} leaves the repository")
            continue
        if not dest.exists():
            problems.append(f"line {n}: link {raw!r} -> {dest.relative_to(repo) if dest.is_relative_to(repo) else dest} does not exist")
            continue
        if anchor and dest.is_file() and dest.suffix.lower() == ".md":
            if anchor.lower() not in anchors_of(dest.read_text(encoding="utf-8")):
                problems.append(f"line {n}: anchor #{anchor} not found in {dest.relative_to(repo)}")
    return problems


MERMAID_MODULES: str | None = None  # node_modules with mermaid + jsdom, optional


def real_mermaid_errors(sources: list[str]) -> list[str | None]:
    """Parse with the real Mermaid library through Node (optional, see mermaid_parse.mjs)."""
    import json
    import subprocess
    script = Path(__file__).with_name("mermaid_parse.mjs")
    try:
        r = subprocess.run(["node", str(script), MERMAID_MODULES or ""], input=json.dumps(sources),
                           capture_output=True, text=True, timeout=120)
        return json.loads(r.stdout)
    except Exception as e:  # node missing, bad modules dir, timeout
        return [f"could not run the Mermaid parser: {e}"] * len(sources)


def mermaid_problems(text: str) -> list[str]:
    _, blocks = split_markdown(text)
    problems = []
    if MERMAID_MODULES:
        mblocks = [b for b in blocks if b.lang == "mermaid"]
        for b, err in zip(mblocks, real_mermaid_errors(["\n".join(b.lines) + "\n" for b in mblocks])):
            if err:
                problems.append(f"line {b.start}: Mermaid parser: {err}")
    for b in blocks:
        if b.lang != "mermaid":
            continue
        body = [l for l in b.lines if l.strip()]
        # skip YAML front matter and %% comments / %%{init}%% directives
        if body and body[0].strip() == "---":
            ends = [i for i, l in enumerate(body[1:], 1) if l.strip() == "---"]
            if not ends:
                problems.append(f"line {b.start}: unterminated front matter in mermaid block")
                continue
            body = body[ends[0] + 1:]
        body = [l for l in body if not l.strip().startswith("%%")]
        if not body:
            problems.append(f"line {b.start}: empty mermaid block")
            continue
        first = body[0].strip()
        kind = next((t for t in MERMAID_TYPES if first == t or first.startswith(t + " ")
                     or first.startswith(t + ";")), None)
        if kind is None:
            problems.append(f"line {b.start}: mermaid block starts with {first!r}, not a known diagram type")
            continue
        if kind in ("flowchart", "graph"):
            for i, l in enumerate(b.lines, b.start + 1):
                s = l.strip()
                if s.startswith("%%"):
                    continue
                # node labels in [ ] that are not quoted must not contain ( or )
                for m in re.finditer(r"\[(?!\")([^\]\"]*)\]", s):
                    if "(" in m.group(1) or ")" in m.group(1):
                        problems.append(f"line {i}: unquoted ( ) inside [{m.group(1)}]; write [\"...\"]")
        if kind == "sequenceDiagram":
            opened = 0
            for l in body[1:]:
                w = l.strip().split(" ", 1)[0]
                if w in ("alt", "opt", "loop", "par", "critical", "break", "rect", "box"):
                    opened += 1
                elif w == "end":
                    opened -= 1
            if opened != 0:
                problems.append(f"line {b.start}: sequenceDiagram has unbalanced alt/opt/loop ... end ({opened:+d})")
    return problems


PATH_TOKEN_RE = re.compile(r"^(?:\./)?(?:" + "|".join(re.escape(d) for d in REPO_DIRS) + r")")


def _path_exists(repo: Path, token: str) -> bool | None:
    """True/False for a checkable path token, None when it is not a plain path."""
    tok = token.strip().strip("\"'").rstrip(".,;:)")
    if not PATH_TOKEN_RE.match(tok):
        return None
    if any(c in tok for c in "*?<>{}[]$|="):
        return None  # a glob, placeholder or expression, not a literal path
    tok = re.sub(r":\d+(?::\d+)?$", "", tok)  # file:line
    tok = tok.removeprefix("./")
    return (repo / tok).exists()


def path_problems(repo: Path, text: str) -> list[str]:
    prose, blocks = split_markdown(text)
    problems = []
    for n, line in prose:
        for m in INLINE_CODE_RE.finditer(line):
            span = m.group(2).strip()
            first = span.split()[0] if span.split() else ""
            ok = _path_exists(repo, first)
            if ok is False:
                problems.append(f"line {n}: `{span}` names {first!r}, which does not exist")
    for b in blocks:
        if b.lang not in SHELL_LANGS:
            continue
        for i, l in enumerate(b.lines, b.start + 1):
            s = l.strip()
            if s.startswith("#"):
                continue
            s = re.sub(r"^\$\s+", "", s)
            for tok in re.split(r"[\s=]+", s):
                ok = _path_exists(repo, tok)
                if ok is False:
                    problems.append(f"line {i}: command names {tok!r}, which does not exist")
    return problems


def doc_files(repo: Path) -> list[Path]:
    found: set[Path] = set()
    for g in DOC_GLOBS:
        found.update(p for p in repo.glob(g)
                     if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(repo).parts))
    return sorted(found)


def check_docs(repo: Path, rep: Report) -> None:
    files = doc_files(repo)
    rep.check("docs: Markdown files found", [] if files else ["no Markdown files to check"])
    for md in files:
        rel = md.relative_to(repo).as_posix()
        text = md.read_text(encoding="utf-8")
        rep.check(f"links: {rel}", link_problems(repo, md))
        if "```mermaid" in text or "~~~mermaid" in text:
            rep.check(f"mermaid: {rel}", mermaid_problems(text))
        rep.check(f"paths: {rel}", path_problems(repo, text))


# ------------------------------------------------------------------------ self-test

GOOD_LAYOUT = f"""<finesseLayout xmlns="{NS}">
  <header>
    <leftAlignedColumns>
      <headercolumn width="300px"><component id="cd-logo"><url>/desktop/scripts/js/logo.js</url></component></headercolumn>
      <headercolumn width="600px"><gadget>/3rdpartygadget/files/TTECPhone/gadget.xml?autoAnswerDelayMs=0</gadget></headercolumn>
    </leftAlignedColumns>
    <rightAlignedColumns/>
  </header>
  <layout><role>Agent</role><page><gadget>/desktop/scripts/js/callcontrol.js</gadget></page>
    <tabs><tab><id>home</id><label>Home</label></tab></tabs></layout>
  <layout><role>Supervisor</role><page><gadget>/desktop/scripts/js/callcontrol.js</gadget></page></layout>
</finesseLayout>"""

BAD_LAYOUTS = {
    "well-formed XML": GOOD_LAYOUT.replace("</header>", ""),
    "root finesseLayout in the Finesse namespace": GOOD_LAYOUT.replace(f' xmlns="{NS}"', ""),
    "header has left/rightAlignedColumns only": GOOD_LAYOUT.replace("<rightAlignedColumns/>", "<centerColumns/>"),
    "every headercolumn holds a gadget or component": GOOD_LAYOUT.replace(
        "</leftAlignedColumns>", '<headercolumn width="50px"><!-- empty --></headercolumn></leftAlignedColumns>'),
    "headercolumn widths are px": GOOD_LAYOUT.replace('width="300px"', 'width="30%"'),
    "TTECPhone gadget URL and 600px header column": GOOD_LAYOUT.replace(
        "/3rdpartygadget/files/TTECPhone/gadget.xml", "/3rdpartygadget/files/TTECPhone/gadget.html"),
}
BAD_LAYOUT_600 = GOOD_LAYOUT.replace('width="600px"', 'width="400px"')
BAD_LAYOUT_ROLE = GOOD_LAYOUT.replace(
    "<layout><role>Supervisor</role><page><gadget>/desktop/scripts/js/callcontrol.js</gadget></page></layout>",
    "<layout><role>Supervisor</role></layout>")


def self_test() -> int:
    rep = Report()

    def expect(name: str, cond: bool, detail: str = "") -> None:
        rep.check(f"self-test: {name}", [] if cond else [detail or "expectation not met"])

    good = layout_problems(GOOD_LAYOUT)
    expect("good layout passes every layout check", all(not v for v in good.values()),
           f"unexpected problems: { {k: v for k, v in good.items() if v} }")
    for check, bad in BAD_LAYOUTS.items():
        got = layout_problems(bad)
        expect(f"layout check fails on bad sample: {check}", bool(got.get(check)),
               f"no failure reported, got {got}")
    expect("layout check fails when TTECPhone column is not 600px",
           bool(layout_problems(BAD_LAYOUT_600)["TTECPhone gadget URL and 600px header column"]))
    expect("layout check fails when a role has no page",
           bool(layout_problems(BAD_LAYOUT_ROLE)["each role has pages (Agent and Supervisor)"]))

    with tempfile.TemporaryDirectory(prefix="check_docs_") as tmp:
        repo = Path(tmp)
        (repo / "doc").mkdir()
        (repo / "src" / "sip").mkdir(parents=True)
        (repo / "src" / "sip" / "lib.rs").write_text("// x\n")
        (repo / "layouts").mkdir()
        (repo / LAYOUT_PATH).write_text(GOOD_LAYOUT)
        (repo / "doc" / "ok.md").write_text(textwrap.dedent("""\
            # Title
            ## Part 1: broker (once)
            See [the layout](../layouts/desktop-layout.xml), [part 1](#part-1-broker-once),
            [web](https://example.com) and `src/sip/lib.rs` or `src/sip/`.
            ```mermaid
            flowchart LR
              A["Finesse (desktop)"] --> B[Gadget]
            ```
            ```bash
            python3 src/sip/lib.rs --flag
            sftp 3rdpartygadget@finesse.example.com
            ```
            """))
        (repo / "README.md").write_text("[ok](doc/ok.md#title) ![img](doc/ok.md)\n")
        (repo / "doc" / "bad_link.md").write_text("[missing](nothing/here.md)\n")
        (repo / "doc" / "bad_anchor.md").write_text("[x](ok.md#no-such-heading)\n")
        (repo / "doc" / "bad_image.md").write_text("![diagram](img/missing.svg)\n")
        (repo / "doc" / "bad_mermaid_empty.md").write_text("```mermaid\n\n```\n")
        (repo / "doc" / "bad_mermaid_type.md").write_text("```mermaid\nflowhcart LR\n A-->B\n```\n")
        (repo / "doc" / "bad_mermaid_paren.md").write_text("```mermaid\nflowchart LR\n A[Finesse (desktop)] --> B\n```\n")
        (repo / "doc" / "bad_mermaid_seq.md").write_text(
            "```mermaid\nsequenceDiagram\n alt x\n A->>B: hi\n```\n")
        (repo / "doc" / "bad_path.md").write_text("The core is in `src/sip/core.rs`.\n")
        (repo / "doc" / "bad_cmd.md").write_text("```sh\n./unit_testing/run-all.sh\n```\n")
        nm = repo / "unit_testing" / "bed" / "node_modules" / "ws"
        nm.mkdir(parents=True)
        (nm / "README.md").write_text("[x](./doc/missing.md)\n")
        (repo / "unit_testing" / "README.md").write_text("[doc](../doc/ok.md)\n")

        sub = Report(quiet=True)
        check_layout(repo, sub)
        expect("good sample layout passes in a temp repo", sub.failed == 0, f"failures: {sub.failures}")

        ok = repo / "doc" / "ok.md"
        expect("good links pass", not link_problems(repo, ok), str(link_problems(repo, ok)))
        expect("good README links pass", not link_problems(repo, repo / "README.md"),
               str(link_problems(repo, repo / "README.md")))
        expect("good mermaid passes", not mermaid_problems(ok.read_text()), str(mermaid_problems(ok.read_text())))
        expect("good paths pass", not path_problems(repo, ok.read_text()), str(path_problems(repo, ok.read_text())))
        for name, fn in [
            ("bad_link.md", lambda p: link_problems(repo, p)),
            ("bad_anchor.md", lambda p: link_problems(repo, p)),
            ("bad_image.md", lambda p: link_problems(repo, p)),
            ("bad_mermaid_empty.md", lambda p: mermaid_problems(p.read_text())),
            ("bad_mermaid_type.md", lambda p: mermaid_problems(p.read_text())),
            ("bad_mermaid_paren.md", lambda p: mermaid_problems(p.read_text())),
            ("bad_mermaid_seq.md", lambda p: mermaid_problems(p.read_text())),
            ("bad_path.md", lambda p: path_problems(repo, p.read_text())),
            ("bad_cmd.md", lambda p: path_problems(repo, p.read_text())),
        ]:
            expect(f"fails on {name}", bool(fn(repo / "doc" / name)), "no failure reported")

        listed = [p.relative_to(repo).as_posix() for p in doc_files(repo)]
        expect("doc files: README, doc/, unit_testing READMEs found; node_modules skipped",
               "README.md" in listed and "doc/ok.md" in listed and "unit_testing/README.md" in listed
               and not any("node_modules" in x for x in listed), str(listed))
        whole = Report(quiet=True)
        check_layout(repo, whole)
        check_docs(repo, whole)
        expect("whole run over the bad sample repo fails", whole.failed >= 9,
               f"only {whole.failed} failures: {whole.failures}")
        (repo / LAYOUT_PATH).unlink()
        missing = Report(quiet=True)
        check_layout(repo, missing)
        expect("missing layout file fails", missing.failed == 1)

    print(f"{rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--self-test", action="store_true", help="prove each check fails on a bad sample")
    ap.add_argument("--repo", default=None, help="repository root (default: two levels above this file)")
    ap.add_argument("--mermaid-modules", default=os.environ.get("TTEC_MERMAID_MODULES"),
                    help="node_modules dir with mermaid and jsdom: also parse diagrams with real Mermaid")
    args = ap.parse_args()
    global MERMAID_MODULES
    MERMAID_MODULES = args.mermaid_modules
    if args.self_test:
        return self_test()
    repo = Path(args.repo) if args.repo else Path(__file__).resolve().parents[2]
    rep = Report()
    check_layout(repo, rep)
    check_docs(repo, rep)
    print(f"{rep.passed} passed, {rep.failed} failed")
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
