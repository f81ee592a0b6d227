"""Tests for the figures helper and the house-style charts (synthetic data; nothing in figures/)."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from toolkit import plot  # noqa: E402

NAMES = [f"Person number {i} with a rather long descriptive name" for i in range(29)]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def counts(n: int) -> pd.DataFrame:
    return pd.DataFrame({"name": NAMES[:n], "n": [(7 * i) % 23 + 1 for i in range(n)]})


def stances(n: int) -> pd.DataFrame:
    rows = [(NAMES[i], c, (i + k) % 4) for i in range(n) for k, c in
            enumerate(["favor", "neutral", "against"])]
    return pd.DataFrame(rows, columns=["speaker", "stance", "n"])


def matrix(n: int) -> pd.DataFrame:
    names = [f"Country {i}" for i in range(n)]
    m = pd.DataFrame([[(i * j + i + j) % 29 for j in range(n)] for i in range(n)],
                     index=names, columns=names)
    m.index.name = "country"
    return m


def reference() -> pd.DataFrame:
    return pd.DataFrame({"pair": "China–Russia", "year": [2020, 2021, 2022, 2023],
                         "value_usd_bn": [107.76, 146.887, 190.271, 240.11],
                         "conflict": [True, True, False, False],
                         "lower_bound": [False] * 4})


def claims(n: int) -> pd.DataFrame:
    return pd.DataFrame({"year": [2020 + i % 4 for i in range(n)],
                         "claimed_usd_bn": [100.0 + 10 * (i % 7) for i in range(n)],
                         "text": [f"${100 + 10 * (i % 7)} billion" for i in range(n)]})


def all_charts(n: int):
    yield plot.bar_counts(counts(n), label="name", value="n", title="Who is mentioned",
                          xlabel="Mentions (count)", source="synthetic")
    yield plot.stacked_shares(stances(n), group="speaker", category="stance", value="n",
                              title="Stance by speaker", source="synthetic")
    yield plot.trade_chart(reference(), claims(n), title="Trade", source="synthetic")
    yield plot.heatmap(matrix(n), title="Co-occurrence", source="synthetic")


def files_bytes(paths: dict[str, Path]) -> dict[str, bytes]:
    return {k: p.read_bytes() for k, p in paths.items()}


# ---------------------------------------------------------------- save_figure


def test_save_writes_three_files_with_expected_names(tmp_path):
    fig, data = plot.bar_counts(counts(3), label="name", value="n", title="t", xlabel="x",
                                source="s")
    out = plot.save_figure(fig, data, "01-people", out_dir=tmp_path)
    assert {p.name for p in out.values()} == {"01-people.png", "01-people.svg", "01-people.csv"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in out.values())
    assert out["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in out["svg"].read_bytes()[:600]


def test_png_is_300_dpi(tmp_path):
    fig, data = plot.bar_counts(counts(3), label="name", value="n", title="t", xlabel="x",
                                source="s")
    png = plot.save_figure(fig, data, "01-dpi", out_dir=tmp_path)["png"]
    from PIL import Image

    with Image.open(png) as im:
        assert round(im.info["dpi"][0]) == 300
        assert im.size[0] == round(plot.REPORT_WIDTH_IN * 300)


@pytest.mark.parametrize("n", [1, 29])
def test_save_is_byte_identical_twice(tmp_path, n):
    for i, (fig, data) in enumerate(all_charts(n)):
        a = files_bytes(plot.save_figure(fig, data, f"0{i}-chart", out_dir=tmp_path / "a"))
        b = files_bytes(plot.save_figure(fig, data, f"0{i}-chart", out_dir=tmp_path / "b"))
        assert a == b
    # a fresh figure from the same inputs gives the same bytes too (no ids, dates, counters)
    fig, data = next(all_charts(n))
    c = files_bytes(plot.save_figure(fig, data, "00-chart", out_dir=tmp_path / "c"))
    assert c == files_bytes({k: tmp_path / "a" / f"00-chart.{k}" for k in c})


def test_svg_and_png_carry_no_timestamp_or_software(tmp_path):
    fig, data = next(all_charts(3))
    out = plot.save_figure(fig, data, "01-meta", out_dir=tmp_path)
    svg = out["svg"].read_text(encoding="utf-8")
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert b"Software" not in out["png"].read_bytes()


def test_csv_equals_plotted_data(tmp_path):
    for i, (fig, data) in enumerate(all_charts(5)):
        csv = plot.save_figure(fig, data, f"0{i}-csv", out_dir=tmp_path)["csv"]
        raw = csv.read_bytes()
        assert b"\r\n" not in raw
        back = pd.read_csv(io.BytesIO(raw), keep_default_na=False)
        assert list(back.columns) == [str(c) for c in data.columns]
        assert len(back) == len(data)
        for col in data.columns:
            left = data[col].reset_index(drop=True)
            right = back[str(col)]
            if pd.api.types.is_numeric_dtype(left) and not pd.api.types.is_bool_dtype(left):
                # an empty cell (a blank heatmap diagonal) is written as an empty field
                right = pd.to_numeric(right.replace("", float("nan")))
                assert right.round(6).fillna(-1).tolist() == \
                    left.astype(float).round(6).fillna(-1).tolist()
            else:
                assert right.astype(str).tolist() == left.astype(str).tolist()


def test_csv_float_format_is_fixed():
    data = pd.DataFrame({"x": [1.0, 0.1 + 0.2, 190.271, 2 / 3], "y": ["a", "b", "c", "d"]})
    assert plot.export._csv_text(data) == "x,y\n1,a\n0.3,b\n190.271,c\n0.666667,d\n"


@pytest.mark.parametrize("bad", ["china-russia", "3-trade", "03_trade", "03-Trade", "03-trade.png",
                                 "03-", "03-trade chart", ""])
def test_bad_name_is_rejected_with_a_teaching_error(tmp_path, bad):
    fig, data = next(all_charts(2))
    with pytest.raises(plot.FigureNameError, match="must look like 'NN-slug'"):
        plot.save_figure(fig, data, bad, out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_failure_mid_write_keeps_previous_files_and_leaves_no_temp(tmp_path, monkeypatch):
    fig, data = next(all_charts(3))
    before = files_bytes(plot.save_figure(fig, data, "03-trade", out_dir=tmp_path))

    fig2, data2 = next(all_charts(6))  # different content
    real = plot.export._write_one

    def failing(fig, data, ext, fh):
        if ext == "svg":  # the second of the three files
            fh.write(b"partial")
            raise OSError("disk full")
        real(fig, data, ext, fh)

    monkeypatch.setattr(plot.export, "_write_one", failing)
    with pytest.raises(OSError, match="disk full"):
        plot.save_figure(fig2, data2, "03-trade", out_dir=tmp_path)
    after = {k: (tmp_path / f"03-trade.{k}").read_bytes() for k in before}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["03-trade.csv", "03-trade.png",
                                                          "03-trade.svg"]


def test_save_creates_out_dir(tmp_path):
    fig, data = next(all_charts(1))
    out = plot.save_figure(fig, data, "01-x", out_dir=tmp_path / "new" / "figs")
    assert out["png"].exists()


# ---------------------------------------------------------------- charts


@pytest.mark.parametrize("n", [1, 29])
def test_charts_render_without_overlap_warnings(n, recwarn):
    for fig, data in all_charts(n):
        fig.canvas.draw()
        assert len(data) > 0
    assert not [w for w in recwarn if "layout" in str(w.message).lower()]


def test_style_is_applied_not_leaked():
    before = dict(matplotlib.rcParams)
    fig, _ = next(all_charts(3))
    ax = fig.axes[0]
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert fig.get_size_inches()[0] == pytest.approx(6.5)
    assert ax.yaxis.get_ticklabels()[0].get_fontfamily() == ["DejaVu Sans"]
    assert dict(matplotlib.rcParams) == before


def test_bar_counts_sorts_cuts_and_labels():
    df = pd.DataFrame({"name": list("abcdefgh") + ["a"], "n": [1, 5, 3, 5, 2, 9, 1, 1, 4]})
    fig, data = plot.bar_counts(df, label="name", value="n", title="Ranked", xlabel="Mentions",
                                source="syn", top=4)
    assert data["name"].tolist() == ["f", "a", "b", "d"]  # a = 1 + 4 summed; ties by name
    assert data["n"].tolist() == [9, 5, 5, 5]
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["f", "a", "b", "d"]
    assert "Top 4 of 8 shown" in ax.get_title(loc="left")
    assert [t.get_text() for t in ax.texts] == ["9", "5", "5", "5"]  # value labels


def test_long_labels_are_truncated_with_ellipsis():
    fig, _ = plot.bar_counts(counts(3), label="name", value="n", title="t", xlabel="x",
                             source="s")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert all(len(x) <= 40 and x.endswith("…") for x in labels)


def test_title_and_source_line():
    fig, _ = plot.bar_counts(counts(2), label="name", value="n", title="A finding " * 20,
                             xlabel="x", source="Washington Post, 27 Feb 2023")
    assert fig.get_suptitle().count("\n") <= 2 and fig.get_suptitle().startswith("A finding")
    assert fig.get_supxlabel() == "Source: Washington Post, 27 Feb 2023"


def test_stacked_shares_fixed_colours_and_shares():
    df = pd.DataFrame({"outlet": ["CNN", "CNN", "CNN", "WaPo"],
                       "stance": ["favor", "against", "against", "neutral"], "n": [1, 2, 1, 4]})
    fig, data = plot.stacked_shares(df, group="outlet", category="stance", value="n",
                                    title="t", source="s")
    cnn = data[data["outlet"] == "CNN"].set_index("stance")["share_pct"]
    assert cnn["favor"] == pytest.approx(25.0) and cnn["against"] == pytest.approx(75.0)
    assert data.groupby("outlet")["share_pct"].sum().round(6).tolist() == [100.0, 100.0]
    legend = {t.get_text(): h.get_facecolor() for t, h in
              zip(fig.axes[0].get_legend().get_texts(), fig.axes[0].get_legend().legend_handles,
                  strict=True)}
    assert matplotlib.colors.to_hex(legend["favor"]) == plot.STANCE_COLOURS["favor"].lower()
    assert matplotlib.colors.to_hex(legend["against"]) == plot.STANCE_COLOURS["against"].lower()
    assert list(legend) == ["favor", "neutral", "against"]


def test_trade_chart_points_and_labels():
    cl = pd.DataFrame({"year": [2022, 2022, None], "claimed_usd_bn": [190.0, 190.0, 5.0],
                       "text": ["$190 billion", "$190 billion", "$5 billion"]})
    fig, data = plot.trade_chart(reference(), cl, title="t", source="s")
    ref = data[data["series"] == "reference"]
    claim = data[data["series"] == "claim"]
    assert ref["year"].tolist() == [2020, 2021, 2022, 2023]
    assert claim[["year", "value_usd_bn", "count"]].values.tolist() == [[2022, 190.0, 2]]
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Goods trade, US$ billion"
    assert any(t.get_text() == "$190 billion (×2)" for t in ax.texts)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Sources disagree (value chosen by rule)" in labels


def test_trade_chart_without_claims_and_gaps():
    ref = reference().drop(index=1)  # 2021 missing: the line must break, not bridge
    fig, data = plot.trade_chart(ref, None, title="t", source="s")
    line = fig.axes[0].lines[0]
    ys = list(line.get_ydata())
    assert len(ys) == 4 and pd.isna(ys[1])
    assert set(data["series"]) == {"reference"}


def test_heatmap_cuts_to_top_and_annotates():
    fig, data = plot.heatmap(matrix(29), title="t", source="s", top=12)
    assert data.shape == (12, 13) and data.columns[0] == "country"
    ax = fig.axes[0]
    assert len([t for t in ax.texts]) == 144 - 12  # the diagonal is blank
    assert "12 most frequent of 29 shown" in ax.get_title(loc="left")


def test_empty_inputs_draw_a_placeholder():
    empty = counts(0)
    fig, data = plot.bar_counts(empty, label="name", value="n", title="t", xlabel="x", source="s")
    assert data.empty and "No data to plot" in [t.get_text() for t in fig.axes[0].texts]
    fig, data = plot.stacked_shares(stances(0), group="speaker", category="stance", value="n",
                                    title="t", source="s")
    assert data.empty


def test_dollar_signs_in_titles_are_money_not_mathtext(tmp_path):
    from matplotlib.text import Text

    df = pd.DataFrame({"name": ["a"], "n": [1]})
    fig, _ = plot.bar_counts(df, label="name", value="n", title="$8.9bn vs $6.8bn", xlabel="x",
                             source="s")
    fig.canvas.draw()  # raises or renders italics if the title were parsed as TeX
    titles = [t for t in fig.findobj(Text) if t.get_text() == "$8.9bn vs $6.8bn"]
    assert titles and not any(t._parse_math for t in titles)
    plot.close(fig)


def test_heatmap_leaves_the_diagonal_out_of_the_cells_and_the_colour_scale():
    m = pd.DataFrame([[32, 17, 6], [17, 19, 5], [6, 5, 8]], index=list("ABC"), columns=list("ABC"))
    fig, data = plot.heatmap(m, title="t", source="s")
    assert data.set_index("row").isna().to_numpy().tolist() == [
        [True, False, False], [False, True, False], [False, False, True]]
    assert fig.axes[0].images[0].get_clim() == (0.0, 17.0)  # off-diagonal maximum
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["17", "17", "5", "5", "6", "6"]
    assert fig.get_size_inches()[0] == plot.REPORT_WIDTH_IN
    # the grid spans the figure's width beside its labels, not a square in one half of it
    fig.canvas.draw()
    box = fig.axes[0].get_position()
    assert box.width > 0.55, box
    _, data = plot.heatmap(m, title="t", source="s", diagonal=True)
    assert data.set_index("row").loc["A", "A"] == 32


def test_a_short_parenthesis_in_a_title_is_never_broken():
    from toolkit.plot.theme import _wrap

    title = "China and Russia are named together most often in the articles (17 sentences)"
    for width in range(30, 80):
        lines = _wrap(title, width, 3).split("\n")
        assert all(line.count("(") == line.count(")") for line in lines), lines


def partner_reference() -> pd.DataFrame:
    return pd.DataFrame({"pair": "China–Belarus", "year": [2016, 2017, 2018, 2019],
                         "value_usd_bn": [2.9, 3.11, 1.72, 2.714],
                         "conflict": False, "lower_bound": False,
                         "reporter": ["Belarus", "Belarus", "China", "China"],
                         "source_kind": ["official", "official-statement", "official",
                                         "official"]})


def finite_years(line) -> list[int]:
    return [int(x) for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
            if not pd.isna(y)]


def test_trade_chart_never_joins_years_of_different_reporters():
    fig, data = plot.trade_chart(partner_reference(), None, title="t", source="s")
    lines = fig.axes[0].lines
    runs = sorted(finite_years(line) for line in lines)
    assert runs == [[2016, 2017], [2018, 2019]]  # the 2017->2018 switch is not a line
    for line in lines:
        ys = list(line.get_ydata())
        assert len(ys) == 4 and sum(pd.isna(y) for y in ys) == 2  # NaN in the other side's years
    styles = {tuple(finite_years(line)): line.get_linestyle() for line in lines}
    assert styles[(2018, 2019)] == "-" and styles[(2016, 2017)] != "-"  # partner's dashed
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "Partner's statistics (no line to China's)" in labels
    assert data.loc[data["series"] == "reference", "reporter"].tolist() == [
        "Belarus", "Belarus", "China", "China"]


def test_trade_chart_names_years_that_are_not_official_statistics():
    fig, _ = plot.trade_chart(partner_reference(), None, title="t", source="s")
    assert fig.axes[0].get_title(loc="left") == (
        "Not official statistics: official's statement 2017")
    fig, _ = plot.trade_chart(reference(), None, title="t", source="s")  # no source_kind column
    assert fig.axes[0].get_title(loc="left") == ""


def test_trade_chart_claim_does_not_hide_the_reference_point():
    cl = pd.DataFrame({"year": [2022], "claimed_usd_bn": [190.0], "text": ["$190 billion"]})
    fig, _ = plot.trade_chart(reference(), cl, title="t", source="s")
    ax = fig.axes[0]
    claim = [c for c in ax.collections if len(c.get_offsets()) and
             list(c.get_offsets()[0]) == [2022.0, 190.0]]
    dots = [c for c in ax.collections if any(list(p) == [2022.0, 190.271]
                                             for p in c.get_offsets())]
    assert len(claim) == 1 and len(dots) == 1
    assert claim[0].get_facecolor().shape[0] == 0 or claim[0].get_facecolor()[0][3] == 0  # hollow
    assert claim[0].get_sizes()[0] > 2 * dots[0].get_sizes()[0]  # around the dot, not on it


@pytest.mark.parametrize(
    ("source", "line"),
    [("Reference: China Customs", "Reference: China Customs"),
     ("Source: CNN; reference: China Customs", "Source: CNN; reference: China Customs"),
     ("CNN, 2022", "Source: CNN, 2022"),
     ("Sources: CNN and AP", "Sources: CNN and AP")],
)
def test_source_line_is_labelled_once(source, line):
    fig, _ = plot.trade_chart(reference(), None, title="t", source=source)
    assert fig.get_supxlabel() == line
    assert "Source: Reference" not in fig.get_supxlabel()
