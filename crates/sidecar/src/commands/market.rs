//! `matchday odds | feed | roi`: the market artifacts of a publish.
//!
//! - `odds`: football-data prices from the store (and the linked feed's, if
//!   `feed` ran) for the matches that get cards → `odds.parquet`.
//! - `feed`: one snapshot of a bookmaker feed (HTTP, or a recorded file),
//!   linked to the store's matches → `links.parquet`, `feed_odds.parquet`,
//!   `unlinked_events.json`, and the raw snapshot under `feed/`.
//! - `roi`: flat-stake betting over the finished matches of the test period
//!   → `roi_by_region.parquet`.

use crate::workdir::WorkDir;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, Utc};
use matchday_core::domain::{self, OddsKind as StoreKind};
use matchday_core::margin;
use matchday_core::market::layout::{Grouping, Strategy};
use matchday_core::market::wire::OVERALL;
use matchday_core::types::{
    MatchStatus, MatchSummary, OddsKind, OddsQuote, PrecomputedPrediction, Probabilities,
};
use matchday_data::Store;
use matchday_market::feed::{FeedClient, FeedConfig, events_of};
use matchday_market::linking::{Aliases, Candidate, Linker, LinkerConfig};
use matchday_market::roi::{self, Group, SimConfig, SimMatch};
use matchday_publish::artifacts::{self, format_time};
use matchday_publish::links::{self, LinkRecord};
use matchday_publish::market_records::CARD_SEASONS;
use matchday_publish::odds::{self, OddsRecord};
use matchday_publish::roi::{self as roi_artifact, GroupBy, RoiRecord};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Work file with the linked feed's prices (merged into `odds.parquet`).
pub const FEED_ODDS: &str = "feed_odds.parquet";
/// Work file listing the feed events that were not linked, with reasons.
pub const UNLINKED: &str = "unlinked_events.json";

#[derive(clap::Args, Clone)]
pub struct OddsArgs {
    /// Bookmakers (football-data column prefixes) to publish, opening and
    /// closing prices of each.
    #[arg(long, value_delimiter = ',', default_value = "PS,B365,Avg,BbAv")]
    pub bookmakers: Vec<String>,
}

impl Default for OddsArgs {
    fn default() -> Self {
        OddsArgs {
            bookmakers: ["PS", "B365", "Avg", "BbAv"].map(String::from).to_vec(),
        }
    }
}

#[derive(clap::Args, Clone)]
pub struct FeedArgs {
    /// Base URL of the feed (e.g. http://127.0.0.1:8089).
    #[arg(long, conflicts_with = "snapshot")]
    pub url: Option<String>,
    /// Path of the snapshot under the base URL.
    #[arg(long, default_value = "/events/list?lang=en&scopeMarket=1600")]
    pub path: String,
    /// Replay a recorded snapshot file instead of fetching one.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    /// The bookmaker's name, as stored with its prices and links.
    #[arg(long, default_value = "Fonbet")]
    pub bookmaker: String,
    /// An event's page: `{event}` and `{sport}` are replaced.
    #[arg(long)]
    pub event_url: Option<String>,
    /// The alias table.
    #[arg(long, default_value = "config/team-aliases.toml")]
    pub aliases: PathBuf,
    /// Kick-off window, in hours either side.
    #[arg(long, default_value_t = 24)]
    pub window_hours: i64,
    /// Least name similarity for the similarity layer.
    #[arg(long, default_value_t = LinkerConfig::default().threshold)]
    pub threshold: f64,
    /// Request timeout, seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Retries after a failed request.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
}

#[derive(clap::Args, Clone)]
pub struct RoiArgs {
    /// Value bets need an edge above this (0.05 = 5 percentage points).
    #[arg(long, default_value_t = matchday_core::market::value::VALUE_THRESHOLD)]
    pub threshold: f64,
    /// First kick-off simulated (YYYY-MM-DD). Default: the model's test split,
    /// so that no bet uses an in-sample prediction.
    #[arg(long)]
    pub from: Option<String>,
    /// Bootstrap resamples for the confidence intervals.
    #[arg(long, default_value_t = 2000)]
    pub bootstrap: usize,
}

impl Default for RoiArgs {
    fn default() -> Self {
        RoiArgs {
            threshold: matchday_core::market::value::VALUE_THRESHOLD,
            from: None,
            bootstrap: 2000,
        }
    }
}

fn open_store(data_dir: &Path) -> Result<Store> {
    Store::open(data_dir).with_context(|| format!("opening the store in {}", data_dir.display()))
}

fn published_matches(work: &WorkDir) -> Result<Vec<MatchSummary>> {
    Ok(artifacts::read_matches(
        work.read(artifacts::MATCHES, "features")?.into(),
    )?)
}

