#!/usr/bin/env python3
"""The feature experiments of `crates/ml/README.md` ("Tried on 2026-12-05,
fourth session" and after), re-runnable.

Usage (from the repository root, after `scripts/up.sh` or
`matchday ingest football-data ../shared/data/football-data && matchday features`):
    python3 -m venv /tmp/research && /tmp/research/bin/pip install pandas pyarrow scikit-learn
    /tmp/research/bin/python scripts/research/experiments.py NAME

NAME: international-breaks, gap-after-breaks, club-effects, draw-share,
replicate, ablate, top-five-weights, europe, goals-target,
head-to-head, form-residuals, congestion, stature, early-season,
staleness, red-cards. `MATCHDAY_DATA` (default `data`, as in `scripts/up.sh`) names the sidecar's
data directory, `MATCHDAY_SHARED` (default `../shared/data`) the match data.
Each run takes 1–3 minutes on 2 cores.
"""

from __future__ import annotations

import sqlite3
import sys

import numpy as np
import pandas as pd

import extra_features as extra
from prototype import (BALANCE, DATA_DIR, FOLD_SETS, TOP_FIVE, Scores, compare, fit_predict,
                       load, log_loss, rps)


def compare_added(d, cols, variants, prefix=""):
    """Each variant (name → the columns it adds) against `cols`, on the CV
    folds and the two earlier sets, in that order."""
    for name, split in FOLD_SETS.items():
        base = Scores(d, cols, split)
        for variant, added in variants.items():
            compare(base, Scores(d, cols + added, split), f"{name}: {prefix}{variant}")


def international_breaks(d, cols):
    base = Scores(d, cols)
    for min_matches in (10, 20):
        days = extra.international_days(min_matches)
        d["break_home"], d["break_away"] = extra.after_international_break(d, days)
        d["break_any"] = np.maximum(d.break_home, d.break_away)
        since = extra.days_since_international(d, days)
        d["since_international"] = since
        d["international_last_10_days"] = (since <= 10).astype(float)
        for added in (["break_any"], ["break_home", "break_away"], ["international_last_10_days"],
                      ["since_international"], ["break_any", "international_last_10_days"]):
            compare(base, Scores(d, cols + added), f"{min_matches}+ matches a day, +{added}")


def gap_after_breaks(d, cols):
    """The model's RPS against Pinnacle's margin-free closing line, after a
    break and otherwise, on the priced CV matches."""
    odds = pd.read_sql(
        "select match_id, home, draw, away from odds where bookmaker = 'PS' and kind = 'closing'",
        sqlite3.connect(DATA_DIR / "matchday.db")).set_index("match_id")
    inverse = 1 / odds
    implied = inverse.div(inverse.sum(axis=1), axis=0)
    home, away = extra.after_international_break(d, extra.international_days(10))
    scores = Scores(d, cols)
    rows = d.loc[scores.index].assign(model=scores.rps, after_break=np.maximum(home, away)[scores.index])
    rows = rows[rows.match_id.isin(implied.index)]
    rows["book"] = rps(implied.loc[rows.match_id].to_numpy(), rows.y.values)
    for after, g in rows.groupby("after_break"):
        gap = g.model.mean() / g.book.mean() - 1
        se = (g.model - g.book).std() / np.sqrt(len(g)) / g.book.mean()
        print(f"{'after a break' if after else 'no break'}: n {len(g)}, gap {gap:.2%} ± {se:.2%}")


def club_effects(d, cols):
    """A fixed effect per club: +1 for the home side, −1 for the away side."""
    base = Scores(d, cols)
    teams = sorted(set(d.homeTeamName) | set(d.awayTeamName))
    clubs = pd.DataFrame({f"club_{t}": (d.homeTeamName == t).astype(float) - (d.awayTeamName == t)
                          for t in teams})
    wide = pd.concat([d, clubs], axis=1)
    for l2 in (0.0175, 0.05):
        compare(base, Scores(wide, cols + list(clubs.columns), l2=l2), f"club effects, l2 {l2}")


def draw_share(d, cols):
    base = Scores(d, cols)
    top_five = d.league.isin(TOP_FIVE).values[base.index]
    for window in (190, 380, 570):
        d["league_draw_share"] = extra.league_draw_share(d, window)
        new = Scores(d, cols + ["league_draw_share"])
        compare(base, new, f"league draw share over {window}")
        diff = (new.rps - base.rps)[top_five]
        print(f"  top five RPS {diff.mean():+.5f} ± {diff.std() / np.sqrt(len(diff)):.5f}")


