//! Given / when / then for an instance's action targets and executions.

use domain::actions::{
    ActionCommand as AC, Condition, Execution, Function, Target, TargetKind, TargetPatch,
};
use domain::instance::{Instance, InstanceCommand as IC, InstanceEvent as IE};
use domain::testing::given;
use domain::Code;

fn s(v: &str) -> String {
    v.to_string()
}

fn instance() -> IE {
    IE::Added {
        name: s("Acme"),
        domains: vec![s("acme.test")],
    }
}

fn target(kind: TargetKind) -> Target {
    Target {
        name: s("SIEM"),
        endpoint: s("https://siem.acme.test/events"),
        kind,
        timeout_ms: 5000,
        interrupt_on_error: false,
        sealed_signing_key: s("c2VhbGVk"),
    }
}

fn added(id: &str, kind: TargetKind) -> IE {
    IE::ActionTargetAdded {
        id: s(id),
        target: target(kind),
    }
}

fn execution(condition: Condition, targets: &[&str]) -> Execution {
    Execution {
        condition,
        targets: targets.iter().map(|t| s(t)).collect(),
    }
}

fn action(c: AC) -> IC {
    IC::Action(c)
}

#[test]
fn a_target_is_added_with_an_http_endpoint_and_a_timeout_in_bounds() {
    let add = |t: Target| {
        action(AC::AddTarget {
            id: s("t1"),
            target: t,
        })
    };
    given::<Instance>(&[instance()])
        .when(add(target(TargetKind::Webhook)))
        .then(&[added("t1", TargetKind::Webhook)]);
    for endpoint in [
        "ftp://siem.acme.test/",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://user:pw@siem.acme.test/",
        "https://",
    ] {
        given::<Instance>(&[instance()])
            .when(add(Target {
                endpoint: s(endpoint),
                ..target(TargetKind::Webhook)
            }))
            .then_error(Code::InvalidTarget);
    }
    for timeout_ms in [0, 99, 30_001] {
        given::<Instance>(&[instance()])
            .when(add(Target {
                timeout_ms,
                ..target(TargetKind::Call)
            }))
            .then_error(Code::InvalidTarget);
    }
    given::<Instance>(&[instance(), added("t1", TargetKind::Webhook)])
        .when(add(target(TargetKind::Webhook)))
        .then_error(Code::InvalidTarget);
}

#[test]
fn a_target_changes_only_what_is_sent_and_its_removal_leaves_every_execution() {
    let given_two = [
        instance(),
        added("t1", TargetKind::Webhook),
        added("t2", TargetKind::Webhook),
        IE::ActionExecutionSet {
            execution: execution(Condition::AllEvents, &["t1", "t2"]),
        },
        IE::ActionExecutionSet {
            execution: execution(Condition::EventGroup(s("user")), &["t1"]),
        },
    ];
    given::<Instance>(&given_two)
        .when(action(AC::ChangeTarget {
            id: s("t1"),
            patch: TargetPatch {
                timeout_ms: Some(2000),
                ..Default::default()
            },
        }))
        .then(&[IE::ActionTargetChanged {
            id: s("t1"),
            target: Target {
                timeout_ms: 2000,
                ..target(TargetKind::Webhook)
            },
        }]);
    given::<Instance>(&given_two)
        .when(action(AC::ChangeTarget {
            id: s("t1"),
            patch: TargetPatch::default(),
        }))
        .then(&[]);
    given::<Instance>(&given_two)
        .when(action(AC::RemoveTarget { id: s("t9") }))
        .then_error(Code::TargetNotFound);
    // Removed, t1 leaves both executions: the group's, left with none, is gone.
    let mut state = Instance::default();
    for e in given_two
        .iter()
        .chain([&IE::ActionTargetRemoved { id: s("t1") }])
    {
        domain::Aggregate::apply(&mut state, e);
    }
    let left: Vec<_> = state.actions.executions.values().cloned().collect();
    assert_eq!(left, [execution(Condition::AllEvents, &["t2"])]);
}

#[test]
fn an_execution_names_existing_targets_of_the_kind_its_condition_calls() {
    let given_targets = [
        instance(),
        added("hook", TargetKind::Webhook),
        added("call", TargetKind::Call),
    ];
    let set = |c: Condition, t: &[&str]| action(AC::SetExecution(execution(c, t)));
    given::<Instance>(&given_targets)
        .when(set(Condition::EventType(s("user.human.added")), &["hook"]))
        .then(&[IE::ActionExecutionSet {
            execution: execution(Condition::EventType(s("user.human.added")), &["hook"]),
        }]);
    let method = s("/portcullis.v1.UserService/GetUser");
    given::<Instance>(&given_targets)
        .when(set(Condition::Request(method), &["call"]))
        .then(&[IE::ActionExecutionSet {
            execution: execution(
                Condition::Request(s("portcullis.v1.UserService/GetUser")),
                &["call"],
            ),
        }]);
    for (condition, targets, code) in [
        (Condition::AllEvents, vec!["call"], Code::InvalidExecution),
        (
            Condition::Function(Function::Preaccesstoken),
            vec!["hook"],
            Code::InvalidExecution,
        ),
        (Condition::AllEvents, vec!["nope"], Code::TargetNotFound),
        (Condition::AllEvents, vec![], Code::InvalidExecution),
        (
            Condition::AllEvents,
            vec!["hook", "hook"],
            Code::InvalidExecution,
        ),
        (
            Condition::EventType(s("User Added")),
            vec!["hook"],
            Code::InvalidExecution,
        ),
        (
            Condition::EventGroup(s("user.")),
            vec!["hook"],
            Code::InvalidExecution,
        ),
        (
            Condition::Request(s("GetUser")),
            vec!["call"],
            Code::InvalidExecution,
        ),
        (
            Condition::Response(s("other.v1.X/Y")),
            vec!["call"],
            Code::InvalidExecution,
        ),
    ] {
        given::<Instance>(&given_targets)
            .when(set(condition, &targets))
            .then_error(code);
    }
    given::<Instance>(&given_targets)
        .when(action(AC::RemoveExecution(Condition::AllEvents)))
        .then_error(Code::ExecutionNotFound);
}

#[test]
fn events_meet_their_type_their_group_or_all_but_never_actions_own() {
    let c = Condition::EventGroup(s("user"));
    assert!(c.matches_event("user.human.added"));
    assert!(!c.matches_event("username.x"));
    assert!(!c.matches_event("org.added"));
    assert!(Condition::AllEvents.matches_event("org.added"));
    assert!(!Condition::AllEvents.matches_event("instance.action.target.added"));
    assert!(!Condition::EventGroup(s("instance")).matches_event("instance.action.execution.set"));
    assert!(Condition::EventType(s("org.added")).matches_event("org.added"));
    assert!(!Condition::Function(Function::Preuserinfo).matches_event("org.added"));
}
