//! The public shape of an event's payload (`/v1/events`, exports): its fields with named keys,
//! the variant's tag dropped (the event type names it), and back.

use serde::de::{self, DeserializeOwned, Visitor};
use serde::Serialize;
use serde_json::Value;

use crate::aggregate::EventType;
use crate::error::{Code, Error, Result};

/// An event's fields: `{"Variant": {fields}}` as `{fields}`, a variant without fields as `{}`.
pub fn fields<E: Serialize>(event: &E) -> Value {
    match serde_json::to_value(event).expect("domain events always encode") {
        Value::Object(map) if map.len() == 1 => map.into_iter().next().map(|(_, v)| v),
        _ => None,
    }
    .unwrap_or_else(|| Value::Object(Default::default()))
}

/// The event of `event_type` with `fields` (what [`fields`] gave; a field left out takes its
/// default). An unknown type, a missing field without a default, a field the event does not
/// have, or a value of the wrong kind is refused with `REQ-0001` naming the event type: nothing
/// given is dropped.
pub fn from_fields<E: Serialize + DeserializeOwned + EventType>(
    event_type: &str,
    fields: &Value,
) -> Result<E> {
    let refused = |why: String| {
        Error::new(
            Code::MalformedBody,
            format!("not a {event_type} event: {why}"),
        )
        .with("type", event_type)
    };
    let mut last = format!("no event has the type {event_type}");
    for variant in variants::<E>() {
        let candidates = [
            serde_json::json!({ *variant: fields }),
            serde_json::json!(variant),
        ];
        for tagged in candidates {
            match serde_json::from_value::<E>(tagged) {
                Ok(event) if event.event_type() == event_type => {
                    let read = self::fields(&event);
                    return match kept(fields, &read) {
                        true => Ok(event),
                        false => Err(refused(format!(
                            "its fields read as {read}, which leaves out or changes some given"
                        ))),
                    };
                }
                Ok(_) => {}
                Err(e) => last = format!("no event has the type, or the fields do not read: {e}"),
            }
        }
    }
    Err(refused(last))
}

/// Whether everything `given` says is in `read`, unchanged.
fn kept(given: &Value, read: &Value) -> bool {
    match (given, read) {
        (Value::Object(given), Value::Object(read)) => given
            .iter()
            .all(|(k, v)| read.get(k).is_some_and(|r| kept(v, r))),
        (given, read) => given == read,
    }
}

/// The names of an enum's variants, as its `Deserialize` declares them to serde (the enums of
/// events are externally tagged, so serde asks for an enum with its variants' names).
fn variants<E: DeserializeOwned>() -> &'static [&'static str] {
    let mut names = VariantNames(None);
    let _ = E::deserialize(&mut names);
    names.0.unwrap_or(&[])
}

struct VariantNames(Option<&'static [&'static str]>);

impl<'de> de::Deserializer<'de> for &mut VariantNames {
    type Error = de::value::Error;

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _visitor: V,
    ) -> std::result::Result<V::Value, Self::Error> {
        self.0 = Some(variants);
        Err(de::Error::custom("only the variants' names were asked for"))
    }

    fn deserialize_any<V: Visitor<'de>>(
        self,
        _visitor: V,
    ) -> std::result::Result<V::Value, Self::Error> {
        Err(de::Error::custom("not an enum"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}
