"""Candidate columns the sidecar does not build, each from information known
before kick-off. Each returns one value per row of `prototype.load()`'s
frame (kick-off order); NaN where unknown, as the sidecar's features.
"""

from __future__ import annotations

import glob

import numpy as np
import pandas as pd

from prototype import SHARED, design


def league_draw_share(d: pd.DataFrame, window: int) -> np.ndarray:
    """Share of draws among the league's last `window` results that kicked
    off strictly before the match; NaN until half a window is known."""
    out = np.full(len(d), np.nan)
    for _, league in d.groupby("league"):
        played = league[~league.is_future]
        kickoffs = played.startTimeUtc.values
        draws = np.concatenate([[0], np.cumsum(played.y.values == 1)])
        k = np.searchsorted(kickoffs, league.startTimeUtc.values, "left")
        lo = np.maximum(k - window, 0)
        n = k - lo
        out[league.index] = np.where(n * 2 >= window, (draws[k] - draws[lo]) / np.maximum(n, 1), np.nan)
    return out


def international_days(min_matches: int) -> np.ndarray:
    """Days with at least `min_matches` international matches (the FIFA windows)."""
    results = pd.read_csv(SHARED / "international-results" / "results.csv", parse_dates=["date"])
    per_day = results[results.date >= "2004-01-01"].groupby("date").size()
    return np.array(sorted(per_day[per_day >= min_matches].index.values.astype("datetime64[D]")))


def after_international_break(d: pd.DataFrame, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per side: whether a window day fell between the team's previous
    league match and this one (the fixture list says so in advance)."""
    dates = d.startTimeUtc.dt.tz_localize(None).values.astype("datetime64[D]")
    previous: dict[str, np.datetime64] = {}
    flags = np.zeros((len(d), 2))
    for i, (home, away, date) in enumerate(zip(d.homeTeamName, d.awayTeamName, dates)):
        for side, team in enumerate((home, away)):
            last = previous.get(team)
            if last is not None:
                between = np.searchsorted(days, date, "left") - np.searchsorted(days, last, "right")
                flags[i, side] = float(between > 0)
            previous[team] = date
    return flags[:, 0], flags[:, 1]


def days_since_international(d: pd.DataFrame, days: np.ndarray, cap: float = 30.0) -> np.ndarray:
    dates = d.startTimeUtc.dt.tz_localize(None).values.astype("datetime64[D]")
    k = np.clip(np.searchsorted(days, dates, "left") - 1, 0, None)
    return np.minimum((dates - days[k]).astype(float), cap)


def match_red_cards(d: pd.DataFrame) -> pd.DataFrame:
    """`d`'s rows joined with their own red cards (`HR`, `AR`; NaN where
    the files have no cards), in `d`'s order."""
    frames = []
    for path in glob.glob(str(SHARED / "football-data" / "*" / "*.csv")):
        f = pd.read_csv(path, encoding="utf-8-sig", on_bad_lines="skip")
        if "HR" in f.columns:
            f = f[["Div", "Date", "HomeTeam", "AwayTeam", "HR", "AR"]].dropna(subset=["HomeTeam"])
            f["date"] = pd.to_datetime(f.Date, dayfirst=True, format="mixed").dt.date
            frames.append(f)
    cards = pd.concat(frames).rename(
        columns={"Div": "league", "HomeTeam": "homeTeamName", "AwayTeam": "awayTeamName"})
    keys = ["league", "date", "homeTeamName", "awayTeamName"]
    joined = d.assign(date=d.startTimeUtc.dt.date).merge(
        cards[keys + ["HR", "AR"]], on=keys, how="left")
    assert len(joined) == len(d), "one row of cards per match"
    return joined


