use chrono::{Duration, TimeZone};
use matchday_core::domain::{MatchStats, Score};

use super::*;
use crate::synthetic::{SyntheticConfig, generate};

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

fn far_future() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap()
}

fn game(day: u32, home: &str, away: &str, score: Option<(u8, u8)>) -> Match {
    Match {
        id: i64::from(day) * 1000 + home.len() as i64,
        league: "E0".into(),
        season: "2020-2021".into(),
        kickoff: Utc.with_ymd_and_hms(2020, 9, day, 15, 0, 0).unwrap(),
        kickoff_time_known: true,
        home_team: home.into(),
        away_team: away.into(),
        score: score.map(|(home, away)| Score { home, away }),
    }
}

fn elo_plain_k20() -> EloParams {
    EloParams {
        k: 20.0,
        home_advantage: 60.0,
        initial: 1500.0,
        season_carry: 0.9,
        goal_diff_exponent: 0.0,
        promoted_offset: 0.0,
        relegated_offset: 0.0,
    }
}

/// Columns that carry information from earlier results (everything but the
/// schedule-only context and the league indicators).
fn result_columns(t: &FeatureTable) -> Vec<usize> {
    t.names
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            ["diff_", "pi_", "dc_"]
                .iter()
                .any(|prefix| n.starts_with(prefix))
        })
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn default_names_follow_the_seed_then_the_new_blocks() {
    let names = FeatureConfig::default().feature_names();
    assert_eq!(
        names[..6],
        [
            "diff_win_5_mean",
            "diff_draw_5_mean",
            "diff_points_5_mean",
            "diff_goals_for_5_mean",
            "diff_goals_against_5_mean",
            "diff_elo"
        ]
    );
    assert_eq!(names[6..8], ["pi_rating_diff", "pi_expected_gd"]);
    assert_eq!(names[8..15], DC_COLUMNS);
    assert_eq!(names[15..22], CONTEXT_COLUMNS);
    assert_eq!(names[22], "league_E0");
    assert_eq!(names.len(), 22 + default_leagues().len());
}

#[test]
fn bad_windows_are_rejected() {
    for windows in [vec![], vec![0], vec![5, 5]] {
        let config = FeatureConfig {
            windows,
            ..FeatureConfig::default()
        };
        assert!(matches!(
            build_features(&[], &StatsById::new(), far_future(), &config),
            Err(MlError::InvalidConfig(_))
        ));
    }
}

