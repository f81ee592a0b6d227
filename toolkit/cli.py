"""The ``toolkit`` command line: load, annotate, evaluate, stance-sheet, run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import paths
from .loader import DEFAULT_MAX_BYTES, LoadResult, load_articles


def _add_load_options(p: argparse.ArgumentParser, *, default_seeds: bool = False) -> None:
    p.add_argument(
        "paths", nargs="*" if default_seeds else "+", metavar="PATH",
        help="article files or folders (.txt .md .html .json .jsonl .csv), searched recursively"
        + (f"; default: {paths.SEEDS_DIR}" if default_seeds else ""),
    )
    p.add_argument("--max-mb", type=float, default=DEFAULT_MAX_BYTES / 1024 / 1024,
                   help="skip files larger than this many megabytes (default: %(default)g)")


def _load(args: argparse.Namespace) -> LoadResult:
    sources = args.paths or [paths.SEEDS_DIR]
    result = load_articles(sources, max_bytes=int(args.max_mb * 1024 * 1024))
    return result


def cmd_load(args: argparse.Namespace) -> int:
    """Load articles, print a summary, and write articles.csv + paragraphs.csv with --out."""
    from .io import write_csv
    from .tables import articles_frame, paragraphs_frame, removed_frame

    result = _load(args)
    for article in result:
        print(f"{article.article_id}\t{article.published or '-'}\t{article.outlet or '-'}\t"
              f"{article.title}")
        print(f"\t{len(article.paragraphs)} paragraphs, {article.word_count} words, "
              f"{len(article.removed)} lines removed, contributors: "
              f"{'; '.join(article.contributors) or '-'}")
    print(result.summary())
    if args.out and len(result):
        out = Path(args.out)
        write_csv(articles_frame(result), out / "articles.csv")
        write_csv(paragraphs_frame(result), out / "paragraphs.csv")
        write_csv(removed_frame(result), out / "removed.csv")
        print(f"wrote {out / 'articles.csv'}, {out / 'paragraphs.csv'}, {out / 'removed.csv'}")
    return 0 if len(result) else 1


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: load the articles (default: seeds/) and report what was loaded."""
    args.out = None
    return cmd_load(args)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="toolkit",
        description="Load, annotate and analyse news articles: entities, quotes, stance, money.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("load", help="read articles and report what was loaded and removed",
                       description=cmd_load.__doc__)
    _add_load_options(p)
    p.add_argument("--out", metavar="DIR",
                   help="write articles.csv, paragraphs.csv and removed.csv into DIR")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("run", help="the main job on seeds/ or on the articles given",
                       description=cmd_run.__doc__)
    _add_load_options(p, default_seeds=True)
    p.set_defaults(func=cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted; outputs already written are complete, nothing half-written remains",
              file=sys.stderr)
        return 130