def previous_red_cards(d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per side: red cards in the team's previous match (a ban is known
    before kick-off); NaN where the files have no cards."""
    joined = match_red_cards(d)
    last: dict[str, float] = {}
    out = np.full((len(d), 2), np.nan)
    for i, row in enumerate(joined.itertuples()):
        out[i] = last.get(row.homeTeamName, np.nan), last.get(row.awayTeamName, np.nan)
        if not row.is_future:
            last[row.homeTeamName], last[row.awayTeamName] = row.HR, row.AR
    return out[:, 0], out[:, 1]


def previous_season_top(d: pd.DataFrame, places: int,
                        places_by_league: dict[str, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per side: whether the team finished in its league's top `places` last
    season (points, then goal difference; `places_by_league` overrides it per
    league), a proxy for playing in Europe this season and the midweek
    matches that come with it. 0 for a team that was not in the league last
    season."""
    table = pd.concat([
        d[~d.is_future].assign(team=d.homeTeamName, gf=d.home_score, ga=d.away_score),
        d[~d.is_future].assign(team=d.awayTeamName, gf=d.away_score, ga=d.home_score),
    ])
    table["points"] = np.select([table.gf > table.ga, table.gf == table.ga], [3, 1], 0)
    table["gd"] = table.gf - table.ga
    standings = table.groupby(["league", "season", "team"])[["points", "gd"]].sum().reset_index()
    standings = standings.sort_values(["league", "season", "points", "gd"], ascending=[True, True, False, False])
    standings["rank"] = standings.groupby(["league", "season"]).cumcount() + 1
    seasons = sorted(d.season.unique())
    following = dict(zip(seasons, seasons[1:]))
    top = {(row.league, following.get(row.season), row.team)
           for row in standings.itertuples()
           if row.rank <= (places_by_league or {}).get(row.league, places)}
    home = np.array([(l, s, t) in top for l, s, t in zip(d.league, d.season, d.homeTeamName)], float)
    away = np.array([(l, s, t) in top for l, s, t in zip(d.league, d.season, d.awayTeamName)], float)
    return home, away


def goals_model_1x2(d: pd.DataFrame, cols: list[str], train, valid, l2: float = 0.0175,
                    max_goals: int = 10) -> np.ndarray:
    """1X2 from two Poisson regressions of the home and away goals on the
    logit's inputs (prototype's fill, sizes and standardisation), with
    Dixon-Coles' low-score correction, rho by 1X2 likelihood on `train`."""
    from scipy.stats import poisson
    from sklearn.linear_model import PoissonRegressor

    x = design(d, cols, train)
    rows = np.concatenate([train, valid])
    rates = []
    for side in ("home_score", "away_score"):
        model = PoissonRegressor(alpha=l2, max_iter=1000, tol=1e-8)
        model.fit(x[train], d[side].values[train])
        rates.append(model.predict(x[rows]))
    goals = np.arange(max_goals + 1)
    ph = poisson.pmf(goals[None, :], rates[0][:, None])
    pa = poisson.pmf(goals[None, :], rates[1][:, None])
    grid = ph[:, :, None] * pa[:, None, :]
    home_win = np.tril(np.ones((max_goals + 1,) * 2), -1).astype(bool)

    def outcome(rho):
        g = grid.copy()
        lh, la = rates[0], rates[1]
        g[:, 0, 0] *= 1 - lh * la * rho
        g[:, 0, 1] *= 1 + lh * rho
        g[:, 1, 0] *= 1 + la * rho
        g[:, 1, 1] *= 1 - rho
        p = np.stack([g[:, home_win].sum(1), np.trace(g, axis1=1, axis2=2), g[:, home_win.T].sum(1)], 1)
        return p / p.sum(1, keepdims=True)

    n = len(train)
    y = d.y.values[train]
    best = min(np.arange(-0.25, 0.2501, 0.01),
               key=lambda r: -np.log(outcome(r)[np.arange(n), y]).sum())
    return outcome(best)[n:]


def by_kickoff(d: pd.DataFrame, columns: list[str]):
    """The rows of `d` (kick-off order) as lists of `(position, row)` that
    share a kick-off, so a builder reads every match of a kick-off before
    it records any of their results, as the sidecar does."""
    group: list[tuple] = []
    for i, row in enumerate(d[columns].itertuples(index=False)):
        if group and row.startTimeUtc != group[0][1].startTimeUtc:
            yield group
            group = []
        group.append((i, row))
    if group:
        yield group


def head_to_head(d: pd.DataFrame, last: int, years: float = 6.0) -> dict[str, np.ndarray]:
    """Per match, the two clubs' previous meetings (at either ground, results
    known before kick-off, at most `last` of them within `years`), read from
    the home side's view: the mean goal difference (`gd`), the mean of what
    the goals model did not expect (`residual`: goal difference minus the
    Dixon-Coles expected difference of that meeting, from its own feature
    row), and that residual shrunk towards 0 (`residual_shrunk`: sum over
    (meetings + 3), 0 when they never met). NaN where they never met."""
    horizon = pd.Timedelta(days=365.25 * years)
    meetings: dict[frozenset, list[tuple]] = {}
    gd, residual, shrunk = np.full(len(d), np.nan), np.full(len(d), np.nan), np.zeros(len(d))
    columns = ["homeTeamName", "awayTeamName", "home_score", "away_score", "is_future", "startTimeUtc",
               "dc_goals_home", "dc_goals_away"]
    for group in by_kickoff(d, columns):
        for i, m in group:
            past = [p for p in meetings.get(frozenset((m.homeTeamName, m.awayTeamName)), [])
                    if m.startTimeUtc - p[0] <= horizon][-last:]
            if not past:
                continue
            sign = np.array([1.0 if p[1] == m.homeTeamName else -1.0 for p in past])
            diffs = sign * np.array([p[2] for p in past])
            expected = sign * np.array([p[3] for p in past])
            gd[i] = diffs.mean()
            known = ~np.isnan(expected)
            if known.any():
                r = diffs[known] - expected[known]
                residual[i] = r.mean()
                shrunk[i] = r.sum() / (len(r) + 3)
        for _, m in group:
            if not m.is_future:
                meetings.setdefault(frozenset((m.homeTeamName, m.awayTeamName)), []).append(
                    (m.startTimeUtc, m.homeTeamName, m.home_score - m.away_score,
                     m.dc_goals_home - m.dc_goals_away))
    return {"gd": gd, "residual": residual, "residual_shrunk": shrunk}


