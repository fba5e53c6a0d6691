//! `matchday publish | rollback | versions`: talk to the running app's
//! `admin` component. The bundle is validated here first with the very code
//! the admin component runs, so a bad artifact fails before any upload.

use crate::progress;
use crate::workdir::{self, WorkDir};
use anyhow::{Context, Result, bail};
use chrono::Utc;
use matchday_publish::artifacts::{self, format_time};
use matchday_publish::bundle::{Bundle, BundleManifest, FORMAT};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Args, Clone)]
pub struct RemoteArgs {
    /// Base URL of the running app.
    #[arg(long, env = "MATCHDAY_APP", default_value = "http://127.0.0.1:3000")]
    pub app: String,
    /// File holding the admin token (else MATCHDAY_ADMIN_TOKEN). Never pass
    /// the token itself on the command line: it would show in process lists.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
}

impl RemoteArgs {
    fn token(&self) -> Result<String> {
        let token = match &self.token_file {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("reading the token file {}", path.display()))?,
            None => std::env::var("MATCHDAY_ADMIN_TOKEN")
                .context("set MATCHDAY_ADMIN_TOKEN or pass --token-file")?,
        };
        let token = token.trim().to_string();
        if token.is_empty() {
            bail!("the admin token is empty");
        }
        Ok(token)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.trim_end_matches('/'))
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(900)))
        // 4xx/5xx carry a JSON error we want to show, not a transport error.
        .http_status_as_error(false)
        .build()
        .into()
}

