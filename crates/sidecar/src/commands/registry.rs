//! `matchday registry publish | list | promote | rollback`: the model
//! registry of a running app, through its `admin` component. A model is
//! checked here first with the code admin runs (tract load, input width,
//! dry run), so a bad model fails before any upload.

use crate::commands::publish::{RemoteArgs, call};
use crate::workdir::{self, WorkDir};
use anyhow::{Context, Result, bail};
use matchday_serving::card::ServingCard;
use matchday_serving::upload::ModelUpload;
use matchday_serving::validate;
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand)]
pub enum RegistryCommand {
    /// Upload a model and its card as a new registry version (validated first).
    Publish(PublishModelArgs),
    /// List the registered versions and what each alias names.
    List(RemoteArgs),
    /// Point an alias at a version; to `champion` only through the promotion
    /// gate (holdout log-loss within the app's tolerance of the champion's).
    Promote {
        /// Registry version (see `registry list`).
        version: u64,
        /// champion, challenger or candidate.
        #[arg(long)]
        to: String,
        /// Promote even if the gate refuses; the admin component logs it.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        app: RemoteArgs,
    },
    /// Point an alias back at the version it named before its last move.
    Rollback {
        alias: String,
        #[command(flatten)]
        app: RemoteArgs,
    },
}

#[derive(clap::Args, Clone)]
pub struct PublishModelArgs {
    /// ONNX file (default: the work directory's model.onnx).
    #[arg(long)]
    pub onnx: Option<PathBuf>,
    /// Model card JSON (default: the work directory's model_card.json).
    #[arg(long)]
    pub card: Option<PathBuf>,
    /// The holdout fit `train` writes beside the model (default: the work
    /// directory's `holdout_model.onnx` when `--onnx` is not given, else
    /// none); the promotion gate re-scores it when the served fits have too
    /// few common unseen matches.
    #[arg(long)]
    pub holdout: Option<PathBuf>,
    /// Alias to point at the new version: candidate, challenger, champion
    /// (through the gate) or none.
    #[arg(long, default_value = "candidate")]
    pub alias: String,
    /// With `--alias champion`: pass the gate even if it refuses (logged).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub app: RemoteArgs,
}

const ALIASES: [&str; 3] = ["champion", "challenger", "candidate"];