#[test]
fn hand_computed_rows() {
    let matches = [
        game(1, "A", "B", Some((2, 0))),
        game(2, "C", "A", Some((1, 1))),
        game(3, "A", "B", None),
        game(4, "B", "C", Some((0, 3))),
    ];
    let config = FeatureConfig {
        elo: elo_plain_k20(),
        ..FeatureConfig::default()
    };
    // Seen on the evening of the 2nd: match 3 is a fixture still to come.
    let as_of = Utc.with_ymd_and_hms(2020, 9, 2, 18, 0, 0).unwrap();
    let t = build_features(&matches, &StatsById::new(), as_of, &config).unwrap();
    let col = |name: &str| t.column(name).unwrap();
    // No previous match for anyone: every result-based column is unknown, never 0.
    assert!(result_columns(&t).iter().all(|&c| t.rows[0][c].is_nan()));
    // C has never played: its form is unknown although A's is...
    assert!(t.rows[1][..5].iter().all(|v| v.is_nan()));
    // ...but its Elo is a newcomer's: the E0 mean (1500) against A's 1508.29003.
    assert!((t.rows[1][col("diff_elo")] + 8.290_03).abs() < 1e-4);
    // A: W 2-0, D 1-1 → win .5, draw .5, pts 2, gf 1.5, ga .5
    // B: L 0-2        → win 0, draw 0, pts 0, gf 0, ga 2
    assert_eq!(t.rows[2][..5], [0.5, 0.5, 2.0, 1.5, -1.5]);
    // Elo: A 1508.29003 / B 1491.70997 after day 1; on day 2 C (1500)
    // hosts A and draws: expected 1/(1+10^((1508.29003-1500-60)/400)) = 0.573872,
    // A gains 20 * (0.573872 - 0.5) = 1.477440 → 1509.767466; A - B = 18.057493.
    assert!(
        (t.rows[2][col("diff_elo")] - 18.057_492_5).abs() < 1e-6,
        "{}",
        t.rows[2][col("diff_elo")]
    );
    // Match 3 has no score: B and C carry only their earlier results.
    // B: L 0-2 → (0, 0, 0, 0, 2); C: D 1-1 → (0, 1, 1, 1, 1).
    assert_eq!(t.rows[3][..5], [0.0, -1.0, -1.0, -1.0, 1.0]);
    // Dixon-Coles exists from the league's first result on.
    let dc: f64 = ["dc_home", "dc_draw", "dc_away"]
        .iter()
        .map(|c| t.rows[1][col(c)])
        .sum();
    assert!((dc - 1.0).abs() < 1e-12);
    // Rest days count fixtures still to come too (match 3 has no score yet).
    assert!(t.rows[1][col("rest_days_home")].is_nan());
    assert_eq!(t.rows[1][col("rest_days_away")], 1.0);
    assert_eq!(t.rows[3][col("rest_days_home")], 1.0);
    assert_eq!(t.rows[3][col("rest_days_away")], 2.0);
    assert_eq!(t.rows[3][col("season_stage")], 3.0 / 280.0);
    // Everyone is new in the data's first season: promoted all season.
    assert_eq!(t.rows[3][col("promoted_home")], 1.0);
    assert_eq!(t.rows[3][col("relegated_away")], 0.0);
    assert_eq!(t.rows[3][col("league_E0")], 1.0);
    assert_eq!(t.rows[3][col("league_SP1")], 0.0);
}

#[test]
fn matches_at_the_same_kickoff_do_not_see_each_other() {
    let matches = [
        game(1, "A", "B", Some((5, 0))),
        game(1, "A", "C", Some((0, 5))),
    ];
    let t = build_features(
        &matches,
        &StatsById::new(),
        far_future(),
        &FeatureConfig::default(),
    )
    .unwrap();
    for row in &t.rows {
        assert!(result_columns(&t).iter().all(|&c| row[c].is_nan()));
    }
}

#[test]
fn input_order_does_not_matter() {
    let data = generate(&SyntheticConfig::default());
    let config = FeatureConfig {
        windows: vec![3, 5],
        ..FeatureConfig::default()
    };
    let sorted = build_features(&data.matches, &StatsById::new(), far_future(), &config).unwrap();
    let mut shuffled = data.matches.clone();
    shuffled.reverse();
    let t = build_features(&shuffled, &StatsById::new(), far_future(), &config).unwrap();
    let n = shuffled.len();
    for i in 0..n {
        assert_eq!(t.match_ids[i], sorted.match_ids[n - 1 - i]);
        assert!(same_bits(&t.rows[i], &sorted.rows[n - 1 - i]));
    }
}

/// After changing what is known about match `k`, every row that kicks off
/// before its result is known (at or before its kick-off, or while it is
/// still being played) must be bit-identical to `base`, and (unless `k` is
/// the last match) some later row must differ: the change reached the
/// features.
fn assert_only_later_rows_change(
    matches: &[Match],
    k: usize,
    base: &FeatureTable,
    perturbed: &FeatureTable,
) {
    let known = crate::split::result_known_at(matches[k].kickoff);
    let mut changed_later = false;
    for (i, m) in matches.iter().enumerate() {
        let same = same_bits(&perturbed.rows[i], &base.rows[i]);
        if m.kickoff < known {
            assert!(same, "row {i} leaked {k}");
        } else if !same {
            changed_later = true;
        }
    }
    assert!(
        changed_later || k == matches.len() - 1,
        "perturbing {k} had no effect"
    );
}

