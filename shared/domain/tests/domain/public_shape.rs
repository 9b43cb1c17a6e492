//! The public event shape (`/v1/events`, exports): an event's fields with named keys, and the
//! event read back from them, for every variant of every event; and what an edited export
//! could say instead.

use domain::{Code, DomainEvent};
use serde_json::json;

use super::golden::{describe, nested_shapes, samples};

#[test]
fn every_event_reads_back_from_its_public_fields() {
    for event in samples().into_iter().chain(nested_shapes()) {
        let (kind, event_type, _, stored) = describe(&event);
        assert_eq!(event.event_type(), event_type);
        assert_eq!(event.encode(), stored, "{event_type}");
        let fields = event.fields();
        assert!(fields.is_object(), "{event_type}: {fields}");
        let back = DomainEvent::from_fields(kind, event_type, &fields)
            .unwrap_or_else(|e| panic!("{event_type} ({fields}): {e}"));
        assert_eq!(back, event, "{event_type}");
    }
}

#[test]
fn fields_an_event_does_not_have_or_cannot_read_are_refused_naming_it() {
    let added = json!({"org_id": "o1", "username": "ada", "name": "Ada's bot", "description": ""});
    let refused = |kind: &str, event_type: &str, fields: serde_json::Value| {
        let e = DomainEvent::from_fields(kind, event_type, &fields).unwrap_err();
        assert_eq!(e.code, Code::MalformedBody, "{e}");
        e
    };
    // As given, it reads.
    let read = DomainEvent::from_fields("user", "user.machine.added", &added).unwrap();
    assert_eq!(read.event_type(), "user.machine.added");
    // A field the event does not have is not dropped silently.
    let mut extra = added.clone();
    extra["is_admin"] = json!(true);
    let e = refused("user", "user.machine.added", extra);
    assert!(e.message.contains("user.machine.added"), "{e}");
    // A value of the wrong kind, a required field left out.
    refused(
        "user",
        "user.machine.added",
        json!({"org_id": 7, "username": "ada", "name": "x"}),
    );
    refused("user", "user.machine.added", json!({"org_id": "o1"}));
    // A type no event has, a type of another aggregate, an aggregate that does not exist.
    refused("user", "user.machine.promoted", added.clone());
    refused("org", "user.machine.added", added.clone());
    let e = refused("widget", "user.machine.added", added);
    assert!(e.message.contains("widget"), "{e}");
    // A variant without fields takes none.
    let deactivated = DomainEvent::from_fields("user", "user.deactivated", &json!({})).unwrap();
    assert_eq!(deactivated.event_type(), "user.deactivated");
    refused("user", "user.deactivated", json!({"reason": "none"}));
}