fn kind_of(kind: StoreKind) -> OddsKind {
    match kind {
        StoreKind::Opening => OddsKind::Opening,
        StoreKind::Closing => OddsKind::Closing,
    }
}

/// The seasons that get cards (the publish keeps the same window).
fn card_seasons(matches: &[MatchSummary]) -> BTreeSet<String> {
    let all: BTreeSet<&str> = matches.iter().map(|m| m.season.as_str()).collect();
    all.into_iter()
        .rev()
        .take(CARD_SEASONS)
        .map(str::to_string)
        .collect()
}

pub fn odds(data_dir: &Path, args: &OddsArgs) -> Result<()> {
    let work = WorkDir::new(data_dir)?;
    let matches = published_matches(&work)?;
    let seasons = card_seasons(&matches);
    let kickoff: HashMap<i64, &MatchSummary> = matches
        .iter()
        .filter(|m| m.status == MatchStatus::Upcoming || seasons.contains(&m.season))
        .map(|m| (m.match_id, m))
        .collect();
    let wanted: HashSet<&str> = args.bookmakers.iter().map(String::as_str).collect();
    let mut records: Vec<OddsRecord> = open_store(data_dir)?
        .odds()?
        .into_iter()
        .filter(|q| wanted.contains(q.bookmaker.as_str()) && kickoff.contains_key(&q.match_id))
        .filter(|q| margin::implied([q.home, q.draw, q.away], margin::CARD_METHOD).is_ok())
        .map(|q| OddsRecord {
            // Opening ("pre-closing") prices were taken on the Friday or
            // Tuesday before the match, at an hour football-data does not
            // give; closing prices at kick-off.
            captured_at: (q.kind == StoreKind::Closing)
                .then(|| kickoff[&q.match_id].start_time_utc.clone()),
            match_id: q.match_id,
            bookmaker: q.bookmaker,
            kind: kind_of(q.kind),
            home: q.home,
            draw: q.draw,
            away: q.away,
        })
        .collect();
    let from_store = records.len();
    if work.path(FEED_ODDS).exists() {
        records.extend(odds::read(work.read(FEED_ODDS, "feed")?.into())?);
    }
    work.write(odds::ODDS, &odds::write(&records)?)?;
    println!(
        "odds: {from_store} football-data quotes ({}) of {} matches (seasons {} and upcoming) + {} feed quotes → {}",
        args.bookmakers.join(", "),
        records
            .iter()
            .map(|r| r.match_id)
            .collect::<HashSet<_>>()
            .len(),
        seasons.iter().cloned().collect::<Vec<_>>().join(", "),
        records.len() - from_store,
        work.path(odds::ODDS).display()
    );
    Ok(())
}

fn load_aliases(path: &Path) -> Result<Aliases> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Aliases::parse(&text, &path.display().to_string())?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "note: no alias table at {} (linking by exact names and similarity only)",
                path.display()
            );
            Ok(Aliases::default())
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

