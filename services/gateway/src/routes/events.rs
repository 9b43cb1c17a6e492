//! The audit trail of the caller's instance.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::events;
use crate::auth::Authenticated;
use crate::views::{EventView, PageView, WatchView};
use crate::{ApiError, Gateway};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/events", web::get().to(list_events))
        .route("/events/watch", web::get().to(watch_events));
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventQuery {
    /// `user`, `org`, `instance`, `project`, `unique`.
    aggregate_type: Option<String>,
    aggregate_id: Option<String>,
    /// The previous page's `next_cursor`, as received.
    #[param(pattern = "^[0-9]{1,19}(\\.[0-9]{1,19})?$")]
    cursor: Option<String>,
    /// Only events after this position (as received): a cursor of one's own choosing (log
    /// order only).
    #[param(pattern = "^[0-9]{1,19}$")]
    after_position: Option<String>,
    /// 1 to 1,000; default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
    /// `log` (the default: in log order) or `newest` (newest first, by the time each event
    /// was written).
    #[param(pattern = "^(log|newest)$")]
    order: Option<String>,
}

/// Events of the instance in log order; password, token and secret hashes are redacted.
/// Send `next_cursor` back as `cursor` for the next page, as on every list. `events.read`.
#[utoipa::path(get, path = "/v1/events", tag = "events", params(EventQuery),
    responses((status = 200, body = PageView<EventView>)),
    extensions(("x-permission" = json!("events.read"))))]
async fn list_events(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    q: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let query = events::EventQuery {
        aggregate_type: q.aggregate_type,
        aggregate_id: q.aggregate_id,
        cursor: q.cursor,
        after_position: q.after_position,
        limit: q.limit,
        order: q.order,
    };
    Ok(HttpResponse::Ok().json(events::list(&gw, &auth, query).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct WatchQuery {
    /// `user`, `org`, `instance`, `project`, `unique`.
    aggregate_type: Option<String>,
    aggregate_id: Option<String>,
    /// Where to resume: a previous answer's `resume_after` (one position per log partition,
    /// separated by commas), one position, or `now` (only events to come). Without it, from
    /// the first event.
    #[param(pattern = "^(now|[0-9]{1,19}(,[0-9]{1,19}){0,255})$")]
    after_position: Option<String>,
    /// How long to wait for an event when there is none yet: 0 to 25 seconds; default 20.
    #[param(minimum = 0, maximum = 25)]
    wait_s: Option<u64>,
}

/// A long poll of the audit trail, the REST twin of `EventService.Watch`: the events after
/// `after_position` (up to 500), or the first to come within `wait_s`, each partition of the
/// log in its order, and `resume_after` to send back as `after_position` for the next. A
/// client that always sends back `resume_after` sees every event once, on a cluster too.
/// `events.read`.
#[utoipa::path(get, path = "/v1/events/watch", tag = "events", params(WatchQuery),
    responses((status = 200, body = WatchView)),
    extensions(("x-permission" = json!("events.read"))))]
async fn watch_events(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    q: web::Query<WatchQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let wait = match q.wait_s.unwrap_or(20) {
        s @ 0..=25 => std::time::Duration::from_secs(s),
        _ => {
            return Err(
                domain::Error::new(domain::Code::InvalidQuery, "wait_s is 0 to 25 seconds")
                    .with("field", "wait_s")
                    .into(),
            )
        }
    };
    let query = events::EventQuery {
        aggregate_type: q.aggregate_type,
        aggregate_id: q.aggregate_id,
        cursor: None,
        after_position: q.after_position,
        limit: None,
        order: None,
    };
    let polled = events::poll(&gw, &auth, query, wait).await?;
    Ok(HttpResponse::Ok().json(WatchView {
        items: polled.events.into_iter().map(EventView::from).collect(),
        resume_after: polled.resume_after,
    }))
}
