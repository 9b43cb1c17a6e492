//! The audit trail of the caller's instance.

use actix_web::{web, HttpResponse};
use authz::{Permission, Target};
use domain::{Code, Error};
use readmodel::EventFilter;
use serde::Deserialize;
use utoipa::IntoParams;

use super::require;
use crate::auth::Authenticated;
use crate::reads::read;
use crate::views::{limit, EventView, PageView};
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
    /// Only events after this position (as received).
    #[param(pattern = "^[0-9]{1,19}$")]
    after_position: Option<String>,
    /// 1 to 1,000; default 100.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<usize>,
}

/// Events of the instance in log order; password, token and secret hashes are redacted.
/// `next_cursor` is the position to send as `after_position`. `events.read`.
#[utoipa::path(get, path = "/v1/events", tag = "events", params(EventQuery),
    responses((status = 200, body = PageView<EventView>)),
    extensions(("x-permission" = json!("events.read"))))]
async fn list_events(
    gw: web::Data<Gateway>,
    auth: Authenticated,
    q: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let target = Target::Instance {
        instance: &auth.instance,
    };
    require(&gw, &auth, Permission::named("events.read"), target)?;
    let limit = limit(q.limit)?;
    let q = q.into_inner();
    let after_position = match q.after_position.as_deref() {
        None => 0,
        Some(p) => p.parse::<u64>().map_err(|_| {
            Error::new(
                Code::InvalidQuery,
                "after_position is not a position this server gave out",
            )
            .with("field", "after_position")
        })?,
    };
    let filter = EventFilter {
        aggregate_type: q.aggregate_type,
        aggregate_id: q.aggregate_id,
        after_position,
    };
    let instance = auth.instance.clone();
    let rows = read(&gw, move |m| m.events(&instance, &filter, limit)).await?;
    let next_cursor = (rows.len() == limit)
        .then(|| rows.last().map(|e| e.position.to_string()))
        .flatten();
    Ok(HttpResponse::Ok().json(PageView {
        items: rows.into_iter().map(EventView::from).collect(),
        next_cursor,
    }))
}
