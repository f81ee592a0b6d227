"""The ``toolkit`` command line: load, annotate, evaluate, stance-sheet, run."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from . import paths
from .errors import printable
from .loader import DEFAULT_MAX_BYTES, LoadResult, load_articles


def _add_load_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "paths", nargs="+", metavar="PATH",
        help="article files or folders (.txt .md .html .json .jsonl .csv .docx .pdf, Nexis "
        ".TXT/.DOCX exports), searched recursively",
    )
    p.add_argument("--max-mb", type=_megabytes, default=DEFAULT_MAX_BYTES / 1024 / 1024,
                   help="skip files larger than this many megabytes (default: %(default)g)")
    p.add_argument("--follow-links", action="store_true",
                   help="read symbolic links in a folder that point outside it (default: "
                   "skipped and named)")
    p.add_argument("--text-from", metavar="DIR", default=None,
                   help="folder of saved pages (.html) giving the text of the stories in story "
                   "lists without text (Media Cloud, GDELT CSV exports), matched by URL")


MAX_MB = 1024 * 1024  # 1 TB: past any article file, and within what a read can be asked for


def _megabytes(value: str) -> float:
    """Return ``--max-mb`` as a number of megabytes over 0 and at most 1 TB (argparse type)."""
    try:
        mb = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of megabytes") from None
    if not 0 < mb <= MAX_MB:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(
            f"{value} megabytes: give a size over 0 and at most {MAX_MB} (1 TB)")
    return mb


def _writable_out(out: str | Path) -> Path:
    """Return ``out`` as a Path once it is a folder this process can write into (created when
    missing); raise ToolkitError saying what is wrong, before any work is done."""
    import tempfile

    from .errors import ToolkitError

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ToolkitError(f"{printable(str(out))}: --out is a file, not a folder: give a folder "
                           "(it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):  # nameless on Linux: nothing is left behind
            pass
    except OSError as err:
        raise ToolkitError(f"{printable(str(out))}: cannot write into --out "
                           f"({err.strerror or err}): give a folder you can write to") from None
    return out


def _add_codebook_option(p: argparse.ArgumentParser, extra: str = "") -> None:
    p.add_argument("--codebook", default=paths.DEFAULT_CODEBOOK, metavar="NAME_OR_PATH",
                   help="stance codebook: a name in toolkit/data/codebooks or a TOML path "
                   f"(default: %(default)s{extra})")


def _load(args: argparse.Namespace) -> LoadResult:
    return load_articles(args.paths, max_bytes=int(args.max_mb * 1024 * 1024),
                         follow_links=args.follow_links, text_from=args.text_from)


def cmd_load(args: argparse.Namespace) -> int:
    """Load articles, print a summary, and write articles.csv + paragraphs.csv with --out."""
    from .io import write_csv
    from .tables import articles_frame, paragraphs_frame, removed_frame

    if args.out:
        _writable_out(args.out)
    result = _load(args)
    for article in result:
        print("\t".join(printable(field) for field in (
            article.article_id, article.published or "-", article.outlet or "-", article.title)))
        print(f"\t{len(article.paragraphs)} paragraphs, {article.word_count} words, "
              f"{len(article.removed)} lines removed, contributors: "
              + printable('; '.join(article.contributors) or '-'))
    print(result.summary())
    if args.out and len(result):
        out = Path(args.out)
        write_csv(articles_frame(result), out / "articles.csv")
        write_csv(paragraphs_frame(result), out / "paragraphs.csv")
        write_csv(removed_frame(result), out / "removed.csv")
        print(f"wrote {out / 'articles.csv'}, {out / 'paragraphs.csv'}, {out / 'removed.csv'}")
    return 0 if len(result) else 1


def cmd_annotate(args: argparse.Namespace) -> int:
    """Load and annotate articles; write one table per layer (and the stance table) into --out."""
    from .io import locked_folder

    _writable_out(args.out)  # before the annotation, not after it
    with locked_folder(args.out, command="toolkit annotate"):  # one run per OUT at a time
        return _annotate_into(args)


def _annotate_into(args: argparse.Namespace) -> int:
    from .annotate import annotate

    result = _load(args)
    print(result.summary(), file=sys.stderr)
    if not len(result):
        return 1
    cache_dir = None if args.no_cache else Path(args.out) / ".cache"
    partition = args.engine == "dask" if args.partition_by_article is None \
        else args.partition_by_article
    with contextlib.ExitStack() as stack:
        scheduler = None
        if args.engine == "dask":
            from .engine_dask import cluster_address

            # one cluster for annotating and for writing the Parquet datasets
            scheduler = stack.enter_context(cluster_address(args.scheduler, workers=args.workers))
        corpus = annotate(result, workers=args.workers, progress=not args.quiet,
                          cache_dir=cache_dir, engine=args.engine, scheduler=scheduler)
        if args.codebook:
            from .stance import stance

            # unit embeddings are kept with the annotation cache
            corpus.stance = stance(corpus, args.codebook, cache_dir=cache_dir)
        written = corpus.save(args.out, fmt=args.format, partition_by_article=partition,
                              scheduler=scheduler)
    counts = ", ".join(f"{len(t)} {name}" for name, t in corpus.tables().items()
                       if name not in ("articles", "problems"))
    print(f"annotated {len(corpus.articles)} article(s): {counts}")
    if len(corpus.problems):
        print(f"{len(corpus.problems)} article(s) failed, listed in problems.csv:",
              file=sys.stderr)
        for row in corpus.problems.itertuples():
            print(printable(f"  {row.article_id}: {row.stage}: {row.error}"), file=sys.stderr)
    folders = sum(path.is_dir() for path in written)
    print(f"wrote {len(written) - folders} files"
          + (f" and {folders} Parquet datasets" if folders else "") + f" into {args.out}")
    return 0


def cmd_stance_sheet(args: argparse.Namespace) -> int:
    """Export the units a codebook finds about its target as a sheet for hand coding.

    By default the sheet lists every quote and sentence that names one of the codebook's actors,
    not only those the machine finds about the target, so the agreement you measure counts the
    units it misses too (--frame machine lists only the machine's). --sample N draws N units: at
    random (--seed), or with --strategy uncertain the units the trained model is least sure of
    plus a random 20% from the rest (so each round of coding teaches the model most and still
    checks the units it is sure of). --out sheet.xlsx writes an Excel workbook with a drop-down
    in the label column; a .csv is UTF-8 with a BOM, so Excel keeps accents. Fill the empty
    `human` column (favor, against, neutral, or none for "not about the target"), then
    `toolkit stance-train SHEET --codebook NAME` trains the coder on it, and
    `toolkit evaluate stance --sheet SHEET --articles ARTICLES` reports Cohen's kappa. The
    machine label stays hidden unless --show-machine.
    """
    from .annotate import annotate
    from .stance import stance, stance_sheet
    from .stance.sheets import write_sheet

    result = _load(args)
    print(result.summary(), file=sys.stderr)
    if not len(result):
        return 1
    corpus = annotate(result, progress=not args.quiet)
    sheet = stance_sheet(stance(corpus, args.codebook), corpus, show_machine=args.show_machine,
                         frame=args.frame, codebook=args.codebook, sample=args.sample,
                         seed=args.seed, strategy=args.strategy)
    write_sheet(sheet, args.out)
    print(f"wrote {len(sheet)} units to code into {args.out}")
    return 0


def cmd_stance_train(args: argparse.Namespace) -> int:
    """Train the codebook's stance model from coded sheets and print its grouped
    cross-validated agreement.

    SHEET: sheets written by `toolkit stance-sheet` and coded (.csv or .xlsx), or offsets-only
    sheets like seeds/labels/*.csv with the articles their offsets index (--articles; JSONL
    records are read by `id` with their raw `text`). The report: Cohen's kappa over the four
    labels and for "about the target or not", each with a bootstrap 95% interval over articles,
    per-class precision and recall, a learning curve (kappa when trained on 25/50/75/100% of
    the training articles) and the abstention trade-off, all from 5-fold cross-validation
    grouped by article (no article on both sides). The model is then trained on every unit and
    written beside the codebook (or to --out). Needs scikit-learn (`pip install
    'newsnb-toolkit[train]'`).
    """
    from .paths import BUILD_DIR
    from .stance.codebook import load_codebook
    from .stance.embed import EmbeddingCache
    from .stance.model import model_paths, save_model
    from .stance.train import format_report, read_texts, train

    cb = load_codebook(args.codebook)
    texts = read_texts(args.articles or [])
    cache = EmbeddingCache(None if args.no_cache else BUILD_DIR / "stance_embeddings.npz")
    model, cv = train(args.sheets, codebook=cb, texts=texts, cache=cache, folds=args.folds,
                      seed=args.seed)
    print(format_report(cv))
    out = Path(args.out) if args.out else model_paths(cb.path)[0]
    npz, meta = save_model(model, out)
    print(f"confidence threshold {model.threshold:.2f} (the lowest whose cross-validated kappa "
          f"on the units it codes reaches 0.667); wrote {npz} and {meta}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Score a layer against gold data and print precision, recall and F1 (JSON with --json)."""
    import json

    if args.layer == "agreement":
        return _agreement(args)
    if args.layer == "entities":
        from .evaluate.entities import evaluate_entities

        scores = evaluate_entities(args.conll, progress=not args.json)
    elif args.layer == "stance":
        scores = _stance_scores(args)
    else:
        from .evaluate.quotes import evaluate_quotes

        kinds = ("direct", "partial") if args.partial else ("direct",)
        scores = evaluate_quotes(args.gold, kinds=kinds, progress=not args.json,
                                 baseline=not args.no_baseline)
    if args.json:
        print(json.dumps(scores, indent=2, sort_keys=True))
    else:
        print(format_scores(scores))
    return 0


def _agreement(args: argparse.Namespace) -> int:
    """Print agreement between coders' sheets and write the disagreements with --out."""
    import json

    from .stance.agreement import coder_agreement

    r = coder_agreement(args.sheets, seed=args.seed)
    if args.json:
        print(json.dumps({k: v for k, v in r.items() if k != "disagreements"}
                         | {"disagreements": r["disagreements"].to_dict("records")},
                         indent=2, sort_keys=True))
    else:
        print(f"{len(r['coders'])} coders, {r['n_units']} units coded by two or more")
        a = r["krippendorff_alpha"]
        print(f"  Krippendorff's alpha (nominal)  {a['alpha']:.3f}  95% CI "
              f"{a['ci95'][0]:.3f}-{a['ci95'][1]:.3f}  (n={a['n']})")
        for pair, k in r["cohen_kappa"].items():
            print(f"  Cohen's kappa {pair}  {k['kappa']:.3f}  95% CI "
                  f"{k['ci95'][0]:.3f}-{k['ci95'][1]:.3f}  (n={k['n']})")
        print(f"  {len(r['disagreements'])} disagreements"
              + (f", written to {args.out}" if args.out else ""))
        if not args.out:
            for row in r["disagreements"].to_dict("records"):
                labels = ", ".join(f"{c}: {row[c] or '-'}" for c in r["coders"])
                print(f"    {row['unit_key']}  {labels}  {str(row['text'])[:70]}")
    if args.out:
        from .stance.sheets import write_sheet

        write_sheet(r["disagreements"].assign(human=""), args.out)
    return 0


def _stance_scores(args: argparse.Namespace) -> dict:
    """Return stance agreement: on a user's coded sheet, or on the project's hand-coded labels."""
    from .stance import evaluate_stance, stance, stance_agreement

    if args.sheet:
        stance_df = None
        if args.articles:
            from .annotate import annotate

            corpus = annotate(load_articles(args.articles), progress=False)
            stance_df = stance(corpus, args.codebook)
        results = {"sheet": stance_agreement(args.sheet, stance_df=stance_df)}
    else:
        results = evaluate_stance(codebook=args.codebook)
    return {
        name: {k: (v.to_dict() if hasattr(v, "to_dict") else v) for k, v in r.items()
               if k != "per_class"} | {"per_class": r.get("per_class", {})}
        for name, r in results.items()
    }


def cmd_polnear_to_gold(args: argparse.Namespace) -> int:
    """Write the PolNeAR file as gold JSONL (atomically)."""
    import json

    from .evaluate.polnear import convert_polnear
    from .io import write_atomic

    records = list(convert_polnear(args.polnear))
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    write_atomic(args.out, lambda fh: fh.write(data))
    print(f"wrote {len(records)} gold articles to {args.out}")
    return 0


def format_scores(scores: dict) -> str:
    """Return the scores of ``evaluate`` as an aligned text table, one system per block."""
    lines = []
    for system, by_type in scores.items():
        lines.append(system)
        if all(isinstance(v, dict) for v in by_type.values()):
            for name, metrics in by_type.items():
                cells = "  ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                  for k, v in metrics.items())
                lines.append(f"  {name:<10} {cells}")
        else:
            for k, v in by_type.items():
                lines.append(f"  {k:<18} {v:.3f}" if isinstance(v, float) else f"  {k:<18} {v}")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: load and annotate the articles (default: seeds/), execute every notebook on
    them, export the figures, and write the executed notebooks and an HTML report."""
    from .io import locked_folder
    from .run import run

    # a ToolkitError is reported by main() as "toolkit run: ..." with exit status 1
    with locked_folder(_writable_out(args.out), command="toolkit run"):
        result = run(args.articles, out_dir=args.out, figures_dir=args.figures,
                     codebook=args.codebook, workers=args.workers)
    print(f"done: {len(result.tables)} tables, {len(result.notebooks)} notebooks, "
          f"{len(result.figures)} figure files; report: {result.report}")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """Create a new research folder: the curated notebooks, the seed article, an empty
    figures/ and a how-to. Then `cd DIR && toolkit run`."""
    from .project import init_project

    made = init_project(args.folder)
    print(f"made {made}: notebooks/, seeds/, figures/, README.md\n"
          f"next: cd {printable(str(made))} && toolkit run")
    return 0


def cmd_notebooks(args: argparse.Namespace) -> int:
    """Re-execute the curated notebooks in place, so their stored outputs are current (for
    maintainers: the test suite compares these outputs with a fresh run)."""
    from .run import refresh_notebooks

    for nb in refresh_notebooks():  # a ToolkitError is reported by main()
        print(f"executed {nb}")
    return 0


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

    p = sub.add_parser("annotate", help="annotate articles and write one table per layer",
                       description=cmd_annotate.__doc__)
    _add_load_options(p)
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the tables")
    p.add_argument("--format", choices=["csv", "parquet", "both"], default="csv",
                   help="table file format (default: %(default)s)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="spaCy processes (default: %(default)s)")
    p.add_argument("--engine", choices=["local", "dask"], default="local",
                   help="local processes, or a dask.distributed cluster (default: %(default)s)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --engine dask: the scheduler, e.g. tcp://10.0.0.5:8786 (default: "
                   "a local cluster of --workers processes)")
    p.add_argument("--partition-by-article", action=argparse.BooleanOptionalAction,
                   default=None,
                   help="write Parquet tables as folders OUT/TABLE/article=NAME/part-0.parquet "
                   "instead of one OUT/TABLE.parquet each (default: on with --engine dask, "
                   "off with --engine local; CSV is always one file per table)")
    p.add_argument("--no-cache", action="store_true",
                   help="annotate every article again (default: reuse OUT/.cache, annotating "
                   "only new or changed articles)")
    _add_codebook_option(p, "; '' for no stance table")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_annotate)

    p = sub.add_parser("stance-sheet",
                       help="export units about a codebook's target for hand coding",
                       description=cmd_stance_sheet.__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_load_options(p)
    p.add_argument("--out", required=True, metavar="FILE",
                   help="the sheet to write: .xlsx (Excel, with a label drop-down) or .csv")
    _add_codebook_option(p)
    p.add_argument("--show-machine", action="store_true",
                   help="fill the machine column (hidden by default, so coders are not biased)")
    p.add_argument("--frame", choices=["actor", "machine"], default="actor",
                   help="actor (default): every unit naming one of the codebook's actors; "
                   "machine: only the units the machine finds about the target")
    p.add_argument("--sample", type=int, metavar="N", help="draw N units (see --strategy)")
    p.add_argument("--strategy", choices=["random", "uncertain"], default="random",
                   help="random (default), or uncertain: the units the trained model is least "
                   "sure of, plus 20%% at random from the rest")
    p.add_argument("--seed", type=int, default=0, help="random seed for --sample (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_stance_sheet)

    p = sub.add_parser("stance-train",
                       help="train a codebook's stance model from coded sheets (grouped CV)",
                       description=cmd_stance_train.__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sheets", nargs="+", metavar="SHEET", help="coded sheets (.csv or .xlsx)")
    _add_codebook_option(p)
    p.add_argument("--articles", nargs="+", metavar="PATH",
                   help="the articles an offsets-only sheet indexes (JSONL: raw text by id)")
    p.add_argument("--out", metavar="MODEL",
                   help="the model file to write (default: NAME.model.npz beside the codebook, "
                   "with NAME.model.json)")
    p.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--seed", type=int, default=0, help="seed of the folds (default 0)")
    p.add_argument("--no-cache", action="store_true",
                   help="do not keep unit embeddings in build/stance_embeddings.npz")
    p.set_defaults(func=cmd_stance_train)

    p = sub.add_parser("evaluate", help="score a layer against gold data",
                       description=cmd_evaluate.__doc__)
    ev = p.add_subparsers(dest="layer", required=True, metavar="LAYER")
    q = ev.add_parser("entities", help="PER/LOC/ORG mentions against a CoNLL-2003 file",
                      description="Score person/location/organisation mentions against a "
                      "CoNLL-2003 IOB file: the toolkit's layer beside the raw spaCy model.")
    q.add_argument("--conll", required=True, metavar="FILE", help="CoNLL-2003 file (IOB1 or IOB2)")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=cmd_evaluate)
    q = ev.add_parser("quotes", help="direct quotes and speakers against a JSONL gold file",
                      description="Score quote extraction and speaker attribution against a "
                      "JSONL gold file (see the README for the format): the toolkit beside "
                      "textacy's direct_quotations.")
    q.add_argument("--gold", required=True, metavar="FILE",
                   help="gold JSONL file (the toolkit's format, or a PolNeAR file as it is)")
    q.add_argument("--partial", action="store_true",
                   help="score partial quotes too (for gold sets that label quoted fragments)")
    q.add_argument("--no-baseline", action="store_true",
                   help="skip textacy's baseline (it parses every article a second time)")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=cmd_evaluate)
    q = ev.add_parser("stance", help="agreement (Cohen's kappa) of stance coding with hand coding",
                      description="Agreement of the stance coder with hand-coded labels: by "
                      "default the project's labels in seeds/labels/ (the seed article, and the "
                      "tuning and scoring halves of the 29-article set when ../shared is "
                      "present); with --sheet, a sheet you coded from `toolkit stance-sheet`.")
    q.add_argument("--sheet", metavar="FILE", help="a coded sheet (columns machine, human)")
    q.add_argument("--articles", nargs="+", metavar="PATH",
                   help="the sheet's articles, to fill a hidden machine column")
    _add_codebook_option(q)
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=cmd_evaluate)
    q = ev.add_parser("agreement", help="agreement between coders' sheets (kappa, alpha)",
                      description="Agreement between two or more coders who coded the same "
                      "units (sheets from `toolkit stance-sheet`, .csv or .xlsx, matched by "
                      "unit_key, or by article_id, start and end): Cohen's kappa for each pair "
                      "and Krippendorff's alpha (nominal; blank labels are missing), each with "
                      "a bootstrap 95% interval over units, and the disagreements to "
                      "adjudicate.")
    q.add_argument("sheets", nargs="+", metavar="SHEET", help="two or more coded sheets")
    q.add_argument("--out", metavar="FILE",
                   help="write the disagreements as a sheet (.csv or .xlsx) to adjudicate")
    q.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(func=cmd_evaluate)
    q = ev.add_parser("polnear-to-gold", help="convert a PolNeAR file into the gold JSONL format",
                      description="Convert a PolNeAR attribution file (records with "
                      "`attributions`) into the toolkit's quote gold format, one article a line.")
    q.add_argument("polnear", metavar="FILE", help="PolNeAR JSONL file")
    q.add_argument("--out", required=True, metavar="FILE", help="gold JSONL to write")
    q.set_defaults(func=cmd_polnear_to_gold)

    p = sub.add_parser("run", help="the main job: annotate, execute the notebooks, export figures",
                       description=cmd_run.__doc__)
    p.add_argument("--articles", nargs="+", metavar="PATH",
                   help=f"article files or folders (default: {paths.SEEDS_DIR}, and figures/ "
                   "is refreshed)")
    p.add_argument("--out", default=str(paths.BUILD_DIR / "run"), metavar="DIR",
                   help="folder for tables, executed notebooks and the report "
                   "(default: %(default)s)")
    p.add_argument("--figures", metavar="DIR",
                   help="folder for the figures "
                   "(default: figures/ for the seeds, else OUT/figures)")
    _add_codebook_option(p)
    p.add_argument("--workers", type=int, default=1, metavar="N", help="spaCy processes")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("init", help="make a new research folder with the notebooks and seeds",
                       description=cmd_init.__doc__)
    p.add_argument("folder", metavar="DIR", help="the folder to create (new or empty)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("notebooks", help="re-execute the curated notebooks in place (maintainers)",
                       description=cmd_notebooks.__doc__)
    p.set_defaults(func=cmd_notebooks)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from .errors import ToolkitError

    try:
        if getattr(args, "codebook", ""):
            # a bad codebook is reported before any article is read, not after the annotation
            from .stance import load_codebook

            load_codebook(args.codebook)
        return args.func(args)
    except ToolkitError as err:  # the toolkit's own errors name the file and the fix
        print(f"toolkit {args.command}: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # an output folder removed, replaced or made read-only mid-run
        where = f"{printable(str(err.filename))}: " if err.filename else ""
        print(f"toolkit {args.command}: {where}{err.strerror or err}: check that the output "
              "folder still exists and can be written, then run again", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; outputs already written are complete, nothing half-written remains",
              file=sys.stderr)
        return 130