pub fn feed(data_dir: &Path, args: &FeedArgs) -> Result<()> {
    let work = WorkDir::new(data_dir)?;
    let fetched_at = Utc::now();
    let (snapshot, raw) = match (&args.url, &args.snapshot) {
        (Some(url), None) => {
            let mut config = FeedConfig::new(url.clone());
            config.request_timeout = std::time::Duration::from_secs(args.timeout);
            config.retries = args.retries;
            FeedClient::new(config).snapshot(&args.path)?
        }
        (None, Some(file)) => {
            let raw = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
            let snapshot = matchday_market::feed::Snapshot::parse(&raw)
                .with_context(|| format!("{} is not a feed packet", file.display()))?;
            (snapshot, raw)
        }
        _ => bail!("pass --url (fetch a snapshot) or --snapshot (replay a recorded one)"),
    };
    std::fs::create_dir_all(work.path("feed"))?;
    work.write(
        &format!("feed/{}.json", fetched_at.format("%Y%m%dT%H%M%SZ")),
        &raw,
    )?;
    let (events, ignored) = events_of(&snapshot, &args.bookmaker, args.event_url.as_deref());

    // Candidates: the store's matches around the events' kick-offs.
    let window = Duration::hours(args.window_hours);
    let (Some(first), Some(last)) = (
        events.iter().map(|e| e.start).min(),
        events.iter().map(|e| e.start).max(),
    ) else {
        bail!("the snapshot has no football events");
    };
    let candidates: Vec<Candidate> = open_store(data_dir)?
        .matches()?
        .into_iter()
        .filter(|m| m.kickoff >= first - window && m.kickoff <= last + window)
        .map(|m: domain::Match| Candidate {
            match_id: m.id,
            league: m.league,
            kickoff: m.kickoff,
            home: m.home_team,
            away: m.away_team,
        })
        .collect();
    let config = LinkerConfig {
        window,
        threshold: args.threshold,
        ..LinkerConfig::default()
    };
    let outcome = Linker::new(candidates, load_aliases(&args.aliases)?, config).link(&events);

    let by_event: HashMap<&str, &matchday_market::feed::FeedEvent> =
        events.iter().map(|e| (e.event_id.as_str(), e)).collect();
    let links: Vec<LinkRecord> = outcome
        .links
        .iter()
        .map(|l| {
            let e = by_event[l.event_id.as_str()];
            LinkRecord {
                event_id: l.event_id.clone(),
                bookmaker: l.bookmaker.clone(),
                match_id: l.match_id,
                layer: l.layer.as_str().to_string(),
                score: l.score.clamp(0.0, 1.0),
                event_url: e.url.clone(),
                feed_home: e.home.clone(),
                feed_away: e.away.clone(),
                feed_start: format_time(e.start),
            }
        })
        .collect();
    let prices: Vec<OddsRecord> = outcome
        .links
        .iter()
        .filter_map(|l| {
            let e = by_event[l.event_id.as_str()];
            let odds = e.odds?;
            margin::implied(odds, margin::CARD_METHOD).ok()?;
            Some(OddsRecord {
                match_id: l.match_id,
                bookmaker: l.bookmaker.clone(),
                kind: OddsKind::Current,
                home: odds[0],
                draw: odds[1],
                away: odds[2],
                captured_at: Some(format_time(fetched_at)),
            })
        })
        .collect();
    work.write(links::LINKS, &links::write(&links)?)?;
    work.write(FEED_ODDS, &odds::write(&prices)?)?;
    let report = serde_json::json!({
        "bookmaker": args.bookmaker,
        "fetched_at": format_time(fetched_at),
        "events": events.len(),
        "linked": outcome.links.len(),
        "unlinked": outcome.unlinked,
        "ignored": ignored,
    });
    work.write(UNLINKED, serde_json::to_string_pretty(&report)?.as_bytes())?;
    let per_layer = |name: &str| links.iter().filter(|l| l.layer == name).count();
    println!(
        "feed: {} events, {} linked (exact {}, alias {}, similarity {}), {} unlinked, {} priced → {}, {}",
        events.len(),
        links.len(),
        per_layer("exact"),
        per_layer("alias"),
        per_layer("similarity"),
        outcome.unlinked.len(),
        prices.len(),
        work.path(links::LINKS).display(),
        work.path(UNLINKED).display()
    );
    for u in outcome.unlinked.iter().take(20) {
        println!(
            "  unlinked {} {} v {}: {}",
            u.event_id, u.home, u.away, u.reason
        );
    }
    Ok(())
}

/// Every store quote of the given matches, with margin-free probabilities.
fn quotes_of(store: &Store, ids: &HashSet<i64>) -> Result<HashMap<i64, Vec<OddsQuote>>> {
    let mut out: HashMap<i64, Vec<OddsQuote>> = HashMap::new();
    for q in store.odds()? {
        if !ids.contains(&q.match_id) {
            continue;
        }
        let Ok(p) = margin::implied([q.home, q.draw, q.away], margin::CARD_METHOD) else {
            continue;
        };
        out.entry(q.match_id).or_default().push(OddsQuote {
            match_id: q.match_id,
            bookmaker: q.bookmaker,
            kind: kind_of(q.kind),
            home: q.home,
            draw: q.draw,
            away: q.away,
            implied: Probabilities {
                home_win: p[0],
                draw: p[1],
                away_win: p[2],
            },
            captured_at: None,
            link: None,
        });
    }
    Ok(out)
}

