//! `portcullis import-users FILE`: users of another system (an NDJSON file, one user a line,
//! as `POST /v1/orgs/{org_id}/users/import` takes them) into an org of a running Portcullis,
//! through that API in requests of 10,000 (`--batch`), with progress on the way (users done, created,
//! failed, users a second). Each refused user is printed as a line of NDJSON (its line in the
//! file, its login name, the error) to standard output, so that the rest can be fixed and sent
//! again; the others are in.

use std::io::{BufRead, BufReader, Write};
use std::time::Instant;

use serde_json::Value;

use crate::config::ImportUsersOptions;

pub fn run(opts: &ImportUsersOptions) -> Result<(), String> {
    let file =
        std::fs::File::open(&opts.file).map_err(|e| format!("{}: {e}", opts.file.display()))?;
    let token = std::env::var("PORTCULLIS_TOKEN").map_err(|_| {
        "set PORTCULLIS_TOKEN to a token with user.write on the org (a PAT)".to_string()
    })?;
    let url = format!(
        "{}/v1/orgs/{}/users/import",
        opts.url.trim_end_matches('/'),
        opts.org
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let started = Instant::now();
    let (mut done, mut created, mut failed) = (0usize, 0usize, 0usize);
    let mut lines = BufReader::new(file).lines();
    let mut line_no = 0usize;
    let mut out = std::io::stdout().lock();
    let per_request = opts.batch as usize;
    loop {
        let mut chunk: Vec<(usize, String)> = Vec::with_capacity(per_request);
        for line in lines.by_ref() {
            let line = line.map_err(|e| format!("{}: {e}", opts.file.display()))?;
            line_no += 1;
            if !line.trim().is_empty() {
                chunk.push((line_no, line));
            }
            if chunk.len() == per_request {
                break;
            }
        }
        if chunk.is_empty() {
            break;
        }
        let body = chunk
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let mut request = agent
            .post(&url)
            .header("authorization", &format!("Bearer {token}"))
            .header("content-type", "application/x-ndjson");
        if let Some(host) = &opts.host {
            request = request.header("host", host);
        }
        let mut response = request
            .send(body.as_bytes())
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status().as_u16();
        let answer: Value = response
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_json()
            .map_err(|e| format!("{url} answered {status} with a body not read: {e}"))?;
        if status != 200 {
            return Err(format!(
                "{url} answered {status}: {} (users before line {} are in)",
                answer["message"].as_str().unwrap_or("no message"),
                chunk[0].0
            ));
        }
        for item in answer["items"].as_array().into_iter().flatten() {
            if let Some(error) = item.get("error") {
                let (line, text) = &chunk[item["index"].as_u64().unwrap_or(0) as usize];
                let username = serde_json::from_str::<Value>(text)
                    .ok()
                    .and_then(|u| u["username"].as_str().map(str::to_string));
                let refused =
                    serde_json::json!({"line": line, "username": username, "error": error});
                writeln!(out, "{refused}").map_err(|e| e.to_string())?;
            }
        }
        done += chunk.len();
        created += answer["created"].as_u64().unwrap_or(0) as usize;
        failed += answer["failed"].as_u64().unwrap_or(0) as usize;
        let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
        eprintln!("{done} users done: {created} created, {failed} refused; {rate:.0} users/s");
    }
    tracing::info!(
        done,
        created,
        failed,
        secs = started.elapsed().as_secs_f64(),
        "users imported"
    );
    Ok(())
}
