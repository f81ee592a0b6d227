"""The bad-input gallery: one run over every broken file beside a good article."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GALLERY = Path(__file__).resolve().parent / "bad_inputs"
# The loader's whole process (Python, pandas, the 10 MB string decoded) stays under this.
MEMORY_BOUND_MB = 400

EXPECTED = {
    "empty.txt": "file is empty",
    "image-renamed.txt": "binary file",
    "truncated.json": "JSON does not parse",
    "wrong-encoding.txt": "undecodable bytes",
    "missing-column.csv": "CSV has no text column",
    "no-body.html": "no article body",
    "zip-bomb.html": "binary file",
    "no-text-field.jsonl": "no text field",
    "huge.html": "over the 50 MB limit",
    "loop-a.txt": "cannot read the file",
    "loop-b.txt": "cannot read the file",
    "unreadable.txt": "permission denied",
    "deep.json": "nested too deeply",
    "deep-line.jsonl": "nested too deeply",
    "huge-number.json": "number too long",
    "cycle": "link to a folder: not followed",
    "private-link.txt": "link to a file outside the folder",
    "shadow-link.csv": "link to a file outside the folder",
    "password-header.csv": "CSV has no text column (found: 1 column that is not a name)",
    "pipe.txt": "a named pipe (FIFO), not a regular file",
    "unbalanced-quote.csv": "an unbalanced quote (\") in this row swallowed the 2 row(s) after "
                            "it into one field (lines 3-5 of the file)",
}
# What the files outside the folder, and one inside, hold: no skip message may echo it.
SECRET = "SECRET-b7c1"
# root reads any file whatever its mode; the probe then runs without root's override capabilities
# (setpriv), so that "no read permission" means the same as for an ordinary user.
AS_ORDINARY_USER = (["setpriv", "--inh-caps=-all", "--bounding-set=-all"]
                    if os.geteuid() == 0 and shutil.which("setpriv") else [])

PROBE = r"""
import json, re, sys
from toolkit import load_articles
result = load_articles(sys.argv[1])
print(json.dumps({
    "loaded": [[a.article_id, len(a.text)] for a in result],
    "skipped": [[s.path.rsplit("/", 1)[-1], s.reason, str(s)] for s in result.skipped],
    # VmHWM, not ru_maxrss: Linux carries the forking parent's peak (pytest with spaCy loaded)
    # into ru_maxrss across exec, while VmHWM is this process image's own peak
    "max_rss_mb": int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read())[1]) / 1024,
}))
"""


def test_gallery_loads_the_good_article_and_names_every_bad_one(tmp_path):
    folder = tmp_path / "batch"
    shutil.copytree(GALLERY, folder)
    (folder / "good.txt").write_text("A good headline\n\nThe one real paragraph.\n", "utf-8")
    with open(folder / "huge.html", "wb") as fh:  # 200 MB of real-looking HTML
        chunk = b"<p>" + b"word " * 200 + b"</p>\n"
        for _ in range(200 * 1024 * 1024 // len(chunk) + 1):
            fh.write(chunk)
    big_string = json.dumps({"title": "One very long string", "text": "x" * 10_000_000})
    (folder / "long-string.json").write_text(big_string, "utf-8")
    # past Python's limits: 100,000 levels of nesting (RecursionError), a 5,000-digit integer
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    (folder / "deep-line.jsonl").write_text(
        json.dumps({"text": "The line before the deep one."}) + "\n"
        + '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}\n", "utf-8")
    (folder / "huge-number.json").write_text('{"text": "Some text.", "id": ' + "7" * 5000 + "}",
                                             "utf-8")
    os.symlink(folder / "loop-b.txt", folder / "loop-a.txt")
    os.symlink(folder / "loop-a.txt", folder / "loop-b.txt")
    os.symlink(folder, folder / "cycle")  # a folder that contains itself
    # links out of the folder, to a private note and to a password-file-like CSV
    (tmp_path / "private.txt").write_text(f"My notes\n\nA private {SECRET} paragraph.\n")
    (tmp_path / "shadow").write_text(f"root:$6${SECRET}:19000:0:99999:7:::\n")
    os.symlink(tmp_path / "private.txt", folder / "private-link.txt")
    os.symlink(tmp_path / "shadow", folder / "shadow-link.csv")
    (folder / "password-header.csv").write_text(f"root:$6${SECRET}:19000:0:99999:7:::\n")
    os.mkfifo(folder / "pipe.txt")  # reading it would wait for a writer forever
    expected = dict(EXPECTED)
    unreadable = folder / "unreadable.txt"
    unreadable.write_text("A headline\n\nText nobody may read.\n", "utf-8")
    unreadable.chmod(0)
    if os.geteuid() == 0 and not AS_ORDINARY_USER:
        unreadable.unlink()  # root without setpriv: no way to make a file unreadable
        del expected["unreadable.txt"]

    proc = subprocess.run([*AS_ORDINARY_USER, sys.executable, "-c", PROBE, str(folder)],
                          capture_output=True, text=True, timeout=300, check=True)
    report = json.loads(proc.stdout)

    assert [a[0] for a in report["loaded"]] == ["deep-line-1", "good", "long-string-1", "1", "5"]
    assert report["loaded"][2][1] == 10_000_000
    reasons = {name: reason for name, reason, _ in report["skipped"]}
    assert set(reasons) == set(expected)
    for name, reason in expected.items():
        assert reason in reasons[name], (name, reasons[name])
    assert "unbalanced-quote.csv: row 3: an unbalanced quote" in " ".join(
        line for _, _, line in report["skipped"])
    for _, _, line in report["skipped"]:
        assert str(folder) in line  # every line names its file
        assert SECRET not in line  # and never echoes what a file holds
    assert report["max_rss_mb"] < MEMORY_BOUND_MB


def test_a_reader_that_fails_inside_is_a_named_skip(tmp_path, monkeypatch):
    from toolkit import load_articles

    (tmp_path / "page.html").write_text("<html><body><p>Text of a page.</p></body></html>")
    (tmp_path / "good.txt").write_text("A headline\n\nThe one real paragraph.\n", "utf-8")
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # `import trafilatura` fails
    result = load_articles(tmp_path)
    assert [a.article_id for a in result] == ["good"]
    (skip,) = result.skipped
    assert skip.path.endswith("page.html")
    assert "reader is not installed properly (ModuleNotFoundError: trafilatura)" in skip.reason


def test_links_out_of_the_folder_are_read_only_when_allowed(tmp_path):
    from toolkit import load_articles

    folder = tmp_path / "batch"
    folder.mkdir()
    (tmp_path / "outside.txt").write_text("A headline\n\nA paragraph kept outside.\n")
    (folder / "inside.txt").write_text("Another headline\n\nA paragraph kept inside.\n")
    os.symlink(tmp_path / "outside.txt", folder / "out-link.txt")
    os.symlink(folder / "inside.txt", folder / "in-link.txt")  # stays inside: read (a duplicate)

    result = load_articles(folder)
    assert [a.article_id for a in result] == ["in-link"]
    assert sorted((Path(s.path).name, s.reason.split(":")[0]) for s in result.skipped) == [
        ("inside.txt", "duplicate of article in-link (same text; of the copies, the one with "
         "the smallest path is kept)"),
        ("out-link.txt", "link to a file outside the folder")]
    allowed = load_articles(folder, follow_links=True)
    assert sorted(a.article_id for a in allowed) == ["in-link", "out-link"]


SPECIAL_PROBE = r"""
import json, sys
from toolkit import load_articles
result = load_articles(sys.argv[1:], follow_links=True)
print(json.dumps({"loaded": [a.article_id for a in result],
                  "skipped": sorted([s.path.rsplit("/", 1)[-1], s.reason]
                                    for s in result.skipped)}))