/// For each `k`: swap match `k`'s scoreline and add goals (a different
/// result and goal counts), then check that only later rows change.
fn assert_results_reach_only_later_rows(
    matches: &[Match],
    config: &FeatureConfig,
    base: &FeatureTable,
    ks: &[usize],
) {
    for &k in ks {
        let mut perturbed = matches.to_vec();
        let s = perturbed[k].score.unwrap();
        perturbed[k].score = Some(Score {
            home: s.away + 3,
            away: s.home,
        });
        let t = build_features(&perturbed, &StatsById::new(), far_future(), config).unwrap();
        assert_only_later_rows_change(matches, k, base, &t);
    }
}

#[test]
fn perturbing_a_result_changes_nothing_at_or_before_its_kickoff() {
    let data = generate(&SyntheticConfig::default());
    let config = FeatureConfig {
        windows: vec![2, 5],
        ..FeatureConfig::default()
    };
    let base = build_features(&data.matches, &StatsById::new(), far_future(), &config).unwrap();
    let n = data.matches.len();
    assert_results_reach_only_later_rows(
        &data.matches,
        &config,
        &base,
        &[0, 37, 100, n / 2, n - 1],
    );
}

/// A match of league "E0" kicking off on 2020-09-`day` at `hour:minute`.
fn game_at(day: u32, hour: u32, minute: u32, home: &str, away: &str, score: (u8, u8)) -> Match {
    Match {
        id: i64::from(day) * 10_000 + i64::from(hour) * 100 + i64::from(minute),
        kickoff: Utc.with_ymd_and_hms(2020, 9, day, hour, minute, 0).unwrap(),
        ..game(day, home, away, Some(score))
    }
}

#[test]
fn a_later_kickoff_does_not_see_a_match_still_being_played() {
    // Six teams play three rounds; then one match on the 11th at 19:45 (a
    // Dixon-Coles refit), and on the 12th one at 19:30 and one at 20:00. The
    // 20:00 kick-off is the first a day after the last refit, so the rate
    // models refit for it: on results known by 20:00, which the 19:30 match's
    // is not (the bug this guards: it was, for 22 real matches).
    let rounds = [
        [("A", "B", (2, 1)), ("C", "D", (0, 0)), ("E", "F", (1, 3))],
        [("A", "C", (1, 1)), ("B", "E", (2, 0)), ("D", "F", (0, 1))],
        [("F", "A", (3, 2)), ("E", "C", (1, 0)), ("B", "D", (0, 2))],
    ];
    let mut matches = Vec::new();
    for (round, day) in rounds.iter().zip([1, 4, 7]) {
        for (minute, &(home, away, score)) in (0..).zip(round) {
            matches.push(game_at(day, 15, minute, home, away, score));
        }
    }
    matches.push(game_at(11, 19, 45, "E", "F", (1, 1)));
    let still_playing = matches.len();
    matches.push(game_at(12, 19, 30, "A", "B", (2, 0)));
    let at_eight = matches.len();
    matches.push(game_at(12, 20, 0, "C", "D", (0, 0)));
    let next_day = matches.len();
    matches.push(game_at(14, 15, 0, "E", "A", (1, 0)));

    let config = FeatureConfig::default();
    let base = build_features(&matches, &StatsById::new(), far_future(), &config).unwrap();
    let dc = base.column("dc_home").unwrap();
    assert!(
        base.rows[at_eight][dc].is_finite(),
        "the rate model forecasts it"
    );
    let mut perturbed = matches.clone();
    perturbed[still_playing].score = Some(Score { home: 0, away: 6 });
    let t = build_features(&perturbed, &StatsById::new(), far_future(), &config).unwrap();
    assert!(same_bits(&t.rows[at_eight], &base.rows[at_eight]));
    assert!(!same_bits(&t.rows[next_day], &base.rows[next_day]));
}

