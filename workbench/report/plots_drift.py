"""The adversarial-validation figure: the features that tell train from test (drift.json)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from workbench.report import formats as fmt
from workbench.report.style import NEUTRAL, PALETTE, fit_margins, new_figure, styled

TOP = 15


@styled
def drift_figure(
    features: Sequence[Mapping[str, Any]], auc: float, auc_std: float, top: int = TOP
) -> Figure:
    """Horizontal bars of each feature's mean |SHAP| toward "test" on the out-of-fold rows,
    largest on top, with its AUC alone beside the bar where it was computed; the classifier's
    ROC AUC in the title. Features the classifier never used are left out."""
    rows = [r for r in features if (fmt.as_number(r.get("shap")) or 0) > 0][:top]
    n = max(len(rows), 1)
    fig = new_figure(max(2.4, 0.28 * n + 1.4), width=8.4)
    ax = fig.add_subplot()
    y = np.arange(len(rows))
    values = [float(r["shap"]) for r in rows]
    ax.barh(y, values, color=PALETTE[3])
    ax.set_yticks(y, [str(r["feature"]) for r in rows])
    ax.set_ylim(n - 0.4, -0.6)  # most telling on top
    ax.set_xlim(0, max([*values, 1e-9]) * 1.22)  # room for the AUC-alone labels
    ax.grid(axis="y", visible=False)
    for i, row in enumerate(rows):
        alone = fmt.as_number(row.get("alone_auc"))
        if alone is not None:
            ax.text(
                values[i],
                i,
                f"  alone {fmt.score(alone)}",
                va="center",
                fontsize=8.5,
                color=NEUTRAL,
            )
    ax.set(
        xlabel="mean |SHAP| toward 'test' on out-of-fold rows (log-odds)",
        title=f"Train vs test: ROC AUC {fmt.score_pm(auc, auc_std)} (0.5 = alike)",
    )
    fit_margins(fig, ax)
    return fig