pub fn roi(data_dir: &Path, args: &RoiArgs) -> Result<()> {
    let work = WorkDir::new(data_dir)?;
    let from: DateTime<Utc> = match &args.from {
        Some(raw) => chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .with_context(|| format!("--from must be YYYY-MM-DD, got `{raw}`"))?
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc(),
        None => {
            let config: serde_json::Value =
                serde_json::from_slice(&work.read(crate::workdir::PIPELINE_CONFIG, "features")?)?;
            config["split_date"]
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
                .context("pipeline.json has no split_date")?
        }
    };
    let matches = published_matches(&work)?;
    let meta: serde_json::Value =
        serde_json::from_slice(&work.read(crate::workdir::PREDICTIONS_META, "predict")?)?;
    let computed_at = meta["predictions_computed_at"].as_str().unwrap_or_default();
    let predictions: Vec<PrecomputedPrediction> = artifacts::read_predictions(
        work.read(artifacts::PREDICTIONS, "predict")?.into(),
        computed_at,
    )?;
    let by_id: HashMap<i64, &MatchSummary> = matches.iter().map(|m| (m.match_id, m)).collect();
    let finished: Vec<(&MatchSummary, &PrecomputedPrediction)> = predictions
        .iter()
        .filter_map(|p| by_id.get(&p.match_id).map(|m| (*m, p)))
        .filter(|(m, _)| m.status == MatchStatus::Finished)
        .filter(|(m, _)| DateTime::parse_from_rfc3339(&m.start_time_utc).is_ok_and(|t| t >= from))
        .collect();
    if let Some(warning) = in_sample_warning(finished.iter().map(|(_, p)| p.out_of_sample)) {
        eprintln!("warning: {warning}");
    }
    let ids: HashSet<i64> = finished.iter().map(|(m, _)| m.match_id).collect();
    let quotes = quotes_of(&open_store(data_dir)?, &ids)?;
    let none = Vec::new();
    let sim: Vec<SimMatch<'_>> = finished
        .iter()
        .map(|(m, p)| SimMatch {
            summary: m,
            prediction: p,
            quotes: quotes.get(&m.match_id).unwrap_or(&none),
        })
        .collect();
    let config = SimConfig {
        threshold: args.threshold,
        bootstrap: args.bootstrap,
        ..SimConfig::default()
    };
    let results = roi::simulate(&sim, &config);
    // The simulation reads the store's football-data prices only: a feed
    // quotes the events it lists now, not the finished matches simulated.
    let source = "PS opening, else B365 opening";
    let records: Vec<RoiRecord> = results
        .iter()
        .map(|r| {
            let (group_by, region, league) = match &r.group {
                Group::Overall => (GroupBy::Overall, OVERALL.to_string(), None),
                Group::Region(region) => (GroupBy::Group(Grouping::Region), region.clone(), None),
                Group::League { region, league } => (
                    GroupBy::Group(Grouping::League),
                    region.clone(),
                    Some(league.clone()),
                ),
            };
            RoiRecord {
                strategy: r.strategy,
                group_by,
                region,
                league,
                bets: r.stats.bets,
                hits: r.stats.hits,
                hit_rate: r.stats.hit_rate,
                profit: r.stats.profit,
                roi: r.stats.roi,
                roi_ci_low: r.stats.roi_ci_low,
                roi_ci_high: r.stats.roi_ci_high,
                threshold: args.threshold,
                odds_source: source.to_string(),
            }
        })
        .collect();
    work.write(roi_artifact::ROI, &roi_artifact::write(&records)?)?;
    println!(
        "roi: {} finished matches from {} ({} priced), flat stake at {source}; value bets: edge > {:.1} pp → {}",
        finished.len(),
        from.date_naive(),
        sim.iter()
            .filter(|m| matchday_core::market::card::card_quote(m.quotes).is_some())
            .count(),
        args.threshold * 100.0,
        work.path(roi_artifact::ROI).display()
    );
    println!(
        "  {:<10} {:<20} {:>5} {:>5} {:>7} {:>8} {:>7}  {:>17}",
        "strategy", "group", "bets", "hits", "hit %", "profit", "ROI %", "95% CI %"
    );
    for r in records
        .iter()
        .filter(|r| r.group_by != GroupBy::Group(Grouping::League))
    {
        println!(
            "  {:<10} {:<20} {:>5} {:>5} {:>7.1} {:>8.1} {:>7.1}  [{:>6.1}, {:>6.1}]",
            match r.strategy {
                Strategy::AllPicks => "all picks",
                Strategy::ValueBets => "value",
            },
            r.region,
            r.bets,
            r.hits,
            r.hit_rate * 100.0,
            r.profit,
            r.roi * 100.0,
            r.roi_ci_low * 100.0,
            r.roi_ci_high * 100.0
        );
    }
    Ok(())
}

/// The warning `roi` prints when some of the simulated matches were
/// forecast by a fit trained on their results (`out_of_sample == false`).
fn in_sample_warning(flags: impl ExactSizeIterator<Item = Option<bool>>) -> Option<String> {
    let simulated = flags.len();
    let in_sample = flags.filter(|&flag| flag == Some(false)).count();
    (in_sample > 0).then(|| {
        format!(
            "{in_sample} of the {simulated} matches simulated were forecast in sample (by a fit trained on their results): their ROI flatters the model; start --from at the split date"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roi_warns_only_when_a_simulated_forecast_is_in_sample() {
        let flags = [Some(true), Some(false), None, Some(false)];
        let warning = in_sample_warning(flags.into_iter()).unwrap();
        assert!(
            warning.starts_with("2 of the 4 matches simulated"),
            "{warning}"
        );
        // Unknown flags (a seed-format file) are not counted as in sample.
        assert_eq!(in_sample_warning([Some(true), None].into_iter()), None);
        assert_eq!(in_sample_warning(std::iter::empty()), None);
    }
}