"""


def test_only_regular_files_are_read_never_a_pipe_or_a_device(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "good.txt").write_text("A headline\n\nThe one real paragraph.\n", "utf-8")
    os.mkfifo(folder / "pipe.txt")
    os.symlink("/dev/stdin", folder / "stdin.txt")
    os.symlink("/dev/zero", folder / "zero.txt")
    os.mkfifo(tmp_path / "given.txt")  # a pipe given by its own path, not found in a folder
    # stdin stays open and empty: reading it would block until the timeout, which guards a hang
    proc = subprocess.run([sys.executable, "-c", SPECIAL_PROBE, str(folder),
                           str(tmp_path / "given.txt")], stdin=subprocess.PIPE,
                          capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(proc.stdout)
    assert report["loaded"] == ["good"]
    reasons = dict(report["skipped"])
    assert sorted(reasons) == ["given.txt", "pipe.txt", "stdin.txt", "zero.txt"]
    for name in ("given.txt", "pipe.txt", "stdin.txt"):
        assert reasons[name].startswith("a named pipe (FIFO), not a regular file"), reasons
    assert reasons["zero.txt"].startswith("a device, not a regular file"), reasons


FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd",
            "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def test_formulas_in_an_article_never_run_in_a_spreadsheet(tmp_path):
    import csv

    import pandas as pd

    from toolkit.cli import main
    from toolkit.io import read_table, write_table
    from toolkit.plot.export import _csv_text

    record = {"id": "=1+1", "title": FORMULAS[0], "authors": [FORMULAS[2]],
              "text": "\n\n".join(f"{f} is a formula." for f in FORMULAS)}
    (tmp_path / "formulas.json").write_text(json.dumps(record), "utf-8")
    assert main(["load", str(tmp_path / "formulas.json"), "--out", str(tmp_path / "out")]) == 0
    cells = []
    for name in ("articles.csv", "paragraphs.csv"):
        with open(tmp_path / "out" / name, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        cells += [v for row in rows for v in row.values()]
        assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in cells), name
    assert {"'=1+1", f"'{FORMULAS[0]}", f"'{FORMULAS[2]}"} <= set(cells)
    assert {f"'{f} is a formula." for f in FORMULAS[:4]} <= set(cells)  # paragraphs are stripped

    # only text cells: numbers (negative ones too) stay numbers; Parquet and read_table give
    # the exact text back
    df = pd.DataFrame({"article_id": ["=a", "b"], "start": [-3, 4], "value": [-1.5, 2.0],
                       "text": ["-3 degrees", "'=quoted already"]})
    write_table(df, tmp_path / "t", "t", fmt="both")
    assert (tmp_path / "t" / "t.csv").read_text().splitlines() == [
        "article_id,start,value,text", "'=a,-3,-1.5,'-3 degrees", "b,4,2.0,''=quoted already"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t" / "t.parquet"), df)
    (tmp_path / "t" / "t.parquet").unlink()
    pd.testing.assert_frame_equal(read_table(tmp_path / "t", "t"), df)
    assert _csv_text(df).splitlines()[1] == "'=a,-3,-1.5,'-3 degrees"


def test_partition_folders_are_short_and_stable_for_any_id(tmp_path):
    import pandas as pd

    from toolkit.io import partition_name, read_table, write_datasets

    ids = ["Китай_готов_стать_посредником_в_урегулировании_конфликта_",  # 58 Cyrillic letters
           "中国准备在俄罗斯和乌克兰之间充当调解人的角色并提出和平计划书",  # 29 Chinese
           "x" * 300, "a/b=c%d", "..", "007", "sp ace", "ü" * 200]
    df = pd.DataFrame({"article_id": sorted(ids), "n": range(len(ids))})
    write_datasets({tmp_path / "t": df})
    names = sorted(p.name for p in (tmp_path / "t").iterdir() if p.is_dir())
    assert names == sorted(f"article={partition_name(i)}" for i in ids)
    assert max(len(n.encode()) for n in names) <= 160  # a file name may have 255 bytes
    assert partition_name(ids[0]) == partition_name(str(ids[0]))  # stable: a pure function
    assert partition_name(ids[0]).startswith("Китай_готов_стать_посредником_в_")
    pd.testing.assert_frame_equal(read_table(tmp_path, "t"), df, check_exact=True)


# -- smaller things (issue 17, item 12) -----------------------------------------------------------

def test_form_feeds_and_odd_field_types(tmp_path):
    from toolkit import load_articles

    # pdftotext ends each page with a form feed: a paragraph break, not a character to drop
    (tmp_path / "pages.txt").write_text("The headline\fThe first page ends here.\f"
                                        "The second page goes on.\n", "utf-8")
    (tmp_path / "types.jsonl").write_text("\n".join([
        json.dumps({"text": ["a list", "of paragraphs"]}), json.dumps({"body": 42}),
        '{"text": "A real article body.", "title": ["Part", "two"], "id": true, '
        '"authors": ["Ann Lee", NaN, ["x"]], "outlet": NaN, "url": 3.0}']), "utf-8")
    result = load_articles(tmp_path)
    pages, record = result
    assert (pages.title, pages.paragraphs) == (
        "The headline", ("The first page ends here.", "The second page goes on."))
    assert (record.article_id, record.title, record.authors, record.outlet, record.url) == (
        "types-3", "Part; two", ("Ann Lee", "x"), "", "3")
    assert [(s.where, s.reason.split(",")[0]) for s in result.skipped] == [
        ("line 1", "the text field 'text' holds a list"),
        ("line 2", "the text field 'body' holds a number")]


def test_escape_sequences_in_file_names_never_reach_the_terminal(tmp_path, capsys):
    from toolkit.cli import main

    (tmp_path / "red\x1b[31m.txt").write_bytes(b"")
    (tmp_path / "gnp\u202etxt.exe.txt").write_text("A headline\n\nA body paragraph.\n", "utf-8")
    (tmp_path / "title.json").write_text(json.dumps(
        {"title": "Bidi \u202etitle", "text": "Another body paragraph."}), "utf-8")
    assert main(["load", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out
    assert "red\\x1b[31m.txt: file is empty" in out
    assert "gnp\\u202etxt.exe" in out and "Bidi \\u202etitle" in out


@pytest.mark.parametrize("value", ["nan", "inf", "1e30", "-1", "0", "many"])
def test_max_mb_must_be_a_real_size(value, tmp_path, capsys):
    from toolkit.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["load", str(tmp_path), f"--max-mb={value}"])
    assert exit_.value.code == 2
    assert "--max-mb" in capsys.readouterr().err


def test_an_unwritable_out_is_reported_before_any_work(tmp_path, capsys):
    from toolkit.cli import main

    (tmp_path / "good.txt").write_text("A headline\n\nThe one real paragraph.\n", "utf-8")
    (tmp_path / "file").write_text("not a folder")
    for out, why in [(tmp_path / "file", "--out is a file, not a folder"),
                     (tmp_path / "file" / "sub", "cannot write into --out (Not a directory)")]:
        assert main(["annotate", str(tmp_path / "good.txt"), "--out", str(out), "--quiet",
                     "--codebook", ""]) == 1
        err = capsys.readouterr().err
        assert why in err and "loaded" not in err  # nothing was loaded, let alone annotated


# Who runs the toolkit in the read-only-OUT test: an unprivileged user, since root writes into
# a folder whatever its mode (the suite runs as root).
NOBODY = 65534


def _as_nobody() -> list[str] | None:
    """Return the command prefix that runs a program as uid/gid NOBODY, or None (not root, or
    neither setpriv nor runuser there)."""
    if os.geteuid() != 0:
        return None
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    return None


def test_a_read_only_out_is_one_clear_line_for_an_unprivileged_user():
    """As an ordinary user (not root, who may write anywhere), a read-only OUT is refused
    before anything is read, in one line naming OUT, with no traceback and nothing written."""
    import tempfile

    prefix = _as_nobody()
    if prefix is None:
        pytest.skip("needs root and setpriv or runuser to run the toolkit as another user")
    root = Path(__file__).resolve().parents[1]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(root), "LANG": "C.UTF-8",
           "PYTHONDONTWRITEBYTECODE": "1"}
    # pytest's tmp_path is root's alone (0700): this folder is one the other user can enter
    base = Path(tempfile.mkdtemp(prefix="toolkit-read-only-"))
    try:
        base.chmod(0o755)
        article = base / "good.txt"
        article.write_text("A headline\n\nThe one real paragraph.\n", "utf-8")
        article.chmod(0o644)
        out = base / "out"
        out.mkdir(mode=0o555)
        out.chmod(0o555)  # read-only for everyone (whatever the umask left)
        env["HOME"] = str(base)
        probe = subprocess.run([*prefix, sys.executable, "-c", "import toolkit.cli"],
                               cwd=base, env=env, capture_output=True, text=True, timeout=120)
        if probe.returncode:
            pytest.skip(f"the toolkit cannot run as uid {NOBODY} here (its interpreter or "
                        f"code is not readable to it): {probe.stderr.strip()[-300:]}")
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "toolkit", "annotate", str(article), "--out",
             str(out), "--no-cache", "--codebook", ""],
            cwd=base, env=env, capture_output=True, text=True, timeout=300)
        left = sorted(p.name for p in out.iterdir())
    finally:
        shutil.rmtree(base)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.splitlines() == [
        f"toolkit annotate: {out}: cannot write into --out (Permission denied): give a folder "
        "you can write to"], proc.stderr  # one line; nothing loaded, so no "loaded ..." line
    assert proc.stdout == "" and left == []


def test_os_errors_mid_run_are_one_line_not_a_traceback(tmp_path, capsys, monkeypatch):
    from toolkit import cli

    def vanished(args):
        raise FileNotFoundError(2, "No such file or directory", str(tmp_path / "out" / "x.csv"))

    monkeypatch.setattr(cli, "cmd_load", vanished)
    assert cli.main(["load", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"toolkit load: {tmp_path / 'out' / 'x.csv'}: No such file or directory")
    assert "Traceback" not in err


GOOD_GOLD = {"id": "a", "text": "He said “yes.”", "quotes": [{"text": "yes.", "speaker": "He"}]}


def _gold(**change):
    row = json.loads(json.dumps(GOOD_GOLD))
    for key, value in change.items():
        if key.startswith("q_"):
            row["quotes"][0][key[2:]] = value
        else:
            row[key] = value
    return json.dumps(row)


BAD_GOLD = {
    "a list": ("[1, 2]", "not a JSON object"),
    "no id": (json.dumps({"text": "x", "quotes": []}), "missing field(s) id"),
    "list id": (_gold(id=["a"]), '"id" must be a string'),
    "bool id": (_gold(id=True), '"id" must be a string'),
    "number text": (_gold(text=5), '"text" must be'),
    "empty text": (_gold(text=" "), '"text" must be'),
    "quotes object": (_gold(quotes={"a": 1}), '"quotes" must be a list'),
    "quote string": (_gold(quotes=["yes"]), 'quote 1: a quote needs "text" and "speaker"'),
    "speaker list": (_gold(q_speaker=["He"]), 'quote 1: "text" and "speaker" must be strings'),
    "quote number": (_gold(q_text=1), 'quote 1: "text" and "speaker" must be strings'),
    "kind number": (_gold(q_kind=1), 'quote 1: "kind" must be a string'),
    "spans string": (_gold(q_spans="0-3"), 'quote 1: "spans" must be a list'),
    "span triple": (_gold(q_spans=[[0, 1, 2]]), "quote 1: span [0, 1, 2] is not [start, end]"),
    "backwards": (_gold(q_start=5000, q_end=-3), "quote 1: span [5000, -3] is not [start, end]"),
    "past the end": (_gold(q_start=0, q_end=99), "0 <= start < end <= 14"),
    "deep": ('{"id": "a", "text": ' + "[" * 100_000 + "]" * 100_000 + "}", "not readable JSON"),
    "huge number": ('{"id": ' + "9" * 5000 + "}", "not readable JSON"),
}


@pytest.mark.parametrize("shape", sorted(BAD_GOLD))
def test_every_malformed_gold_shape_is_named(shape, tmp_path):
    from toolkit.errors import GoldFormatError
    from toolkit.evaluate.quotes import read_gold

    line, message = BAD_GOLD[shape]
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(GOOD_GOLD) + "\n" + line + "\n", "utf-8")
    with pytest.raises(GoldFormatError) as err:
        read_gold(path)
    assert f"{path}: line 2: " in str(err.value) and message in str(err.value), str(err.value)


def test_gold_that_is_not_utf8_or_not_a_file_is_named(tmp_path):
    from toolkit.errors import GoldFormatError
    from toolkit.evaluate.quotes import read_gold

    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(json.dumps(GOOD_GOLD).encode() + b"\n" + '{"id": "é"}'.encode("latin-1"))
    with pytest.raises(GoldFormatError, match="not UTF-8"):
        read_gold(latin)
    with pytest.raises(GoldFormatError, match="not a file"):
        read_gold(tmp_path)


# -- codebooks (item 11) ----------------------------------------------------------------------

def _codebook(tmp_path, scoring="", favor='"supports ... peace" = 1.0'):
    path = tmp_path / "cb.toml"
    path.write_text(f"""[target]