def form_residuals(d: pd.DataFrame, window: int) -> dict[str, np.ndarray]:
    """Home − away difference of each side's mean over its last `window`
    results known before kick-off of what the goals model did not expect:
    points minus the Dixon-Coles expected points (`points`) and goal
    difference minus its expected goal difference (`gd`), each from that
    match's own feature row. NaN until a side has a result with a forecast."""
    history: dict[str, list[tuple[float, float]]] = {}
    out = {k: np.full(len(d), np.nan) for k in ("points", "gd")}
    columns = ["homeTeamName", "awayTeamName", "home_score", "away_score", "is_future", "startTimeUtc",
               "dc_home", "dc_draw", "dc_away", "dc_goals_home", "dc_goals_away"]
    for group in by_kickoff(d, columns):
        for i, m in group:
            sides = [np.array(history.get(t, [])[-window:]).reshape(-1, 2)
                     for t in (m.homeTeamName, m.awayTeamName)]
            if all(len(s) for s in sides):
                for k, col in (("points", 0), ("gd", 1)):
                    out[k][i] = sides[0][:, col].mean() - sides[1][:, col].mean()
        for _, m in group:
            if m.is_future or np.isnan(m.dc_home):
                continue
            hs, aw = m.home_score, m.away_score
            points_home = 3.0 * (hs > aw) + 1.0 * (hs == aw)
            points_away = 3.0 * (aw > hs) + 1.0 * (hs == aw)
            gd_surprise = (hs - aw) - (m.dc_goals_home - m.dc_goals_away)
            history.setdefault(m.homeTeamName, []).append(
                (points_home - (3 * m.dc_home + m.dc_draw), gd_surprise))
            history.setdefault(m.awayTeamName, []).append(
                (points_away - (3 * m.dc_away + m.dc_draw), -gd_surprise))
    return out


def days_to_next_match(d: pd.DataFrame, cap: float = 14.0) -> tuple[np.ndarray, np.ndarray]:
    """Per side: days until the team's next league match in the fixture list,
    capped (also where the season has no later match). The list is published
    before kick-off; a date moved later (a postponement) is the one caveat."""
    dates = d.startTimeUtc.dt.tz_localize(None).values.astype("datetime64[D]")
    following: dict[tuple[str, str], np.datetime64] = {}
    out = np.full((len(d), 2), cap)
    # Walk backwards so `following` holds each team's next fixture.
    for i in range(len(d) - 1, -1, -1):
        season, date = d.season.values[i], dates[i]
        for side, team in enumerate((d.homeTeamName.values[i], d.awayTeamName.values[i])):
            nxt = following.get((season, team))
            if nxt is not None:
                out[i, side] = min(float((nxt - date).astype(int)), cap)
            following[(season, team)] = date
    return out[:, 0], out[:, 1]