def replicate(d, cols):
    """The two small CV gains, on the seasons before the CV folds."""
    d["league_draw_share"] = extra.league_draw_share(d, 190)
    d["red_home"], d["red_away"] = extra.previous_red_cards(d)
    compare_added(d, cols, {"draw share": ["league_draw_share"], "red cards": ["red_home", "red_away"]})


def ablate(d, cols):
    """What each kept block adds, on the three sets of folds."""
    strengths = {"sot_log_ratio", "shots_log_ratio", "corners_log_ratio"}
    without = {
        "sizes": (cols, None),
        "statistics strengths": ([c for c in cols if c not in strengths],
                                 [b for b in BALANCE if b not in strengths]),
        "shot form": ([c for c in cols if not c.startswith("shot_diff_")], BALANCE),
    }
    for name, split in FOLD_SETS.items():
        full = Scores(d, cols, split)
        for block, (kept, balance) in without.items():
            compare(Scores(d, kept, split, balance=balance), full, f"{name}: adding {block}")


def top_five_weights(d, cols):
    """The rating columns with their own weights in the five top divisions,
    where shot statistics carry part of what the ratings say elsewhere."""
    top_five = d.league.isin(TOP_FIVE).astype(float)
    ratings = ["diff_elo", "pi_rating_diff", "pi_expected_gd", "dc_log_away_home", "dc_log_draw_home"]
    for c in ratings:
        d[f"{c}_top_five"] = d[c] * top_five
    added = [f"{c}_top_five" for c in ratings]
    compare_added(d, cols, {"top-five weights": added})


def europe(d, cols):
    """Pre-registered on 2026-12-06: a proxy for European football (top six
    of the same league last season, five in F1), alone and in the months
    with European matches, and a midweek flag; adopted only with a gain of
    two standard errors on the CV folds that holds on both earlier sets."""
    d["europe_home"], d["europe_away"] = extra.previous_season_top(d, 6, {"F1": 5})
    month = d.startTimeUtc.dt.month
    european_months = month.isin([9, 10, 11, 12, 2, 3, 4]).astype(float)
    d["europe_home_busy"] = d.europe_home * european_months
    d["europe_away_busy"] = d.europe_away * european_months
    d["midweek"] = d.startTimeUtc.dt.day_of_week.isin([1, 2, 3]).astype(float)
    variants = {
        "europe flags": ["europe_home", "europe_away"],
        "europe flags in European months": ["europe_home_busy", "europe_away_busy"],
        "midweek": ["midweek"],
    }
    compare_added(d, cols, variants)


def goals_target(d, cols):
    """Pre-registered on 2026-12-06 (second entry): goals as the training
    target. A 1X2 label throws away what a scoreline says (3-0 against 1-0);
    two Poisson regressions of each side's goals on the champion's inputs
    (the same fill, sizes, standardisation and penalty, alpha = l2 = 0.0175,
    no tuning) give a score grid, Dixon-Coles' low-score correction with its
    rho fitted on the training rows, then 1X2. Scored alone and as the
    equal-weight log-space pool with the logit (`blend::pool`'s rule).
    Adopted only with a gain of two standard errors on the CV folds that
    holds on both earlier sets."""
    from prototype import fit_predict
    goals = {}  # one fit per fold, shared by both variants

    def alone(train, valid):
        key = valid[0]
        if key not in goals:
            goals[key] = extra.goals_model_1x2(d, cols, train, valid)
        return goals[key]

    def pooled(train, valid):
        p = np.exp(0.5 * np.log(fit_predict(d, cols, train, valid)) + 0.5 * np.log(alone(train, valid)))
        return p / p.sum(1, keepdims=True)

    top_five = d.league.isin(TOP_FIVE).values
    for name, split in FOLD_SETS.items():
        base = Scores(d, cols, split)
        for variant, predict in (("goals model alone", alone), ("pooled with the logit", pooled)):
            new = Scores(d, cols, split, predict=predict)
            compare(base, new, f"{name}: {variant}")
            diff = (new.rps - base.rps)[top_five[base.index]]
            print(f"  top five RPS {diff.mean():+.5f} ± {diff.std() / np.sqrt(len(diff)):.5f}")