name = "t"
[relevance]
actor = ["china"]
topic = ["peace"]
[scoring]
{scoring}
[favor]
{favor}
[against]
"blocks" = 1.0
""", "utf-8")
    return path


@pytest.mark.parametrize("scoring, message", [
    ("threshold = nan", "[scoring]: threshold = nan: must be a number from 0.0 to 1000.0"),
    ("threshold = -1.0", "[scoring]: threshold = -1.0: must be a number"),
    ("negation_window = -4", "[scoring]: negation_window = -4: must be a number from 0 to 50"),
    ("gap = 60", "[scoring]: gap = 60: must be a number from 0 to 20"),
    ("hedge_window = 100000", "[scoring]: hedge_window = 100000"),
])
def test_codebook_numbers_are_validated(scoring, message, tmp_path):
    from toolkit.errors import CodebookError
    from toolkit.stance import load_codebook

    path = _codebook(tmp_path, scoring)
    with pytest.raises(CodebookError) as err:
        load_codebook(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_codebook_weights_gaps_encoding_and_folders_are_named(tmp_path):
    from toolkit.errors import CodebookError
    from toolkit.stance import load_codebook

    with pytest.raises(CodebookError, match=r'\[favor\]: "x" must have a number'):
        load_codebook(_codebook(tmp_path, favor='"x" = nan'))
    with pytest.raises(CodebookError, match=r'\[favor\]: ".*" has more than 4 "\.\.\." gaps'):
        load_codebook(_codebook(tmp_path, favor='"a ... b ... c ... d ... e ... f" = 1.0'))
    latin = tmp_path / "latin.toml"
    latin.write_bytes(_codebook(tmp_path).read_bytes().replace(b"china", "chïna".encode("latin-1")))
    with pytest.raises(CodebookError, match=r"latin\.toml: not UTF-8"):
        load_codebook(latin)
    (tmp_path / "folder.toml").mkdir()
    with pytest.raises(CodebookError, match=r"folder\.toml: not a file"):
        load_codebook(tmp_path / "folder.toml")


MATCHER_PROBE = r"""
import importlib
stance = importlib.import_module("toolkit.stance.phrases")  # the matcher's module
phrase = stance._compile(" ... ".join(["word"] * 12 + ["peace"]))  # 12 gaps
toks = ["word", "other"] * 12 + ["word", "peace"] + ["word", "other"] * 60  # no clause break
print(stance._match_at(phrase.pattern, toks, 0, 60), stance._match_at(phrase.pattern, toks, 30, 60),
      len(stance._find([phrase], toks, 20)))
