"""A result over a few training seeds: mean ± std beside the interquartile mean (IQM) with a bootstrap interval.

With 3-10 seeds a mean is pulled by one failed or one lucky run, and a standard deviation hides how wide the
uncertainty about the mean is. Agarwal et al. (2021, "Deep RL at the edge of the statistical precipice", the rliable
library) recommend the IQM, the mean of the middle half of the runs, with a 95 % stratified-bootstrap confidence
interval. Both come from SciPy here, as rliable computes them: ``scipy.stats.trim_mean(x, 0.25)`` is rliable's
IQM, and with one task per report a stratified bootstrap is the plain percentile bootstrap over the runs
(``scipy.stats.bootstrap(method="percentile")``, rliable's default); rliable itself adds nothing a single task uses.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
RESAMPLES = 10_000


def iqm(values) -> float:
    """The interquartile mean: the mean of the values left when the lowest and highest quarter are cut (with 5
    values, the middle 3; with 4, the middle 2)."""
    return float(stats.trim_mean(np.asarray(values, dtype=float), 0.25))


def summary(values, confidence: float = CONFIDENCE, resamples: int = RESAMPLES, seed: int = 0) -> dict:
    """``n``, ``mean``, ``std`` (population, as SB3 reports episode returns), ``iqm`` and its percentile-bootstrap
    interval ``iqm_low``/``iqm_high`` over resampled runs (NaN from fewer than 2 runs, or when all are equal the
    interval is that value)."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError(f"expected a non-empty list of per-seed values, got shape {x.shape}")
    low = high = math.nan
    if len(x) >= 2 and np.ptp(x) == 0:
        low = high = float(x[0])
    elif len(x) >= 2:
        result = stats.bootstrap((x,), lambda a, axis: stats.trim_mean(a, 0.25, axis=axis), n_resamples=resamples,
                                 confidence_level=confidence, method="percentile", rng=seed)
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    return {"n": len(x), "mean": float(x.mean()), "std": float(x.std()), "iqm": iqm(x), "iqm_low": low,
            "iqm_high": high, "confidence": confidence}


def describe(s: dict, unit: str = "", digits: int = 1) -> str:
    """One line: ``IQM 16.0 m [95 % CI 1.0, 19.7], mean 11.4 ± 8.9 m over 5 seeds``."""
    f = f"{{:.{digits}f}}"
    interval = "no interval from one seed" if math.isnan(s["iqm_low"]) else \
        f"{s['confidence']:.0%} CI {f.format(s['iqm_low'])}, {f.format(s['iqm_high'])}".replace("%", " %")
    return (f"IQM {f.format(s['iqm'])}{unit} [{interval}], mean {f.format(s['mean'])} ± {f.format(s['std'])}{unit} "
            f"over {s['n']} seed{'s' if s['n'] != 1 else ''}")
