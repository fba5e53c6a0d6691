//! `matchday`: the native sidecar. Everything that cannot run at the edge:
//! ingestion, features, training, batch predictions, publishing.

use anyhow::Result;
use clap::{Parser, Subcommand};
use matchday_sidecar::commands;

use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "matchday",
    version,
    about = "Matchday sidecar: ingest, train, predict, publish"
)]
struct Cli {
    /// Data directory: the match store (`matchday.db`) and the pipeline's work files.
    #[arg(long, global = true, env = "MATCHDAY_DATA", default_value = "data")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import match data into the store (idempotent).
    Ingest {
        #[command(subcommand)]
        source: IngestSource,
    },
    /// Compute pre-kick-off features for every match (writes matches and match_features parquet).
    Features(commands::pipeline::PipelineArgs),
    /// Train the model on a temporal split (the holdout fit and its test metrics), refit it on every finished match (the served fit), export both ONNX files and the card.
    Train(commands::pipeline::TrainArgs),
    /// Batch predictions for every match with the exported ONNX files: finished matches by the holdout fit, upcoming ones by the served fit (predictions.parquet).
    Predict,
    /// Walk-forward evaluation vs baselines and the bookmaker (reports/evaluation.{json,html}).
    Evaluate(commands::evaluate::EvaluateArgs),
    /// features → train → predict → odds → roi in one go.
    Pipeline(commands::pipeline::PipelineArgs),
    /// Upload the work artifacts to a running app as a new data version, then
    /// the model as the registry's candidate (champion if there is none).
    Publish(commands::publish::PublishArgs),
    /// Export bookmaker prices of the card window (and the linked feed's) to odds.parquet.
    Odds(commands::market::OddsArgs),
    /// Fetch (or replay) a bookmaker feed snapshot and link its events to matches.
    Feed(commands::market::FeedArgs),
    /// Flat-stake ROI of all picks and of value bets over the test period (roi_by_region.parquet).
    Roi(commands::market::RoiArgs),
    /// Make the previously published data version live again.
    Rollback(commands::publish::RemoteArgs),
    /// List the live and retained data versions of a running app.
    Versions(commands::publish::RemoteArgs),
    /// The model registry of a running app: publish, list, promote, rollback.
    Registry {
        #[command(subcommand)]
        command: commands::registry::RegistryCommand,
    },
    /// Feature drift (PSI, KS) of recent matches against the training reference; HTML report.
    Drift(commands::monitor::DriftArgs),
    /// Quality of the champion on matches finished since it was trained, next to the bookmaker.
    Quality(commands::monitor::QualityArgs),
}

#[derive(Subcommand)]
enum IngestSource {
    /// football-data.co.uk CSVs laid out as `<league>/<season>.csv`.
    FootballData { dir: PathBuf },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let data = cli.data_dir;
    match cli.command {
        Command::Ingest {
            source: IngestSource::FootballData { dir },
        } => commands::ingest::football_data(&data, &dir),
        Command::Features(args) => commands::pipeline::features(&data, &args),
        Command::Train(args) => commands::pipeline::train(&data, &args),
        Command::Predict => commands::pipeline::predict(&data),
        Command::Pipeline(args) => commands::pipeline::all(&data, &args),
        Command::Evaluate(args) => commands::evaluate::evaluate(&data, &args),
        Command::Publish(args) => commands::publish::publish_all(&data, &args),
        Command::Odds(args) => commands::market::odds(&data, &args),
        Command::Feed(args) => commands::market::feed(&data, &args),
        Command::Roi(args) => commands::market::roi(&data, &args),
        Command::Rollback(remote) => commands::publish::rollback(&remote),
        Command::Versions(remote) => commands::publish::versions(&remote),
        Command::Registry { command } => commands::registry::run(&data, &command),
        Command::Drift(args) => commands::monitor::drift(&data, &args),
        Command::Quality(args) => commands::monitor::quality(&data, &args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// The invocations the scripts and the READMEs use; a renamed flag
    /// fails here rather than in `scripts/up.sh`.
    #[test]
    fn documented_invocations_parse() {
        let app = "http://127.0.0.1:3000";
        let invocations: [&[&str]; 9] = [
            &["ingest", "football-data", "../shared/data/football-data"],
            &["pipeline", "--as-of", "2023-04-01", "--split", "2022-07-01"],
            &["evaluate", "--tune", "--budget", "8", "--seed", "2024"],
            &["publish", "--app", app],
            &[
                "versions",
                "--app",
                app,
                "--token-file",
                ".spin/admin-token",
            ],
            &[
                "registry", "promote", "2", "--to", "champion", "--force", "--app", app,
            ],
            &[
                "registry", "publish", "--alias", "none", "--onnx", "m.onnx", "--card", "m.json",
                "--app", app,
            ],
            &["registry", "rollback", "champion", "--app", app],
            &["drift", "--publish", "--app", app],
        ];
        for args in invocations {
            let argv = std::iter::once("matchday").chain(args.iter().copied());
            if let Err(e) = Cli::try_parse_from(argv) {
                panic!("`matchday {}` does not parse: {e}", args.join(" "));
            }
        }
        // The data publish's old flag is gone (one name for the app's URL).
        assert!(Cli::try_parse_from(["matchday", "publish", "--to", app]).is_err());
    }
}