def slow_elo(d: pd.DataFrame, k: float, home: float = 60.0, arrival: float = 50.0) -> np.ndarray:
    """Home − away of a slow Elo (`k` points per goal-scaled result, no
    regression towards the mean between seasons): a club's long-run
    standing, which the tuned ratings (regressed 10% a season) forget.
    Ratings are relative within a league, so a club that arrives from
    another league starts `arrival` points below the mean of the league's
    known clubs (above it if it came down from a higher English division),
    or halfway between that and its own old rating if it played here before.
    Pre-match values only; a kick-off's results are recorded after all its
    matches are read."""
    english = {"E0": 0, "E1": 1, "E2": 2, "E3": 3}
    rating: dict[tuple[str, str], float] = {}      # (league, team) → rating
    last_league: dict[str, str] = {}
    out = np.full(len(d), np.nan)
    columns = ["league", "homeTeamName", "awayTeamName", "home_score", "away_score", "is_future", "startTimeUtc"]

    def current(league: str, team: str) -> float:
        came_from = last_league.get(team)
        if came_from == league and (league, team) in rating:
            return rating[(league, team)]
        known = [r for (lg, _), r in rating.items() if lg == league]
        mean = float(np.mean(known)) if known else 1500.0
        down = came_from in english and league in english and english[came_from] < english[league]
        start = mean + arrival if down else mean - arrival
        old = rating.get((league, team))
        value = start if old is None else (start + old) / 2
        rating[(league, team)] = value
        last_league[team] = league
        return value

    for group in by_kickoff(d, columns):
        updates = []
        for i, m in group:
            rh, ra = current(m.league, m.homeTeamName), current(m.league, m.awayTeamName)
            out[i] = rh - ra
            if m.is_future:
                continue
            expected = 1 / (1 + 10 ** (-(rh + home - ra) / 400))
            score = 1.0 if m.home_score > m.away_score else 0.5 if m.home_score == m.away_score else 0.0
            n = abs(m.home_score - m.away_score)
            scale = 1.0 if n <= 1 else 1.5 if n == 2 else (11 + n) / 8
            updates.append((m.league, m.homeTeamName, m.awayTeamName, k * scale * (score - expected)))
        for league, h, a, delta in updates:
            rating[(league, h)] += delta
            rating[(league, a)] -= delta
    return out


def early_season_elo(d: pd.DataFrame, boost: float, matches: float, k: float = 10.0,
                     home: float = 60.0, carry: float = 0.9, exponent: float = 0.4,
                     arrival: float = 30.0, weight: np.ndarray | None = None) -> np.ndarray:
    """Home − away of an Elo that learns faster early in a season, when
    summer transfers have moved strengths the ratings do not yet show: each
    side's step is `k · (1 + boost · exp(−n / matches))`, `n` its league
    matches so far this season (so each side moves by its own step and the
    update is not zero-sum). Otherwise the tuned Elo (`pipeline::tuned_elo`):
    k 10, home advantage 60, a 10% summer regression to the league mean,
    goal-difference multiplier (1 + |gd|)^0.4, arrivals 30 points below the
    league's mean (above if relegated into it from a higher English
    division). `weight` (per row of `d`, default 1) scales a result's
    step. Pre-match values only; a kick-off's results are recorded after
    all its matches are read."""
    english = {"E0": 0, "E1": 1, "E2": 2, "E3": 3}
    rating: dict[tuple[str, str], float] = {}       # (league, team) → rating
    where: dict[str, tuple[str, str]] = {}           # team → (league, season) of its last match
    played: dict[tuple[str, str, str], int] = {}     # (league, season, team) → matches so far
    out = np.full(len(d), np.nan)
    columns = ["league", "season", "homeTeamName", "awayTeamName", "home_score", "away_score",
               "is_future", "startTimeUtc"]

    def league_mean(league: str) -> float:
        known = [r for (lg, _), r in rating.items() if lg == league]
        return float(np.mean(known)) if known else 1500.0

    def current(league: str, season: str, team: str) -> float:
        last = where.get(team)
        if last == (league, season):
            return rating[(league, team)]
        mean = league_mean(league)
        if last is not None and last[0] == league and (league, team) in rating:
            value = mean + carry * (rating[(league, team)] - mean)   # a new season, same league
        else:
            came_from = last[0] if last else None
            down = came_from in english and league in english and english[came_from] < english[league]
            value = mean + arrival if down else mean - arrival
        rating[(league, team)] = value
        where[team] = (league, season)
        return value

    for group in by_kickoff(d, columns):
        updates = []
        for i, m in group:
            rh = current(m.league, m.season, m.homeTeamName)
            ra = current(m.league, m.season, m.awayTeamName)
            out[i] = rh - ra
            if m.is_future:
                continue
            expected = 1 / (1 + 10 ** (-(rh + home - ra) / 400))
            score = 1.0 if m.home_score > m.away_score else 0.5 if m.home_score == m.away_score else 0.0
            step = (1 + abs(m.home_score - m.away_score)) ** exponent * (score - expected)
            if weight is not None:
                step *= weight[i]
            for team, sign in ((m.homeTeamName, 1.0), (m.awayTeamName, -1.0)):
                n = played.get((m.league, m.season, team), 0)
                updates.append((m.league, m.season, team, sign * k * (1 + boost * np.exp(-n / matches)) * step))
        for league, season, team, delta in updates:
            rating[(league, team)] += delta
            played[(league, season, team)] = played.get((league, season, team), 0) + 1
    return out
