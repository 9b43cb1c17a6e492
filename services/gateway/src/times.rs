//! Times at the edges: the model keeps unix milliseconds; REST bodies carry RFC 3339 strings
//! (UTC, milliseconds) and gRPC messages `google.protobuf.Timestamp`.

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Unix milliseconds as RFC 3339 (`2026-12-05T20:42:53.123Z`).
pub fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// An RFC 3339 time as unix milliseconds.
pub fn parse(text: &str) -> Result<i64, String> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2030-01-31T12:00:00Z ({e})"))
}

/// Serde: a unix-milliseconds field written as RFC 3339.
pub fn as_rfc3339<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*ms))
}

/// Serde: an optional unix-milliseconds field written as RFC 3339 (skip `None` on the field).
pub fn as_rfc3339_opt<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => as_rfc3339(ms, s),
        None => s.serialize_none(),
    }
}

/// Serde: an RFC 3339 field read as unix milliseconds.
pub fn from_rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// Serde: an optional RFC 3339 field read as unix milliseconds.
pub fn from_rfc3339_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|text| parse(&text).map_err(serde::de::Error::custom))
        .transpose()
}

/// Unix milliseconds as a protobuf timestamp.
pub fn timestamp(ms: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

/// A protobuf timestamp of the request field `field` as unix milliseconds: refused unless it
/// is one RFC 3339 can write (years 1 to 9999, nanoseconds below a second), as on REST.
pub fn from_timestamp(t: &prost_types::Timestamp, field: &str) -> Result<i64, domain::Error> {
    let year = OffsetDateTime::from_unix_timestamp(t.seconds).map(|d| d.year());
    if !matches!(year, Ok(1..=9999)) || !(0..1_000_000_000).contains(&t.nanos) {
        return Err(domain::Error::new(
            domain::Code::MalformedBody,
            format!("{field} is not a time between the years 1 and 9999"),
        )
        .with("field", field));
    }
    Ok(t.seconds * 1000 + i64::from(t.nanos) / 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_at_the_edges() {
        let ms = 1_796_503_373_123;
        assert_eq!(rfc3339(ms), "2026-12-05T20:42:53.123Z");
        assert_eq!(parse(&rfc3339(ms)), Ok(ms));
        assert_eq!(parse("2026-12-05T21:42:53.123+01:00"), Ok(ms));
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(from_timestamp(&timestamp(ms), "t"), Ok(ms));
        assert_eq!(from_timestamp(&timestamp(-1), "t"), Ok(-1));
        // What RFC 3339 cannot write is refused, not saturated into a time nobody sent.
        let far = prost_types::Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        };
        assert_eq!(
            from_timestamp(&far, "t").unwrap_err().code,
            domain::Code::MalformedBody
        );
        let odd = prost_types::Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert!(from_timestamp(&odd, "t").is_err());
        assert!(parse("1796503373123").unwrap_err().contains("RFC 3339"));
        assert!(parse("2026-13-05T00:00:00Z").is_err());
    }
}