/// Sends a request (a body goes with its content type) and returns the JSON
/// body of a 2xx, or the server's own error message.
pub(crate) fn call(
    remote: &RemoteArgs,
    method: &str,
    path: &str,
    body: Option<(&[u8], &str)>,
) -> Result<serde_json::Value> {
    let url = remote.url(path);
    let auth = format!("Bearer {}", remote.token()?);
    let agent = agent();
    let response = match (method, body) {
        ("POST", Some((bytes, content_type))) => agent
            .post(&url)
            .header("authorization", &auth)
            .header("content-type", content_type)
            .send(bytes),
        ("POST", None) => agent.post(&url).header("authorization", &auth).send_empty(),
        _ => agent.get(&url).header("authorization", &auth).call(),
    };
    let mut response =
        response.with_context(|| format!("cannot reach {url}: is the app running?"))?;
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    if !(200..300).contains(&status) {
        let message = json["error"]["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| json.to_string());
        bail!("{url} answered {status}: {message}");
    }
    Ok(json)
}

/// Packs the work directory's artifacts into a bundle.
pub fn bundle(data_dir: &Path) -> Result<Vec<u8>> {
    let work = WorkDir::new(data_dir)?;
    let config: serde_json::Value =
        serde_json::from_slice(&work.read(workdir::PIPELINE_CONFIG, "features")?)?;
    let meta: serde_json::Value =
        serde_json::from_slice(&work.read(workdir::PREDICTIONS_META, "predict")?)?;
    let manifest = BundleManifest {
        format: FORMAT,
        created_at: format_time(Utc::now()),
        as_of: config["as_of"]
            .as_str()
            .context("pipeline.json has no as_of")?
            .to_string(),
        predictions_computed_at: meta["predictions_computed_at"]
            .as_str()
            .context("predictions.json has no time")?
            .to_string(),
        model_run_id: meta["model_run_id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    let mut files = BTreeMap::new();
    for (name, step) in [
        (artifacts::MATCHES, "features"),
        (artifacts::FEATURES, "features"),
        (artifacts::PREDICTIONS, "predict"),
    ] {
        files.insert(name.to_string(), work.read(name, step)?);
    }
    // Optional: without the run's lists of training matches `GET
    // /predict/{id}` says less. Lists of another run than the predictions'
    // (`train` again, without `predict`) would be refused, so they stay out.
    match crate::commands::pipeline::training_lists(&work)? {
        Some((bytes, lists)) if lists.run_id == manifest.model_run_id => {
            files.insert(artifacts::TRAINED_MATCHES.to_string(), bytes);
        }
        Some((_, lists)) => eprintln!(
            "warning: {} is of run `{}`, not the predictions' `{}`: not published, so `GET /predict/{{id}}` cannot say which results the model learned; run `matchday predict` again",
            artifacts::TRAINED_MATCHES,
            lists.run_id,
            manifest.model_run_id
        ),
        None => {}
    }
    // Optional: a bundle without them publishes with empty market lists.
    for (name, step) in [
        (matchday_publish::odds::ODDS, "odds"),
        (matchday_publish::links::LINKS, "feed"),
        (matchday_publish::roi::ROI, "roi"),
    ] {
        if work.path(name).exists() {
            files.insert(name.to_string(), work.read(name, step)?);
        }
    }
    Ok(Bundle { manifest, files }.pack()?)
}

#[derive(clap::Args, Clone)]
pub struct PublishArgs {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Upload only the data, not the work directory's model.
    #[arg(long)]
    pub no_model: bool,
}

/// Uploads the data version, then (unless `--no-model`) the model that
/// produced its batch predictions, as the registry's `candidate` (and
/// `champion` if the app has none yet).
pub fn publish_all(data_dir: &Path, args: &PublishArgs) -> Result<()> {
    publish(data_dir, &args.remote)?;
    if !args.no_model {
        crate::commands::registry::publish_work_model(data_dir, &args.remote)?;
    }
    Ok(())
}

pub fn publish(data_dir: &Path, remote: &RemoteArgs) -> Result<()> {
    // Packed before the spinner starts, so its warnings get lines of their own.
    let bytes = bundle(data_dir)?;
    let spinner = progress::spinner("validate");
    let data = matchday_publish::commit::decode(&bytes)
        .context("the artifacts do not validate; nothing was uploaded")?;
    // Check the token first: the admin refuses an unauthenticated upload
    // before reading it, which a client sees as a broken pipe mid-upload.
    call(remote, "GET", "/admin/versions", None)?;
    spinner.set_message(format!("upload {:.1} MB", bytes.len() as f64 / 1e6));
    let report = call(
        remote,
        "POST",
        "/admin/publish",
        Some((&bytes, "application/x-tar")),
    );
    spinner.finish_and_clear();
    let report = report?;
    println!(
        "published {} ({} matches, {} predictions, {} quotes, {} links, {} ROI rows, {} records) to {}",
        report["version"].as_str().unwrap_or("?"),
        data.matches.len(),
        data.predictions.len(),
        data.market.odds.len(),
        data.market.links.len(),
        data.market.roi.len(),
        report["records_written"],
        remote.app
    );
    let skipped = &report["skipped"];
    if skipped["unknown_matches"].as_u64().unwrap_or(0) > 0 {
        eprintln!(
            "note: {} odds rows and {} links of {} matches not in matches.parquet were skipped (e.g. {})",
            skipped["odds_rows"],
            skipped["links"],
            skipped["unknown_matches"],
            skipped["unknown_match_ids"]
        );
    }
    Ok(())
}

pub fn rollback(remote: &RemoteArgs) -> Result<()> {
    let pointer = call(remote, "POST", "/admin/rollback", None)?;
    println!(
        "live version is now {}",
        pointer["version"].as_str().unwrap_or("?")
    );
    Ok(())
}

pub fn versions(remote: &RemoteArgs) -> Result<()> {
    let versions = call(remote, "GET", "/admin/versions", None)?;
    println!("{}", serde_json::to_string_pretty(&versions)?);
    Ok(())
}

/// Uploads a monitoring report (summary + HTML) through `admin`; returns
/// its index entry (name, url).
pub fn upload_report(
    remote: &RemoteArgs,
    upload: &matchday_observe::monitoring::reports::ReportUpload,
) -> Result<serde_json::Value> {
    let body = serde_json::to_vec(upload)?;
    call(
        remote,
        "POST",
        matchday_observe::endpoints::admin::REPORTS_ROUTE,
        Some((&body, "application/json")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use matchday_core::window::TrainedMatches;

    #[test]
    fn a_bundle_carries_the_training_lists_of_the_predictions_run_only() {
        let dir = tempfile::tempdir().unwrap();
        let work = WorkDir::new(dir.path()).unwrap();
        work.write(
            workdir::PIPELINE_CONFIG,
            br#"{"as_of": "2023-04-01T00:00:00Z"}"#,
        )
        .unwrap();
        work.write(
            workdir::PREDICTIONS_META,
            br#"{"predictions_computed_at": "2026-12-08T00:00:00Z", "model_run_id": "run-a"}"#,
        )
        .unwrap();
        // `bundle` packs the artifacts' bytes; the admin validates them.
        for name in [
            artifacts::MATCHES,
            artifacts::FEATURES,
            artifacts::PREDICTIONS,
        ] {
            work.write(name, b"parquet").unwrap();
        }
        let lists_in_bundle = || {
            let bundle = Bundle::unpack(&bundle(dir.path()).unwrap()).unwrap();
            bundle.files.get(artifacts::TRAINED_MATCHES).cloned()
        };
        assert_eq!(lists_in_bundle(), None, "a work directory without lists");
        let lists = TrainedMatches::new("run-a".into(), vec![1, 2], vec![1]);
        work.write(artifacts::TRAINED_MATCHES, &lists.to_json())
            .unwrap();
        assert_eq!(lists_in_bundle(), Some(lists.to_json()));
        // `train` again without `predict`: the new run's lists would be
        // refused beside run-a's predictions, so they stay out.
        let newer = TrainedMatches::new("run-b".into(), vec![1, 2, 3], vec![1]);
        work.write(artifacts::TRAINED_MATCHES, &newer.to_json())
            .unwrap();
        assert_eq!(lists_in_bundle(), None);
        // A corrupt file stops the publish: `train` is what rewrites it.
        work.write(artifacts::TRAINED_MATCHES, b"{").unwrap();
        let err = format!("{:#}", bundle(dir.path()).unwrap_err());
        assert!(err.contains("run `matchday train` again"), "{err}");
    }
}