"""


def test_the_phrase_matcher_is_polynomial_in_gaps():
    # over two minutes (exponential) before: the timeout only guards a hang
    proc = subprocess.run([sys.executable, "-c", MATCHER_PROBE], capture_output=True,
                          text=True, timeout=120, check=True)
    assert proc.stdout.split() == ["26", "-1", "2"]


def test_html_with_a_node_over_10_mb_keeps_its_article(tmp_path):
    """libxml2 refuses a text node or attribute over 10,000,000 characters by default."""
    from toolkit import load_articles

    def page(name, extra):
        paragraphs = "".join(f"<p>Paragraph {i} of the {name} article, with enough words to be "
                             "a real sentence of its body.</p>\n" for i in range(6))
        return ("<html><head><title>A headline</title></head><body><article><h1>A headline"
                f"</h1>{extra}{paragraphs}</article></body></html>")

    size = 10_500_000
    (tmp_path / "inline-image.html").write_text(page(
        "inline-image", '<img src="data:image/png;base64,' + "A" * size + '">'), "utf-8")
    (tmp_path / "whitespace.html").write_text(page(
        "whitespace", "<div>" + " " * size + "</div>"), "utf-8")
    (tmp_path / "one-node.html").write_text(page(
        "one-node", "<p>" + "word " * (size // 5) + "</p>"), "utf-8")
    result = load_articles(tmp_path)
    assert result.skipped == []
    by_id = {a.article_id: a for a in result}
    for name in ("inline-image", "whitespace"):
        assert by_id[name].paragraphs[-1] == f"Paragraph 5 of the {name} article, with enough " \
                                             "words to be a real sentence of its body.", name
        assert len(by_id[name].paragraphs) == 6
    assert len(by_id["one-node"].paragraphs) == 7 and len(by_id["one-node"].text) > size


def test_a_second_run_into_the_same_out_stops_with_a_message(tmp_path, capsys):
    from toolkit.cli import main
    from toolkit.io import locked_folder

    (tmp_path / "good.txt").write_text("A headline\n\nThe one real paragraph.\n", "utf-8")
    out = tmp_path / "out"
    with locked_folder(out):  # the first run, still writing
        assert main(["annotate", str(tmp_path / "good.txt"), "--out", str(out), "--quiet",
                     "--codebook", ""]) == 1
        err = capsys.readouterr().err
        assert "another toolkit annotate run is writing into this folder" in err
        assert "loaded" not in err  # stopped before reading anything
    assert sorted(p.name for p in out.iterdir()) == []  # nothing written, no lock file left


# -- memory with paragraph size (item 3) ------------------------------------------------------

def test_an_overlong_paragraph_is_parsed_in_small_pieces_with_exact_offsets():
    from toolkit import Article
    from toolkit.nlp import MAX_CHUNK_CHARS, MAX_PIECE_CHARS, parse

    sentences = [f"Sentence {i} says the talks in Geneva went on for {i} hours."
                 for i in range(1500)]
    one = " ".join(sentences)
    assert len(one) > 3 * MAX_CHUNK_CHARS
    article = Article.build(article_id="long", path="long.txt", title="T",
                            paragraphs=["A first short paragraph.", one, "x" * 9_000 + " end."])
    (parsed,) = parse([article])
    long_chunks = [c for c in parsed.chunks if c.paragraph == 1]
    assert max(len(c.text) for c in long_chunks) <= MAX_PIECE_CHARS
    assert "".join(c.text for c in long_chunks) == one  # covers the paragraph exactly, in order
    for chunk in parsed.chunks:
        assert article.text[chunk.start:chunk.start + len(chunk.text)] == chunk.text
    # cut between sentences: every sentence of the paragraph comes out whole
    texts = [article.text[s.start:s.end] for s in parsed.sentences if s.paragraph == 1]
    assert texts == sentences
    assert parsed.chunks[-1].text == "x" * 9_000 + " end."  # under the limit: one piece


MEMORY_PROBE = r"""
import re, sys
sys.path.insert(0, sys.argv[3])
from paragraph_memory import article_text
from toolkit import Article
from toolkit.nlp import parse
from toolkit.cleaning import split_blocks
blocks = split_blocks(article_text(float(sys.argv[1]), sys.argv[2]))
article = Article.build(article_id="a", path="a.txt", title=blocks[0], paragraphs=blocks[1:])
for parsed in parse([article]):
    pass
print(int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read())[1]) // 1024)
"""


def test_one_long_paragraph_costs_no_more_memory_than_many_short_ones():
    """The same 0.25 MB of sentences, pasted as one paragraph (single newlines) or as
    paragraphs: parsing one paragraph took 530 MB more at its peak (about 2.1 GB per MB)."""
    benchmarks = Path(__file__).resolve().parent.parent / "benchmarks"
    peaks = {}
    for shape in ("one-paragraph", "paragraphs"):
        proc = subprocess.run([sys.executable, "-c", MEMORY_PROBE, "0.25", shape, str(benchmarks)],
                              capture_output=True, text=True, timeout=600, check=True)
        peaks[shape] = int(proc.stdout.split()[-1])
    assert peaks["one-paragraph"] < peaks["paragraphs"] + 100, peaks
