//! SAML metadata read from a URL an administrator gave (an SP's or an IdP's), through the
//! limits of every call to an administrator's endpoint: http(s) only, a size bound, a timeout,
//! and no private address unless the operator allows them.

use crate::Gateway;

/// The largest metadata document read.
const MAX_METADATA: u64 = 256 * 1024;

/// The metadata at `url` (checked as a web URL first), or why it was not read.
pub async fn metadata(gw: &Gateway, url: &str) -> Result<String, String> {
    let checked = domain::app::web_uri(url, "metadata_url").map_err(|e| e.message)?;
    let request = http::Request::get(&checked)
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
    let answer = notify::web::send(
        request,
        MAX_METADATA,
        gw.bus.allows_private_hosts(),
        "SAML metadata",
    )
    .await
    .map_err(|why| format!("the metadata was not read: {why}"))?;
    if !answer.status().is_success() {
        return Err(format!("{checked} answered {}", answer.status()));
    }
    String::from_utf8(answer.into_body()).map_err(|_| "the metadata is not UTF-8".into())
}