def head_to_head(d, cols):
    """Pre-registered on 2026-12-06 (third entry): the two clubs' previous
    meetings, the classic feature our ratings do not carry (a "bogey team"
    would be a pairing effect the team strengths average out). Three
    variants over the last 6 meetings within 6 years (`extra.head_to_head`):
    the mean goal difference, its residual against the goals model's
    expectation at the time, and that residual shrunk towards 0. Adopted
    only with a gain of two standard errors on the CV folds that holds on
    both earlier sets."""
    h2h = extra.head_to_head(d, 6)
    for variant, values in h2h.items():
        d[f"h2h_{variant}"] = values
    met = ~np.isnan(d.h2h_gd.values)
    print(f"matches with a previous meeting: {met.mean():.1%}")
    compare_added(d, cols, {variant: [f"h2h_{variant}"] for variant in h2h}, "head to head, ")


def form_residuals(d, cols):
    """Pre-registered on 2026-12-06 (fifth entry): recent form net of what
    the goals model expected, per side over its last 5 or 10 results
    (`extra.form_residuals`: points minus expected points, goal difference
    minus expected goal difference, home − away). The logit sees form and
    ratings, but not form measured against the opponents faced. Adopted
    only with a gain of two standard errors on the CV folds that holds on
    both earlier sets."""
    added = {}
    for window in (5, 10):
        for kind, values in extra.form_residuals(d, window).items():
            d[f"residual_{kind}_{window}"] = values
        added[f"points, last {window}"] = [f"residual_points_{window}"]
    added["goal difference, last 10"] = ["residual_gd_10"]
    compare_added(d, cols, added, "form residual, ")


def congestion(d, cols):
    """Pre-registered on 2026-12-07: fixture congestion ahead, which the
    fixture list announces before kick-off and the rest days (behind) do not
    show: a side with another league match in a few days may rotate. Per
    side, the days to its next league match (capped at 14), a flag for a
    next match within 3 days, and the days between its previous and next
    matches (rest behind + ahead, capped at 21). Adopted only with a gain of
    two standard errors on the CV folds that holds on both earlier sets."""
    d["next_home"], d["next_away"] = extra.days_to_next_match(d)
    d["soon_home"] = (d.next_home <= 3).astype(float)
    d["soon_away"] = (d.next_away <= 3).astype(float)
    d["span_home"] = np.minimum(d.next_home + d.rest_days_home.fillna(14), 21)
    d["span_away"] = np.minimum(d.next_away + d.rest_days_away.fillna(14), 21)
    print(f"next match within 3 days: home {d.soon_home.mean():.1%}, away {d.soon_away.mean():.1%}")
    variants = {
        "days to next match": ["next_home", "next_away"],
        "next match within 3 days": ["soon_home", "soon_away"],
        "rest behind + ahead": ["span_home", "span_away"],
    }
    compare_added(d, cols, variants)


def stature(d, cols):
    """Pre-registered on 2026-12-07 (second entry): a club's long-run
    standing. The tuned Elo regresses 10% towards the league mean each
    summer, the same for every club, while the market knows which clubs
    rebound (budgets, squads). A slow Elo with no regression between
    seasons (`extra.slow_elo`, k = 5 or 10), home − away, beside the
    existing ratings: the logit can then weigh a fast and a slow view.
    Adopted only with a gain of two standard errors on the CV folds that
    holds on both earlier sets."""
    variants = {}
    for k in (5, 10):
        d[f"slow_elo_{k}"] = extra.slow_elo(d, k)
        variants[f"slow Elo, k = {k}"] = [f"slow_elo_{k}"]
    print(d[["diff_elo", "slow_elo_5", "slow_elo_10"]].corr().round(3))
    compare_added(d, cols, variants)


def early_season(d, cols):
    """Pre-registered on 2026-12-07 (third session): ratings that learn
    faster early in a season. Summer transfers move strengths that the
    tuned Elo (one step size all season, 10% summer regression) takes
    months to show, while the market prices them from the first match day.
    An Elo whose step is `k · (1 + boost · exp(−n / 6))`, `n` the side's
    league matches so far this season (`extra.early_season_elo`, boost 1 or
    2), home − away, beside the existing ratings. Adopted only with a gain
    of two standard errors on the CV folds that holds on both earlier sets."""
    variants = {}
    for boost in (1, 2):
        d[f"early_elo_{boost}"] = extra.early_season_elo(d, boost, 6.0)
        variants[f"early-season Elo, boost {boost}"] = [f"early_elo_{boost}"]
    d["early_elo_0"] = extra.early_season_elo(d, 0.0, 6.0)
    print(d[["diff_elo", "early_elo_0", "early_elo_1", "early_elo_2"]].corr().round(4))
    compare_added(d, cols, variants)


