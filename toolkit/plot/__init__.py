"""Charts in the house style, and the one helper that writes figures (PNG, SVG, CSV of the data).

Every chart function returns ``(fig, plotted_data)``: the matplotlib figure and a DataFrame holding
exactly the numbers drawn, which :func:`save_figure` writes beside the images as
``NN-slug.csv``. This module is the only code that writes into ``figures/``.

The style is applied inside each chart function (:func:`style`), never at import time, so importing
the toolkit leaves a notebook's own matplotlib settings alone.
"""

from .charts import bar_counts, heatmap, stacked_shares
from .export import FigureNameError, close, save_figure, show
from .over_time import claims_by_article, period_bars, share_over_time
from .series import trade_chart
from .theme import PALETTE, REPORT_WIDTH_IN, STANCE_COLOURS, style

__all__ = [
    "PALETTE",
    "REPORT_WIDTH_IN",
    "STANCE_COLOURS",
    "FigureNameError",
    "bar_counts",
    "claims_by_article",
    "close",
    "heatmap",
    "period_bars",
    "save_figure",
    "share_over_time",
    "show",
    "stacked_shares",
    "style",
    "trade_chart",
]