#[test]
fn a_result_is_visible_at_as_of_only_once_the_match_is_over() {
    let m = game(5, "A", "B", Some((1, 0)));
    let over = crate::split::result_known_at(m.kickoff);
    assert_eq!(over - m.kickoff, crate::split::RESULT_KNOWN_AFTER);
    assert_eq!(
        crate::split::visible_score(&m, m.kickoff + Duration::minutes(90)),
        None
    );
    assert_eq!(crate::split::visible_score(&m, over), m.score);
}

#[test]
fn a_postponed_match_gives_no_rest_but_a_scheduled_one_does() {
    let config = FeatureConfig::default();
    let rest = |matches: &[Match], as_of| {
        let t = build_features(matches, &StatsById::new(), as_of, &config).unwrap();
        t.rows[2][t.column("rest_days_home").unwrap()]
    };
    // A played on the 1st; its match of the 5th has no result although its
    // day has passed (postponed, replayed later under another id); then the
    // 10th.
    let postponed = [
        game(1, "A", "B", Some((1, 0))),
        game(5, "A", "C", None),
        game(10, "A", "D", Some((2, 2))),
    ];
    assert_eq!(rest(&postponed, far_future()), 9.0);
    // Seen from the 3rd, the 5th is a fixture still to come: rest from it.
    let as_of = Utc.with_ymd_and_hms(2020, 9, 3, 0, 0, 0).unwrap();
    assert_eq!(rest(&postponed, as_of), 5.0);
}

#[test]
fn as_of_hides_future_results() {
    let data = generate(&SyntheticConfig::default());
    let config = FeatureConfig::default();
    let as_of = data.matches[data.matches.len() / 2].kickoff + Duration::hours(1);

    let with_scores = build_features(&data.matches, &StatsById::new(), as_of, &config).unwrap();
    let mut blanked = data.matches.clone();
    for m in &mut blanked {
        // Kicked off an hour before `as_of` counts as still being played.
        if crate::split::result_known_at(m.kickoff) > as_of {
            m.score = None;
        }
    }
    let without = build_features(&blanked, &StatsById::new(), as_of, &config).unwrap();
    assert_eq!(with_scores.match_ids, without.match_ids);
    for (a, b) in with_scores.rows.iter().zip(&without.rows) {
        assert!(same_bits(a, b));
    }
    // Sanity: seeing those results would have changed some future rows.
    let all_known =
        build_features(&data.matches, &StatsById::new(), far_future(), &config).unwrap();
    let differs =
        data.matches.iter().enumerate().any(|(i, m)| {
            m.kickoff > as_of && !same_bits(&all_known.rows[i], &with_scores.rows[i])
        });
    assert!(differs);
}

/// Synthetic statistics for every played match, derived from its id and goals.
fn synthetic_stats(matches: &[Match]) -> StatsById {
    matches
        .iter()
        .filter_map(|m| {
            let s = m.score?;
            let noise = (m.id.rem_euclid(7)) as u16;
            let (h, a) = (u16::from(s.home), u16::from(s.away));
            Some((
                m.id,
                MatchStats {
                    shots: Some([8 + 2 * h + noise, 8 + 2 * a]),
                    shots_on_target: Some([2 + h, 2 + a + noise % 3]),
                    corners: noise.is_multiple_of(2).then_some([4 + noise, 5]),
                },
            ))
        })
        .collect()
}

