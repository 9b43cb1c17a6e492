//! `GET /metrics` on the admin listener (`--admin-listen`), never the public one: the node's
//! metrics in the Prometheus text format, for the operator's network.

use actix_web::{web, HttpResponse};
use telemetry::Scrape;

use crate::Gateway;

pub async fn metrics(gw: web::Data<Gateway>) -> HttpResponse {
    let head = gw.bus.log_head();
    let applied = gw.model.progress().position();
    let lag_seconds = if applied < head && gw.model.progress().last_applied_at() > 0 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        (now - gw.model.progress().last_applied_at()).max(0) as f64 / 1000.0
    } else {
        0.0
    };
    let text = gw.metrics.render(&Scrape {
        live_actors: gw.bus.live_actors() as u64,
        log_head: head,
        applied_position: applied,
        projection_lag_seconds: lag_seconds,
        password_queue: gw.bus.password_queue(),
        cache_bytes: gw.cache_bytes() as u64,
    });
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text)
}