fn check_alias(alias: &str, allow_none: bool) -> Result<()> {
    if ALIASES.contains(&alias) || (allow_none && alias == "none") {
        Ok(())
    } else {
        bail!(
            "the alias must be one of {ALIASES:?}{}, got `{alias}`",
            if allow_none { " or none" } else { "" }
        )
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Checks a model locally with the admin component's own code.
fn load_upload(onnx: Vec<u8>, card: Vec<u8>, holdout: Option<Vec<u8>>) -> Result<ModelUpload> {
    let parsed = ServingCard::parse(&card).map_err(anyhow::Error::msg)?;
    validate::check_model(&onnx, &parsed)
        .map_err(anyhow::Error::msg)
        .context("the model does not validate; nothing was uploaded")?;
    if let Some(holdout) = &holdout {
        validate::check_holdout_model(holdout, &parsed)
            .map_err(anyhow::Error::msg)
            .context("nothing was uploaded")?;
    }
    Ok(ModelUpload {
        onnx,
        card,
        holdout,
    })
}

/// The work directory's holdout fit, when `train` wrote one (its run is
/// checked against the card's before anything is uploaded).
fn work_holdout(work: &WorkDir) -> Result<Option<Vec<u8>>> {
    let path = work.path(workdir::HOLDOUT_MODEL);
    if !path.exists() {
        return Ok(None);
    }
    println!("holdout fit: {}", path.display());
    read(&path).map(Some)
}

fn upload(remote: &RemoteArgs, model: &ModelUpload, alias: &str, force: bool) -> Result<()> {
    let packed = model.pack()?;
    let path = format!("/admin/models?alias={alias}&force={force}");
    let outcome = call(remote, "POST", &path, Some((&packed, "application/x-tar")))?;
    let version = &outcome["version"];
    if outcome["already_registered"].as_bool() == Some(true) {
        println!(
            "model: already registered as version {version} ({})",
            outcome["entry"]["run_id"].as_str().unwrap_or("?")
        );
    } else {
        println!(
            "model: registered version {version} ({} {}, run {})",
            outcome["entry"]["name"].as_str().unwrap_or("?"),
            outcome["entry"]["card_version"].as_str().unwrap_or("?"),
            outcome["entry"]["run_id"].as_str().unwrap_or("?")
        );
    }
    for moved in outcome["aliases"].as_array().into_iter().flatten() {
        print_move(moved);
    }
    Ok(())
}

fn print_move(moved: &serde_json::Value) {
    let alias = moved["alias"].as_str().unwrap_or("?");
    if moved["unchanged"].as_bool() == Some(true) {
        println!("  {alias} already names version {}", moved["version"]);
        return;
    }
    let forced = if moved["forced"].as_bool() == Some(true) {
        " (FORCED past the gate)"
    } else {
        ""
    };
    println!(
        "  {alias} → version {} (was {}){forced}",
        moved["version"], moved["previous_version"]
    );
    if let Some(message) = moved["gate"]["message"].as_str() {
        println!("  gate: {message}");
    }
}

/// The work directory's model, after a data publish (`matchday publish`).
pub fn publish_work_model(data_dir: &Path, remote: &RemoteArgs) -> Result<()> {
    let work = WorkDir::new(data_dir)?;
    let model = load_upload(
        work.read(workdir::MODEL, "train")?,
        work.read(workdir::MODEL_CARD, "train")?,
        work_holdout(&work)?,
    )?;
    upload(remote, &model, "candidate", false)
}

pub fn run(data_dir: &Path, command: &RegistryCommand) -> Result<()> {
    match command {
        RegistryCommand::Publish(args) => {
            check_alias(&args.alias, true)?;
            let work = WorkDir::new(data_dir)?;
            let onnx = match &args.onnx {
                Some(path) => read(path)?,
                None => work.read(workdir::MODEL, "train")?,
            };
            let holdout = match (&args.holdout, &args.onnx) {
                (Some(path), _) => Some(read(path)?),
                (None, None) => work_holdout(&work)?,
                (None, Some(_)) => None,
            };
            let card = match &args.card {
                Some(path) => read(path)?,
                None => work.read(workdir::MODEL_CARD, "train")?,
            };
            if args.force {
                eprintln!(
                    "warning: --force passes the promotion gate; the admin component logs it"
                );
            }
            upload(
                &args.app,
                &load_upload(onnx, card, holdout)?,
                &args.alias,
                args.force,
            )
        }
        RegistryCommand::List(app) => list(app),
        RegistryCommand::Promote {
            version,
            to,
            force,
            app,
        } => {
            check_alias(to, false)?;
            if *force {
                eprintln!(
                    "warning: --force passes the promotion gate; the admin component logs it"
                );
            }
            let body =
                serde_json::to_vec(&serde_json::json!({ "version": version, "force": force }))?;
            let moved = call(
                app,
                "POST",
                &format!("/admin/models/aliases/{to}"),
                Some((&body, "application/json")),
            )?;
            print_move(&moved);
            Ok(())
        }
        RegistryCommand::Rollback { alias, app } => {
            check_alias(alias, false)?;
            let moved = call(
                app,
                "POST",
                &format!("/admin/models/aliases/{alias}/rollback"),
                None,
            )?;
            print_move(&moved);
            Ok(())
        }
    }
}

fn list(remote: &RemoteArgs) -> Result<()> {
    let list = call(remote, "GET", "/admin/models", None)?;
    let aliases = list["aliases"].as_object().cloned().unwrap_or_default();
    println!(
        "{:>7}  {:<18} {:<22} {:>9}  {:<24}  {:<20}  on holdout",
        "version", "name", "run_id", "log-loss", "registered_at", "aliases"
    );
    for v in list["versions"].as_array().into_iter().flatten() {
        let version = v["version"].as_u64().unwrap_or(0);
        let names: Vec<&str> = aliases
            .iter()
            .filter(|(_, p)| p["version"].as_u64() == Some(version))
            .map(|(a, _)| a.as_str())
            .collect();
        let log_loss = v["holdout_log_loss"]
            .as_f64()
            .map_or("-".to_string(), |l| format!("{l:.5}"));
        println!(
            "{version:>7}  {:<18} {:<22} {log_loss:>9}  {:<24}  {:<20}  {}",
            v["name"].as_str().unwrap_or("?"),
            v["run_id"].as_str().unwrap_or("?"),
            v["registered_at"].as_str().unwrap_or("?"),
            names.join(", "),
            v["holdout_window"].as_str().unwrap_or("-")
        );
    }
    for (alias, pointer) in &aliases {
        let previous: Vec<String> = pointer["previous"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.to_string())
            .collect();
        let forced = if pointer["forced"].as_bool() == Some(true) {
            ", forced"
        } else {
            ""
        };
        println!(
            "{alias}: version {} since {} ({}{forced}); before: [{}]",
            pointer["version"],
            pointer["set_at"].as_str().unwrap_or("?"),
            pointer["action"].as_str().unwrap_or("?"),
            previous.join(", ")
        );
    }
    Ok(())
}