def red_cards(d, cols):
    """Pre-registered on 2026-12-07 (fifth session): results distorted by a
    sending-off. A match with a red card says less about the two sides'
    strengths than one played eleven against eleven, yet every rating moves
    on it as fully. The tuned Elo replica (`extra.early_season_elo`, boost
    0) with its step scaled by w = 0.5 or 0.25 for a match with a red card
    (HR + AR > 0; the top five only, the other files have no cards), in
    place of `diff_elo`, against the same replica with w = 1 in its place,
    so the replica's small differences from the sidecar's Elo cancel.
    Built into every rating model only with a gain of two standard errors
    on the CV folds that holds on both earlier sets."""
    cards = extra.match_red_cards(d)
    sent_off = (cards.HR.fillna(0) + cards.AR.fillna(0) > 0).values
    finished = ~d.is_future.values
    top = d.league.isin(TOP_FIVE).values
    print(f"matches with a red card: {sent_off[finished & top].mean():.1%} of finished top-five matches")
    rest = [c for c in cols if c != "diff_elo"]
    d["elo_w1"] = extra.early_season_elo(d, 0.0, 6.0)
    print(d[["diff_elo", "elo_w1"]].corr().round(4))
    variants = {}
    for w in (0.5, 0.25):
        d[f"elo_red_{w}"] = extra.early_season_elo(d, 0.0, 6.0, weight=np.where(sent_off, w, 1.0))
        variants[f"red-card weight {w}"] = f"elo_red_{w}"
    for name, split in FOLD_SETS.items():
        base = Scores(d, rest + ["elo_w1"], split, balance=["elo_w1"] + BALANCE[1:])
        for variant, column in variants.items():
            new = Scores(d, rest + [column], split, balance=[column] + BALANCE[1:])
            compare(base, new, f"{name}: {variant}")


def staleness(d, cols):
    """2026-12-07 (fourth session): what a model fitted one or two seasons
    before the season it forecasts loses against one fitted up to the
    season's start, on the eight seasons 2013-14 … 2020-21 (neither test
    season). It decided that the served model learns from the test split."""
    first = d.startTimeUtc.min() + pd.Timedelta(days=365)
    labelled = d[~d.is_future]
    seasons = sorted(labelled.season.unique())
    start = {s: labelled.startTimeUtc[labelled.season == s].min() for s in seasons}
    scored = [s for s in seasons if "2013-2014" <= s <= "2020-2021"]
    by_lag = {}
    for lag in (0, 1, 2):
        ll, rp = [], []
        for s in scored:
            valid = labelled.index[labelled.season == s].values
            until = start[seasons[seasons.index(s) - lag]]
            train = labelled.index[(labelled.startTimeUtc < until)
                                   & (labelled.startTimeUtc >= first)].values
            p = fit_predict(d, cols, train, valid)
            y = d.y.values[valid]
            ll.append(log_loss(p, y)), rp.append(rps(p, y))
        by_lag[lag] = (np.concatenate(ll), np.concatenate(rp))
    for lag in (1, 2):
        for name, k in (("log-loss", 0), ("RPS", 1)):
            diff = by_lag[lag][k] - by_lag[0][k]
            print(f"fitted {lag} season(s) early: {name} {diff.mean():+.5f} "
                  f"± {diff.std() / np.sqrt(len(diff)):.5f}")


EXPERIMENTS = {
    "international-breaks": international_breaks,
    "gap-after-breaks": gap_after_breaks,
    "club-effects": club_effects,
    "draw-share": draw_share,
    "replicate": replicate,
    "ablate": ablate,
    "top-five-weights": top_five_weights,
    "europe": europe,
    "goals-target": goals_target,
    "head-to-head": head_to_head,
    "form-residuals": form_residuals,
    "congestion": congestion,
    "stature": stature,
    "early-season": early_season,
    "staleness": staleness,
    "red-cards": red_cards,
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in EXPERIMENTS:
        sys.exit(f"usage: experiments.py {{{','.join(EXPERIMENTS)}}}")
    EXPERIMENTS[sys.argv[1]](*load())