#[test]
fn shot_block_uses_only_earlier_matches_statistics() {
    let data = generate(&SyntheticConfig::default());
    let config = FeatureConfig {
        shot_windows: vec![3, 10],
        stat_strength: Some(DixonColesParams::default()),
        ..FeatureConfig::default()
    };
    let stats = synthetic_stats(&data.matches);
    let base = build_features(&data.matches, &stats, far_future(), &config).unwrap();
    let first_shot = base.column("shot_diff_shots_for_3").unwrap();
    assert_eq!(base.names.len() - first_shot, 12 + STRENGTH_STATS.len());
    let sot = base.column("sot_log_ratio").unwrap();
    for c in [first_shot, sot, sot + 1, sot + 2] {
        assert!(base.rows.iter().any(|r| r[c].is_finite()));
    }
    for k in [0, 41, data.matches.len() / 2, data.matches.len() - 1] {
        let mut perturbed = stats.clone();
        let s = perturbed.get_mut(&data.matches[k].id).unwrap();
        s.shots = Some([40, 0]);
        s.shots_on_target = Some([300, 0]);
        s.corners = None;
        let t = build_features(&data.matches, &perturbed, far_future(), &config).unwrap();
        assert_only_later_rows_change(&data.matches, k, &base, &t);
    }
    // The shots-on-target column follows shots on target alone: a team that
    // had 300 of them expects more next time.
    let mut perturbed = stats.clone();
    let k = 41;
    let team = &data.matches[k].home_team;
    perturbed
        .get_mut(&data.matches[k].id)
        .unwrap()
        .shots_on_target = Some([300, 0]);
    let t = build_features(&data.matches, &perturbed, far_future(), &config).unwrap();
    let next = (k + 1..data.matches.len())
        .find(|&i| {
            data.matches[i].home_team == *team && data.matches[i].kickoff > data.matches[k].kickoff
        })
        .unwrap();
    assert!(t.rows[next][sot] > base.rows[next][sot]);
    // Statistics of a match whose result is not visible yet are not used.
    let as_of = data.matches[data.matches.len() / 2].kickoff + Duration::hours(1);
    let hidden = build_features(&data.matches, &stats, as_of, &config).unwrap();
    let visible_only: StatsById = stats
        .iter()
        .filter(|(id, _)| {
            data.matches
                .iter()
                .any(|m| m.id == **id && m.kickoff <= as_of)
        })
        .map(|(id, s)| (*id, *s))
        .collect();
    let same = build_features(&data.matches, &visible_only, as_of, &config).unwrap();
    for (a, b) in hidden.rows.iter().zip(&same.rows) {
        assert!(same_bits(a, b));
    }
}

#[test]
fn closed_doors_get_an_indicator_and_keep_the_no_leakage_rule() {
    // Three seasons from August 2019: the restart and 2020-21 fall inside.
    let data = generate(&SyntheticConfig {
        start: Utc.with_ymd_and_hms(2019, 8, 3, 14, 0, 0).unwrap(),
        ..SyntheticConfig::default()
    });
    let config = FeatureConfig {
        closed_doors: true,
        ..FeatureConfig::default()
    };
    let base = build_features(&data.matches, &StatsById::new(), far_future(), &config).unwrap();
    let col = base.column("closed_doors").unwrap();
    assert_eq!(col, base.names.len() - 1);
    let closed: Vec<usize> = (0..data.matches.len())
        .filter(|&i| crowds::behind_closed_doors(data.matches[i].kickoff))
        .collect();
    assert!(!closed.is_empty() && closed.len() < data.matches.len());
    for (i, row) in base.rows.iter().enumerate() {
        assert_eq!(row[col], f64::from(u8::from(closed.contains(&i))));
    }
    // Results behind closed doors feed later rows only, like any other.
    let ks = [closed[0], closed[closed.len() / 2], data.matches.len() - 1];
    assert_results_reach_only_later_rows(&data.matches, &config, &base, &ks);
    // The rate model's own shift: without the flag, the Dixon-Coles columns
    // agree until the first closed-doors result is known, and not after.
    let plain = build_features(
        &data.matches,
        &StatsById::new(),
        far_future(),
        &FeatureConfig::default(),
    )
    .unwrap();
    let dc = base.column("dc_home").unwrap();
    let first = data.matches[closed[0]].kickoff;
    for (i, m) in data.matches.iter().enumerate() {
        if m.kickoff <= first {
            assert!(same_bits(&base.rows[i][..col], &plain.rows[i]));
        }
    }
    assert!((0..data.matches.len()).any(|i| base.rows[i][dc] != plain.rows[i][dc]));
}
