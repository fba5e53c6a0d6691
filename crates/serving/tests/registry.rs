//! The model registry: validation at publish (nothing changes on refusal),
//! versions, aliases, the promotion gate, rollback, and admin's routes.

mod support;

use matchday_core::kv::{KvRead, KvWrite, MemoryKv};
use matchday_core::stats::paired_standard_error;
use matchday_serving::admin::{self, ModelAction};
use matchday_serving::registry::{self, Alias, PromoteRequest, RegistryError};
use matchday_serving::upload::ModelUpload;
use support::*;

fn refused(kv: &MemoryKv, upload: &ModelUpload) -> String {
    let before = kv.keys();
    match block_on(registry::publish(
        kv,
        upload,
        Some(Alias::Champion),
        true,
        0.01,
        NOW,
    )) {
        Err(RegistryError::Invalid(message)) => {
            assert_eq!(kv.keys(), before, "a refused publish must write nothing");
            message
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn champion(kv: &MemoryKv) -> Option<u64> {
    block_on(registry::read_alias(kv, Alias::Champion))
        .unwrap()
        .map(|p| p.version)
}

#[test]
fn broken_models_are_refused_and_the_champion_keeps_its_version() {
    let kv = MemoryKv::new();
    let v1 = publish(&kv, &logreg(), None);
    assert_eq!(champion(&kv), Some(v1));
    let card = fixture("model_card.json");

    let mut corrupt = fixture("model.onnx");
    corrupt.truncate(corrupt.len() / 2);
    let message = refused(
        &kv,
        &ModelUpload {
            onnx: corrupt,
            card: card.clone(),
            holdout: None,
        },
    );
    assert!(message.contains("could not be loaded"), "{message}");
    let message = refused(
        &kv,
        &ModelUpload {
            onnx: b"not onnx at all".to_vec(),
            card: card.clone(),
            holdout: None,
        },
    );
    assert!(message.contains("could not be loaded"), "{message}");

    let message = refused(
        &kv,
        &ModelUpload {
            onnx: fixture("narrow_model.onnx"),
            card: card.clone(),
            holdout: None,
        },
    );
    assert!(
        message.contains("takes 5 features per row, the card lists 6"),
        "{message}"
    );

    let message = refused(
        &kv,
        &ModelUpload {
            onnx: fixture("nan_model.onnx"),
            card: card.clone(),
            holdout: None,
        },
    );
    assert!(
        message.contains("dry run") && message.contains("not a probability vector"),
        "{message}"
    );

    let no_fill = String::from_utf8(card.clone()).unwrap().replacen(
        "\"fill_value\": 0.0113",
        "\"fill_value\": null, \"x\": 0.0113",
        1,
    );
    let message = refused(
        &kv,
        &ModelUpload {
            onnx: fixture("model.onnx"),
            card: no_fill.into_bytes(),
            holdout: None,
        },
    );
    assert!(message.contains("fill_value"), "{message}");
    let message = refused(
        &kv,
        &ModelUpload {
            onnx: fixture("model.onnx"),
            card: b"{\"name\": 1}".to_vec(),
            holdout: None,
        },
    );
    assert!(message.contains("card"), "{message}");

    // A training window `GET /predict/{id}` could not read.
    for (train_from, as_of, says) in [
        (
            "2006-07-01T00:00:00Z",
            "2023-04-01",
            "data_window.as_of must be an RFC 3339 time",
        ),
        (
            "2023-04-01T00:00:00Z",
            "2006-07-01T00:00:00Z",
            "is after data_window.as_of",
        ),
    ] {
        let mut windowed: serde_json::Value = serde_json::from_slice(&card).unwrap();
        windowed["data_window"]["train_from"] = train_from.into();
        windowed["data_window"]["as_of"] = as_of.into();
        let message = refused(
            &kv,
            &ModelUpload {
                onnx: fixture("model.onnx"),
                card: serde_json::to_vec(&windowed).unwrap(),
                holdout: None,
            },
        );
        assert!(message.contains(says), "{message}");
    }

    assert_eq!(champion(&kv), Some(v1));
    assert_eq!(
        block_on(registry::read_index(&kv)).unwrap().versions.len(),
        1
    );
}

#[test]
fn versions_count_up_and_a_reupload_is_recognised() {
    let kv = MemoryKv::new();
    let first = block_on(registry::publish(
        &kv,
        &logreg(),
        Some(Alias::Candidate),
        false,
        0.01,
        NOW,
    ))
    .unwrap();
    assert_eq!((first.version, first.already_registered), (1, false));
    // The first model of a deployment also becomes champion.
    let moved: Vec<(&str, u64)> = first
        .aliases
        .iter()
        .map(|m| (m.alias.as_str(), m.version))
        .collect();
    assert_eq!(moved, vec![("candidate", 1), ("champion", 1)]);
    assert_eq!(first.entry.n_features, 6);
    assert_eq!(first.entry.onnx_sha256.len(), 64);

    let again = block_on(registry::publish(
        &kv,
        &logreg(),
        Some(Alias::Candidate),
        false,
        0.01,
        NOW,
    ))
    .unwrap();
    assert_eq!((again.version, again.already_registered), (1, true));
    assert!(again.aliases.iter().all(|m| m.unchanged));

    // Files left by a publish that never registered are skipped, not reused.
    block_on(matchday_core::kv::KvWrite::set(
        &kv,
        "model/v/2/card",
        b"{}",
    ))
    .unwrap();
    assert_eq!(publish(&kv, &trees(), None), 3);
    assert_eq!(champion(&kv), Some(1));
}

fn promote(
    kv: &MemoryKv,
    alias: Alias,
    version: u64,
    force: bool,
    tolerance: f64,
) -> Result<registry::AliasMove, RegistryError> {
    block_on(registry::promote(
        kv,
        &PromoteRequest {
            alias,
            version,
            force,
        },
        tolerance,
        NOW,
    ))
}

#[test]
fn the_gate_promotes_to_champion_only_within_the_tolerance() {
    let kv = MemoryKv::new();
    let base = with_log_loss(&logreg(), Some(1.00));
    let v1 = publish(&kv, &base, None);
    let worse = publish(
        &kv,
        &with_log_loss(&logreg(), Some(1.02)),
        Some(Alias::Candidate),
    );
    let close = publish(&kv, &with_log_loss(&logreg(), Some(1.005)), None);
    let unknown = publish(&kv, &with_log_loss(&logreg(), None), None);

    match promote(&kv, Alias::Champion, worse, false, 0.01) {
        Err(RegistryError::Refused(gate)) => {
            assert!(!gate.passed && !gate.forced);
            assert_eq!(
                (gate.candidate_log_loss, gate.champion_log_loss),
                (Some(1.02), Some(1.00))
            );
            assert!(gate.message.contains("beyond"), "{}", gate.message);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(champion(&kv), Some(v1));
    // The tolerance is the caller's (a Spin variable in admin).
    assert!(promote(&kv, Alias::Champion, worse, false, 0.05).is_ok());
    block_on(registry::rollback(&kv, Alias::Champion, NOW)).unwrap();
    assert_eq!(champion(&kv), Some(v1));

    let moved = promote(&kv, Alias::Champion, close, false, 0.01).unwrap();
    assert!(moved.gate.as_ref().unwrap().passed && !moved.forced);
    assert!(matches!(
        promote(&kv, Alias::Champion, unknown, false, 0.01),
        Err(RegistryError::Refused(_))
    ));

    // --force overrides, and says so in the pointer.
    let forced = promote(&kv, Alias::Champion, worse, true, 0.01).unwrap();
    assert!(forced.forced && forced.gate.unwrap().forced);
    assert!(
        block_on(registry::read_alias(&kv, Alias::Champion))
            .unwrap()
            .unwrap()
            .forced
    );
    // Other aliases have no gate.
    assert!(
        !promote(&kv, Alias::Challenger, unknown, false, 0.0)
            .unwrap()
            .forced
    );
    assert!(matches!(
        promote(&kv, Alias::Challenger, 99, false, 0.0),
        Err(RegistryError::NotFound(_))
    ));
}

/// The card with a holdout of `n` matches from `from` to `to` (as the
/// sidecar's cards record it in `data_window`) and its own run id.
fn with_holdout(log_loss: f64, from: &str, to: &str, n: u64) -> ModelUpload {
    let upload = with_log_loss(&logreg(), Some(log_loss));
    let mut card: serde_json::Value = serde_json::from_slice(&upload.card).unwrap();
    card["data_window"]["test_from"] = format!("{from}T14:00:00Z").into();
    card["data_window"]["test_to"] = format!("{to}T19:00:00Z").into();
    card["test_metrics"]["n"] = n.into();
    card["run_id"] = format!("run-{from}-{log_loss}").into();
    ModelUpload {
        onnx: upload.onnx,
        card: serde_json::to_vec(&card).unwrap(),
        holdout: None,
    }
}

#[test]
fn the_gate_says_whether_two_log_losses_are_on_the_same_matches() {
    let kv = MemoryKv::new();
    publish(
        &kv,
        &with_holdout(1.0, "2021-08-06", "2023-03-31", 6150),
        None,
    );
    let same = publish(
        &kv,
        &with_holdout(1.001, "2021-08-06", "2023-03-31", 6150),
        None,
    );
    let later = publish(
        &kv,
        &with_holdout(1.002, "2022-08-05", "2023-03-31", 3482),
        None,
    );

    let gate = promote(&kv, Alias::Champion, same, false, 0.01)
        .unwrap()
        .gate
        .unwrap();
    assert!(
        gate.message
            .contains("on the same holdout (2021-08-06 … 2023-03-31, n = 6150)"),
        "{}",
        gate.message
    );
    let gate = promote(&kv, Alias::Champion, later, false, 0.01)
        .unwrap()
        .gate
        .unwrap();
    assert!(
        gate.message.contains(
            "on different matches (2022-08-05 … 2023-03-31, n = 3482, against 2021-08-06 … 2023-03-31, n = 6150)"
        ),
        "{}",
        gate.message
    );
    // A card without the window (a model of one's own) is judged as before.
    let plain = publish(&kv, &with_log_loss(&logreg(), Some(1.0)), None);
    let gate = promote(&kv, Alias::Champion, plain, false, 0.01)
        .unwrap()
        .gate
        .unwrap();
    assert!(
        !gate.message.contains("holdout (") && !gate.message.contains("different"),
        "{}",
        gate.message
    );
    let listed = block_on(registry::read_index(&kv)).unwrap();
    assert_eq!(
        listed.get(later).unwrap().holdout_window.as_deref(),
        Some("2022-08-05 … 2023-03-31, n = 3482")
    );
}

/// `n` finished matches from 2022-05-01, one every 12 hours, cycling
/// through the 15 fixture rows; each result is the outcome the tree
/// fixture thought least likely, so the trees score clearly worse than the
/// logistic regression. Returns the rows and, per model, the expected
/// log-loss of the rows after `after` from the fixtures' own probabilities
/// (onnxruntime's), not from our inference.
fn finished_matches(n: usize, after: &str) -> (Vec<Finished>, f64, f64, usize, f64) {
    let logreg_rows = json_fixture("expected.json")["rows"].clone();
    let tree_rows = json_fixture("gbt_expected.json")["rows"].clone();
    let start = chrono::DateTime::parse_from_rfc3339("2022-05-01T15:00:00Z").unwrap();
    let after = chrono::DateTime::parse_from_rfc3339(after).unwrap();
    let (mut logreg_losses, mut tree_losses) = (Vec::new(), Vec::new());
    let mut rows = Vec::new();
    for i in 0..n {
        let k = i % 15;
        let p = |rows: &serde_json::Value, class: usize| {
            rows[k]["probabilities"][class].as_f64().unwrap()
        };
        let outcome = (0..3)
            .min_by(|&a, &b| p(&tree_rows, a).total_cmp(&p(&tree_rows, b)))
            .unwrap();
        let kickoff = start + chrono::Duration::hours(12 * i as i64);
        if kickoff > after {
            logreg_losses.push(-p(&logreg_rows, outcome).ln());
            tree_losses.push(-p(&tree_rows, outcome).ln());
        }
        rows.push(Finished {
            kickoff: kickoff
                .to_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            outcome: outcome as u8,
            features: logreg_rows[k]["features"].clone(),
        });
    }
    let n = logreg_losses.len();
    let mean = |l: &[f64]| l.iter().sum::<f64>() / n as f64;
    let se = paired_standard_error(&tree_losses, &logreg_losses);
    (rows, mean(&logreg_losses), mean(&tree_losses), n, se)
}

/// The logistic regression as champion, its card saying 1.00 and its
/// training ending on 2021-05-23, and the trees registered beside it with
/// `trees_log_loss` in a card whose training ends a year later.
fn a_year_apart(kv: &MemoryKv, trees_log_loss: f64) -> (u64, u64) {
    let logreg_v = publish(
        kv,
        &trained_to(&logreg(), 1.00, "2021-05-23T19:00:00Z"),
        None,
    );
    let trees_v = publish(
        kv,
        &trained_to(&trees(), trees_log_loss, "2022-05-29T19:00:00Z"),
        None,
    );
    (logreg_v, trees_v)
}

#[test]
fn the_gate_rescores_both_models_on_the_same_unseen_matches() {
    let kv = MemoryKv::new();
    // The cards flatter the trees (0.90 against 1.00), and the trees were
    // trained a year later, so their cards' holdouts are other matches.
    let (champion_v, trees_v) = a_year_apart(&kv, 0.90);
    // 700 matches from 2022-05-01; those up to the trees' window's end are
    // left out, as the trees may have seen them.
    let (rows, logreg_loss, tree_loss, common, difference_se) =
        finished_matches(700, "2022-05-29T19:00:00Z");
    assert!(tree_loss > logreg_loss + 0.1, "the fixture's premise");
    publish_recent_results(&kv, "d7", &rows);

    let gate = match promote(&kv, Alias::Champion, trees_v, false, 0.01) {
        Err(RegistryError::Refused(gate)) => gate,
        other => panic!("the re-score must refuse the trees: {other:?}"),
    };
    let rescored = gate.rescored.clone().expect("re-scored");
    assert_eq!(rescored.matches, common);
    assert_eq!(rescored.data_version, "d7");
    assert_eq!(
        (
            rescored.first_kickoff.as_str(),
            rescored.last_kickoff.as_str()
        ),
        ("2022-05-30", "2023-04-16")
    );
    assert!(
        (rescored.candidate_log_loss - tree_loss).abs() < 1e-5,
        "{rescored:?} vs {tree_loss}"
    );
    assert!(
        (rescored.champion_log_loss - logreg_loss).abs() < 1e-5,
        "{rescored:?} vs {logreg_loss}"
    );
    assert!(
        difference_se > 0.0 && (rescored.difference_standard_error - difference_se).abs() < 1e-6,
        "{rescored:?} vs {difference_se}"
    );
    assert_eq!(gate.candidate_log_loss, Some(rescored.candidate_log_loss));
    assert!(
        gate.message.contains(&format!(
            "(difference {:+.5} ± {difference_se:.5}, one paired standard error) on the same {common} finished matches after both training windows (2022-05-30 … 2023-04-16, data version d7): beyond",
            rescored.candidate_log_loss - rescored.champion_log_loss
        )),
        "{}",
        gate.message
    );
    assert_eq!(champion(&kv), Some(champion_v));
    // Within a wide enough tolerance it passes, on the same figures.
    let moved = promote(&kv, Alias::Champion, trees_v, false, 0.2).unwrap();
    assert_eq!(moved.gate.unwrap().rescored, Some(rescored));
    assert_eq!(champion(&kv), Some(trees_v));

    // The same model under a card that says 5.0 scores the same: it passes.
    let same = publish(
        &kv,
        &trained_to(&trees(), 5.0, "2022-01-02T19:00:00Z"),
        None,
    );
    let gate = promote(&kv, Alias::Champion, same, false, 0.0)
        .unwrap()
        .gate
        .unwrap();
    let rescored = gate.rescored.unwrap();
    assert_eq!(rescored.candidate_log_loss, rescored.champion_log_loss);
    assert_eq!(rescored.difference_standard_error, 0.0, "the same model");
    assert_eq!(
        rescored.matches, common,
        "after the later of the two windows"
    );
}

#[test]
fn without_enough_common_matches_the_gate_judges_by_the_cards_and_says_why() {
    let kv = MemoryKv::new();
    let (_, late) = a_year_apart(&kv, 0.99);
    // Promotes the trees (the cards pass them), then rolls back, and
    // returns what the gate said.
    let gate_says = |kv: &MemoryKv| {
        let gate = promote(kv, Alias::Champion, late, false, 0.01)
            .unwrap()
            .gate
            .unwrap();
        block_on(registry::rollback(kv, Alias::Champion, NOW)).unwrap();
        assert!(gate.rescored.is_none());
        assert_eq!(
            (gate.candidate_log_loss, gate.champion_log_loss),
            (Some(0.99), Some(1.0))
        );
        gate.message
    };
    let message = gate_says(&kv);
    assert!(
        message.ends_with("(by the cards; not re-scored: no data version is live)"),
        "{message}"
    );

    // A data version published before recent results existed.
    publish_features(&kv);
    let message = gate_says(&kv);
    assert!(
        message.contains("not re-scored: data version d1 was published without recent results"),
        "{message}"
    );

    // 330 matches, of which 273 after the trees' window.
    let (rows, _, _, common, _) = finished_matches(330, "2022-05-29T19:00:00Z");
    assert_eq!(common, 273);
    publish_recent_results(&kv, "d8", &rows);
    let message = gate_says(&kv);
    assert!(
        message.contains(&format!(
            "not re-scored: data version d8 has {common} finished matches after both training windows (after 2022-05-29), fewer than the 300 a re-score needs"
        )),
        "{message}"
    );

    // A card that does not say when its training data ends.
    let (rows, ..) = finished_matches(700, "2022-05-29T19:00:00Z");
    publish_recent_results(&kv, "d9", &rows);
    let own = publish(&kv, &with_log_loss(&logreg(), Some(0.95)), None);
    let message = promote(&kv, Alias::Champion, own, false, 0.01)
        .unwrap()
        .gate
        .unwrap()
        .message;
    assert!(
        message.contains(&format!(
            "not re-scored: the card of version {own} does not say when its training data ends (data_window.train_to)"
        )),
        "{message}"
    );
}

/// `upload` as the sidecar now trains it: the served fit has seen every
/// finished match (its window ends after all of `finished_matches`), and
/// `holdout` (a fixture taking the same features) stands in for its
/// holdout fit, trained to `holdout_to`.
fn with_holdout_fit(
    upload: &ModelUpload,
    holdout: &ModelUpload,
    log_loss: f64,
    holdout_to: &str,
) -> ModelUpload {
    let served = trained_to(upload, log_loss, "2023-06-01T19:00:00Z");
    let mut card: serde_json::Value = serde_json::from_slice(&served.card).unwrap();
    card["data_window"]["holdout_train_to"] = holdout_to.into();
    ModelUpload {
        holdout: Some(holdout.onnx.clone()),
        card: serde_json::to_vec(&card).unwrap(),
        ..served
    }
}

#[test]
fn when_the_served_fits_have_seen_every_result_the_gate_rescores_their_holdout_fits() {
    let kv = MemoryKv::new();
    let (rows, logreg_loss, tree_loss, common, _) = finished_matches(700, "2022-05-29T19:00:00Z");
    publish_recent_results(&kv, "d7", &rows);
    // Each version's holdout is the other fixture, so scoring a served
    // file where a holdout is meant shows in the figures.
    let (trees_holdout, logreg_holdout) = (trees(), logreg());
    let champion_v = publish(
        &kv,
        &with_holdout_fit(&trees(), &logreg_holdout, 1.00, "2021-05-23T19:00:00Z"),
        None,
    );
    let logreg_v = publish(
        &kv,
        &with_holdout_fit(&logreg(), &trees_holdout, 0.90, "2022-05-29T19:00:00Z"),
        None,
    );
    assert!(
        block_on(kv.get(&format!("model/v/{logreg_v}/holdout-onnx")))
            .unwrap()
            .is_some()
    );
    let gate = match promote(&kv, Alias::Champion, logreg_v, false, 0.01) {
        Err(RegistryError::Refused(gate)) => gate,
        other => panic!("the holdout fits' re-score must refuse it: {other:?}"),
    };
    let rescored = gate.rescored.clone().expect("re-scored");
    assert_eq!(rescored.fits, registry::Fits::Holdout);
    assert_eq!(rescored.matches, common, "after the later holdout window");
    assert!((rescored.candidate_log_loss - tree_loss).abs() < 1e-5);
    assert!((rescored.champion_log_loss - logreg_loss).abs() < 1e-5);
    assert!(
        gate.message.starts_with("holdout fit's log-loss")
            && gate.message.contains(&format!(
                "on the same {common} finished matches after both holdout fits' training windows"
            ))
            && gate
                .message
                .contains("the served fits have fewer than 300 common unseen matches"),
        "{}",
        gate.message
    );
    assert_eq!(champion(&kv), Some(champion_v));

    // Without a holdout fit on one side, the cards judge, and say why.
    let no_holdout = ModelUpload {
        holdout: None,
        ..with_holdout_fit(&trees(), &trees_holdout, 0.95, "2022-05-29T19:00:00Z")
    };
    let plain = publish(&kv, &no_holdout, None);
    let gate = promote(&kv, Alias::Champion, plain, false, 0.01)
        .unwrap()
        .gate
        .unwrap();
    assert!(gate.rescored.is_none());
    assert!(
        gate.message.contains(
            "not re-scored: data version d7 has 0 finished matches after both training windows"
        ),
        "{}",
        gate.message
    );
}

#[test]
fn a_holdout_fit_needs_its_window_on_the_card() {
    let kv = MemoryKv::new();
    let upload = ModelUpload {
        holdout: Some(logreg().onnx),
        ..logreg()
    };
    let message = refused(&kv, &upload);
    assert!(
        message.contains("data_window.holdout_train_to"),
        "{message}"
    );
    let with_holdout = with_holdout_fit(&logreg(), &logreg(), 1.0, "2021-05-23T19:00:00Z");
    let broken = ModelUpload {
        holdout: Some(b"not onnx".to_vec()),
        ..with_holdout.clone()
    };
    let message = refused(&kv, &broken);
    assert!(message.starts_with("holdout model: "), "{message}");

    // Registered without it, the same files again bring the holdout fit;
    // a version number whose files a cut-short publish left is skipped,
    // so no version inherits another's holdout.
    let plain = ModelUpload {
        holdout: None,
        ..with_holdout.clone()
    };
    let v = publish(&kv, &plain, None);
    let key = |v: u64| format!("model/v/{v}/holdout-onnx");
    assert!(block_on(kv.get(&key(v))).unwrap().is_none());
    assert_eq!(publish(&kv, &with_holdout, None), v, "already registered");
    assert!(block_on(kv.get(&key(v))).unwrap().is_some());
    block_on(kv.set(&key(v + 1), b"left by a publish cut short")).unwrap();
    assert_eq!(publish(&kv, &trees(), None), v + 2);
    assert!(block_on(kv.get(&key(v + 2))).unwrap().is_none());
}

#[test]
fn a_store_failure_during_the_rescore_fails_the_promotion_and_changes_nothing() {
    let kv = MemoryKv::new();
    let (champion_v, trees_v) = a_year_apart(&kv, 0.90);
    let (rows, ..) = finished_matches(700, "2022-05-29T19:00:00Z");
    publish_recent_results(&kv, "d7", &rows);
    let request = PromoteRequest {
        alias: Alias::Champion,
        version: trees_v,
        force: true,
    };
    kv.fail_reads_of("/recent/");
    let result = block_on(registry::promote(&kv, &request, 0.01, NOW));
    kv.fail_reads(false);
    // Not a verdict by the cards: the store failed, so the gate could not look.
    assert!(matches!(result, Err(RegistryError::Store(_))), "{result:?}");
    assert_eq!(champion(&kv), Some(champion_v));
}

#[test]
fn rollback_walks_an_alias_back_through_its_versions() {
    let kv = MemoryKv::new();
    let v1 = publish(&kv, &logreg(), None);
    let v2 = publish(&kv, &trees(), None);
    let v3 = publish(&kv, &with_log_loss(&logreg(), Some(0.5)), None);
    promote(&kv, Alias::Champion, v2, true, 0.01).unwrap();
    promote(&kv, Alias::Champion, v3, true, 0.01).unwrap();
    let back = block_on(registry::rollback(&kv, Alias::Champion, NOW)).unwrap();
    assert_eq!((back.version, back.previous_version), (v2, Some(v3)));
    assert_eq!(champion(&kv), Some(v2));
    block_on(registry::rollback(&kv, Alias::Champion, NOW)).unwrap();
    assert_eq!(champion(&kv), Some(v1));
    assert!(matches!(
        block_on(registry::rollback(&kv, Alias::Champion, NOW)),
        Err(RegistryError::Conflict(_))
    ));
    assert!(matches!(
        block_on(registry::rollback(&kv, Alias::Challenger, NOW)),
        Err(RegistryError::Conflict(_))
    ));
}

#[test]
fn admin_routes_publish_list_promote_and_roll_back() {
    let kv = MemoryKv::new();
    let run =
        |action: ModelAction, body: &[u8]| block_on(admin::execute(action, body, &kv, 0.01, NOW));
    let packed = logreg().pack().unwrap();
    let publish = ModelAction::Publish {
        alias: Some(Alias::Candidate),
        force: false,
    };
    assert_eq!(run(publish.clone(), &packed).status, 201);
    assert_eq!(run(publish.clone(), &packed).status, 200);
    assert_eq!(
        error(&run(publish.clone(), b"garbage"), 422).0,
        "invalid_model"
    );
    let worse = with_log_loss(&trees(), Some(9.0)).pack().unwrap();
    let published = run(
        ModelAction::Publish {
            alias: Some(Alias::Champion),
            force: false,
        },
        &worse,
    );
    let (code, _) = error(&published, 409);
    assert_eq!(code, "promotion_refused");
    // Refused at the gate, but registered: it can be promoted later.
    let list = body(&run(ModelAction::List, b""));
    assert_eq!(list["versions"].as_array().unwrap().len(), 2);
    assert_eq!(list["aliases"]["champion"]["version"], 1);

    let promoted = run(ModelAction::Promote(Alias::Champion), br#"{"version": 2}"#);
    assert_eq!(error(&promoted, 409).0, "promotion_refused");
    let promoted = run(
        ModelAction::Promote(Alias::Champion),
        br#"{"version": 2, "force": true}"#,
    );
    assert_eq!(promoted.status, 200);
    assert_eq!(body(&promoted)["forced"], true);
    assert_eq!(
        error(
            &run(
                ModelAction::Promote(Alias::Champion),
                br#"{"version": "2"}"#
            ),
            422
        )
        .0,
        "invalid_model"
    );
    assert_eq!(
        error(
            &run(ModelAction::Promote(Alias::Champion), br#"{"version": 7}"#),
            404
        )
        .0,
        "not_found"
    );
    let back = run(ModelAction::Rollback(Alias::Champion), b"");
    assert_eq!(body(&back)["version"], 1);
    assert_eq!(
        error(&run(ModelAction::Rollback(Alias::Challenger), b""), 409).0,
        "conflict"
    );
    assert!(block_on(kv.get("model/alias/champion")).unwrap().is_some());
}

#[test]
fn a_versions_entry_is_read_from_its_own_key_or_else_from_the_index() {
    let kv = MemoryKv::new();
    let v1 = publish(&kv, &logreg(), None);
    let listed = block_on(registry::read_index(&kv)).unwrap();
    let own = block_on(registry::read_entry(&kv, v1)).unwrap();
    assert_eq!(own.as_ref(), listed.get(v1));
    // A version registered before entries had their own key.
    block_on(kv.delete(&registry::keys::entry_key(v1))).unwrap();
    let legacy = block_on(registry::read_entry(&kv, v1)).unwrap();
    assert_eq!(legacy.as_ref(), listed.get(v1));
    assert_eq!(block_on(registry::read_entry(&kv, v1 + 1)).unwrap(), None);

    // Such a version gets its key when an alias moves to it, by a promotion
    // or a rollback, so requests stop needing the index for it.
    let has_key = |v: u64| {
        block_on(kv.get(&registry::keys::entry_key(v)))
            .unwrap()
            .is_some()
    };
    promote(&kv, Alias::Challenger, v1, false, 0.01).unwrap();
    assert!(has_key(v1), "written by the promotion");
    let v2 = publish(&kv, &trees(), None);
    promote(&kv, Alias::Champion, v2, true, 0.01).unwrap();
    block_on(kv.delete(&registry::keys::entry_key(v1))).unwrap();
    block_on(registry::rollback(&kv, Alias::Champion, NOW)).unwrap();
    assert_eq!(champion(&kv), Some(v1));
    assert!(has_key(v1), "written by the rollback");
    // A version an alias already names gets it from a re-promotion (which
    // changes nothing else) or from any registration.
    block_on(kv.delete(&registry::keys::entry_key(v1))).unwrap();
    let again = promote(&kv, Alias::Champion, v1, false, 0.01).unwrap();
    assert!(again.unchanged && has_key(v1), "written by a re-promotion");
    block_on(kv.delete(&registry::keys::entry_key(v1))).unwrap();
    publish(&kv, &with_log_loss(&logreg(), Some(0.5)), None);
    assert!(has_key(v1), "written by a registration");
}
