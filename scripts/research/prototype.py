"""The logit of `crates/ml` re-made in scikit-learn, to try feature ideas fast.

Reads the sidecar's feature table (`matchday features` writes
`<data-dir>/work/match_features.parquet` and `matches.parquet`) and scores a
column set by expanding-window CV by season, as `crates/ml/src/cv.rs` does:
each fold is one season, trained on every earlier match after the first
year of data. The model is the champion's: NaN filled with the training
mean, the sizes of six strength differences appended
(`models::balance`), standardised, multinomial logistic regression with
`l2 = 0.0175` (sklearn's `C = 1 / (l2 · n)`). On the CV folds
2017-18 … 2020-21 it scores log-loss 1.01358 against the sidecar's 1.01353.

Experiments compare two column sets match by match: the mean paired
difference ± its standard error (`compare`).
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA_DIR = pathlib.Path(os.environ.get("MATCHDAY_DATA", REPO / "data"))
SHARED = pathlib.Path(os.environ.get("MATCHDAY_SHARED", REPO.parent / "shared" / "data"))

BALANCE = ["diff_elo", "pi_rating_diff", "pi_expected_gd", "dc_log_away_home",
           "sot_log_ratio", "shots_log_ratio"]
L2 = 0.0175
TOP_FIVE = ["E0", "SP1", "D1", "I1", "F1"]
# The CV folds the sidecar selects on, and two earlier sets that chose
# nothing: a gain found on the first should hold on the others.
FOLD_SETS = {"cv": "2021-07-01", "earlier": "2017-07-01", "earliest": "2013-07-01"}


def load() -> tuple[pd.DataFrame, list[str]]:
    """Matches with their features and label (0 home, 1 draw, 2 away), in kick-off order."""
    work = DATA_DIR / "work"
    features = pd.read_parquet(work / "match_features.parquet")
    matches = pd.read_parquet(work / "matches.parquet")
    d = matches.merge(features, on="match_id").sort_values("startTimeUtc", kind="stable")
    d = d.reset_index(drop=True)
    d["y"] = np.select([d.home_score > d.away_score, d.home_score == d.away_score], [0, 1], 2)
    return d, [c for c in features.columns if c != "match_id"]


def folds(d: pd.DataFrame, split: str = FOLD_SETS["cv"], n: int = 4):
    """The last `n` seasons before `split`, each trained on all that came before."""
    labelled = d[~d.is_future & (d.startTimeUtc < pd.Timestamp(split, tz="UTC"))]
    first = d.startTimeUtc.min() + pd.Timedelta(days=365)
    for season in sorted(labelled.season.unique())[-n:]:
        valid = labelled.index[labelled.season == season]
        start = d.startTimeUtc[valid].min()
        train = labelled.index[(labelled.startTimeUtc < start) & (labelled.startTimeUtc >= first)]
        yield season, train.values, valid.values


def design(d, cols, train, balance=BALANCE):
    """The champion's inputs: NaN filled with the training mean, the sizes
    appended, standardised on the training rows."""
    x = d[cols].to_numpy(float)
    fill = np.nanmean(x[train], axis=0)
    x = np.where(np.isnan(x), fill, x)
    if balance:
        x = np.hstack([x, np.abs(x[:, [cols.index(c) for c in balance]])])
    mean, std = x[train].mean(0), x[train].std(0)
    std[std == 0] = 1
    return (x - mean) / std


def fit_predict(d, cols, train, valid, l2=L2, balance=BALANCE):
    x = design(d, cols, train, balance)
    model = LogisticRegression(C=1 / (l2 * len(train)), max_iter=2000, tol=1e-8)
    model.fit(x[train], d.y.values[train])
    return model.predict_proba(x[valid])


def log_loss(p, y):
    return -np.log(p[np.arange(len(y)), y])


def rps(p, y):
    cum = np.cumsum(p, 1)[:, :2] - np.cumsum(np.eye(3)[y], 1)[:, :2]
    return (cum ** 2).sum(1) / 2


class Scores:
    """Per-match out-of-fold scores of one column set."""

    def __init__(self, d, cols, split=FOLD_SETS["cv"], predict=None, **fit):
        """`predict(train, valid)` replaces the logit when given."""
        idx, ll, rp = [], [], []
        for _, train, valid in folds(d, split):
            p = predict(train, valid) if predict else fit_predict(d, cols, train, valid, **fit)
            y = d.y.values[valid]
            idx.append(valid), ll.append(log_loss(p, y)), rp.append(rps(p, y))
        self.index = np.concatenate(idx)
        self.log_loss = np.concatenate(ll)
        self.rps = np.concatenate(rp)
        self.season = d.season.values[self.index]


def paired(new, base):
    diff = new - base
    return f"{diff.mean():+.5f} ± {diff.std() / np.sqrt(len(diff)):.5f}"


def compare(base: Scores, new: Scores, name: str) -> None:
    per_fold = " ".join(
        f"{s}:{(new.log_loss - base.log_loss)[base.season == s].mean():+.5f}"
        for s in sorted(set(base.season)))
    print(f"{name}: log-loss {new.log_loss.mean():.5f} ({paired(new.log_loss, base.log_loss)}), "
          f"RPS {new.rps.mean():.5f} ({paired(new.rps, base.rps)}); per fold {per_fold}")
