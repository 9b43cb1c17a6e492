//! The audit trail of the caller's instance.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::events;
use crate::auth::Authenticated;
use crate::views::{EventView, PageView};
use crate::{ApiError, Gateway};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/events", web::get().to(list_events));
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventQuery {
    /// `user`, `org`, `instance`, `project`, `unique`.
    aggregate_type: Option<String>,
    aggregate_id: Option<String>,
    /// The previous page's `next_cursor`, as received.
    #[param(pattern = "^[0-9]{1,19}$")]
    cursor: Option<String>,
    /// Only events after this position (as received): a cursor of one's own choosing.
    #[param(pattern = "^[0-9]{1,19}$")]
    after_position: Option<String>,
    /// 1 to 1,000; default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
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
    };
    Ok(HttpResponse::Ok().json(events::list(&gw, &auth, query).await?))
}
