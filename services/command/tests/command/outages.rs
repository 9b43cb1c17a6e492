//! Sagas through an outage: a node that serves no partition reaches the owner through faults
//! like those of a cluster losing a node (no owner yet, an owner gone silent before or after
//! it ran a request, a request run twice). Every answer is "done", "not done" or `SYS-0003`,
//! never wrong, and no name stays taken by nobody.

use super::*;

/// What an outage does to forwarded requests: `times` commands (or peeks, when `peek`) for an
/// aggregate of `kind`, after the first `pass` of them went through, fail with `code`.
struct Fault {
    kind: &'static str,
    peek: bool,
    code: Code,
    pass: u32,
    times: u32,
}

fn fault(kind: &'static str, code: Code) -> Fault {
    Fault {
        kind,
        peek: false,
        code,
        pass: 0,
        times: 1,
    }
}

fn peek_fault(kind: &'static str, code: Code) -> Fault {
    Fault {
        peek: true,
        ..fault(kind, code)
    }
}

/// Not an error: the fault runs the command on the owner, then sends it again and answers
/// the second run (a forward that ran but looked as if it had not).
const RUN_TWICE: Code = Code::Internal;

/// The "kind" of a forwarded append of new streams (instance creation), for faults.
const APPEND: &str = "append";

/// Not an error: the fault runs the command on the owner and loses the answer, as a node
/// that died after it wrote (`SYS-0003`).
const RUN_THEN_LOSE: Code = Code::NotFoundRoute;

/// A node that serves no partition: it forwards every request to `owner`, but meets the
/// `faults` in their order, as a cluster does while a partition has no owner or its owner
/// goes silent.
struct Outage {
    owner: Arc<CommandBus>,
    faults: std::sync::Mutex<std::collections::VecDeque<Fault>>,
}

impl command::placement::Placement for Outage {
    fn partitions(&self) -> u32 {
        1
    }

    fn tenure(&self, _: i32) -> Option<u64> {
        None
    }

    fn forward(
        &self,
        _: i32,
        request: command::placement::Request,
    ) -> command::placement::Forwarded<'_> {
        use command::placement::Request;
        Box::pin(async move {
            let (kind, peek) = match &request {
                Request::Execute { key, .. } => (key.kind.clone(), false),
                Request::Peek { key } => (key.kind.clone(), true),
                Request::Append { .. } => (APPEND.to_string(), false),
                Request::OwnedStreams { .. } | Request::Heads => (String::new(), false),
            };
            let failed = {
                let mut faults = self.faults.lock().unwrap();
                match faults.front_mut() {
                    Some(f) if f.kind == kind && f.peek == peek && f.pass > 0 => {
                        f.pass -= 1;
                        None
                    }
                    Some(f) if f.kind == kind && f.peek == peek => {
                        f.times -= 1;
                        let code = f.code;
                        if f.times == 0 {
                            faults.pop_front();
                        }
                        Some(code)
                    }
                    _ => None,
                }
            };
            match failed {
                None => self.owner.serve(request).await,
                Some(RUN_TWICE) => {
                    let _ = self.owner.serve(request.clone()).await;
                    self.owner.serve(request).await
                }
                Some(RUN_THEN_LOSE) => {
                    let _ = self.owner.serve(request).await;
                    Err(domain::Error::new(
                        Code::StorageUnavailable,
                        "the owner went silent after the request was sent",
                    ))
                }
                Some(code) => Err(domain::Error::new(
                    code,
                    "the partition's owner is not there",
                )),
            }
        })
    }
}

/// An owner node with the org `org-1`, and a node that reaches it through `faults`; claims
/// go stale after `stale`.
async fn behind_an_outage_with(
    faults: Vec<Fault>,
    stale: Duration,
) -> (tempfile::TempDir, Arc<CommandBus>, Arc<CommandBus>) {
    let dir = tempfile::tempdir().unwrap();
    let log = log(&dir);
    let owner = bus(log.clone(), CommandOptions::default());
    create_org(&owner, "org-1").await;
    let placement = Arc::new(Outage {
        owner: owner.clone(),
        faults: std::sync::Mutex::new(faults.into()),
    });
    let gateway = bus(
        log,
        CommandOptions {
            placement,
            stale_claim_after: stale,
            ..CommandOptions::default()
        },
    );
    (dir, owner, gateway)
}

async fn behind_an_outage(
    faults: Vec<Fault>,
) -> (tempfile::TempDir, Arc<CommandBus>, Arc<CommandBus>) {
    behind_an_outage_with(faults, CommandOptions::default().stale_claim_after).await
}

fn robot() -> UserCommand {
    UserCommand::AddMachine {
        org_id: "org-1".into(),
        username: "robot".into(),
        name: "Robot".into(),
        description: String::new(),
    }
}

async fn exists(bus: &CommandBus, id: &str) -> bool {
    bus.state::<User>(&key(User::KIND, id))
        .await
        .unwrap()
        .0
        .exists()
}

#[actix_rt::test]
async fn a_name_claimed_for_a_user_that_was_not_created_is_released_even_through_an_outage() {
    // The user's partition has no owner: the creation fails with a code that says "nothing
    // was done, send it again", and the first release of the name meets the same outage.
    let (_dir, owner, gateway) = behind_an_outage(vec![
        fault(User::KIND, Code::NoPartitionOwner),
        fault(Unique::KIND, Code::NoPartitionOwner),
    ])
    .await;
    let first = gateway
        .create_user(&setup(), I, "u-1", robot())
        .await
        .unwrap_err();
    assert_eq!(first.code, Code::NoPartitionOwner);
    // Sent again (as a client does, with a new id), it is created: the name was released.
    gateway
        .create_user(&setup(), I, "u-2", robot())
        .await
        .expect("the name is free again");
    assert!(exists(&owner, "u-2").await);
}

#[actix_rt::test]
async fn an_act_whose_owner_went_silent_is_sent_again_and_done() {
    // The node serving the user goes silent before it ran the creation: the saga sends it
    // again (the same request, the same deadline) and answers that it was done.
    let (_dir, owner, gateway) =
        behind_an_outage(vec![fault(User::KIND, Code::StorageUnavailable)]).await;
    let written = gateway
        .create_user(&setup(), I, "u-1", robot())
        .await
        .expect("done on the second send");
    let (user, version) = owner.state::<User>(&key(User::KIND, "u-1")).await.unwrap();
    assert!(user.exists());
    assert_eq!(written.sequence, version);
}

#[actix_rt::test]
async fn an_act_that_ran_before_its_owner_went_silent_is_answered_done_once() {
    // The owner wrote the user and died before answering: the resend finds the user made
    // (by this very request) and the answer is "done", with one creation in the log.
    let (_dir, owner, gateway) = behind_an_outage(vec![fault(User::KIND, RUN_THEN_LOSE)]).await;
    let written = gateway
        .create_user(&setup(), I, "u-1", robot())
        .await
        .expect("done, as it was");
    let (_, version) = owner.state::<User>(&key(User::KIND, "u-1")).await.unwrap();
    assert_eq!((written.sequence, version), (1, 1));
}

#[actix_rt::test]
async fn a_claim_whose_answer_was_lost_is_settled_before_the_saga_goes_on() {
    // The claim was written and its answer lost (its owner died), then the same for a
    // claim whose owner went silent before it ran: both are sent again, and the user made.
    for lost in [RUN_THEN_LOSE, Code::StorageUnavailable] {
        let (_dir, owner, gateway) = behind_an_outage(vec![fault(Unique::KIND, lost)]).await;
        gateway
            .create_user(&setup(), I, "u-1", robot())
            .await
            .expect("the claim was settled and the user made");
        assert!(exists(&owner, "u-1").await);
        // The name is the user's: another is refused as taken, not told to wait.
        let other = gateway
            .create_user(&setup(), I, "u-2", robot())
            .await
            .unwrap_err();
        assert_eq!(other.code, Code::UsernameTaken);
    }
}

#[actix_rt::test]
async fn a_creation_sent_twice_to_its_owner_answers_the_user_it_made() {
    let (_dir, owner, gateway) = behind_an_outage(vec![fault(User::KIND, RUN_TWICE)]).await;
    let written = gateway
        .create_user(&setup(), I, "u-1", robot())
        .await
        .expect("the user was made, once");
    let (user, version) = owner.state::<User>(&key(User::KIND, "u-1")).await.unwrap();
    assert!(user.exists());
    assert_eq!(written.sequence, version);
}

#[actix_rt::test]
async fn a_name_whose_saga_was_cut_off_is_free_again_once_its_claim_is_stale() {
    // Given an owner that stays silent through every send of the act and every question
    // after it, the saga answers SYS-0003 and keeps the claim: the act may still land.
    // (The saga's own resends and questions take about 3 s here.)
    let stale = Duration::from_secs(5);
    let mut silent = fault(User::KIND, Code::StorageUnavailable);
    silent.times = 5;
    let mut unasked = peek_fault(User::KIND, Code::NoPartitionOwner);
    unasked.times = 5;
    let (_dir, owner, gateway) = behind_an_outage_with(vec![silent, unasked], stale).await;
    let open = gateway
        .create_user(&setup(), I, "u-1", robot())
        .await
        .unwrap_err();
    assert_eq!(open.code, Code::StorageUnavailable);
    // A resend while the claim is young is told to retry, with how long to wait; never
    // that the name is taken, since no user holds it.
    let early = gateway
        .create_user(&setup(), I, "u-2", robot())
        .await
        .unwrap_err();
    assert_eq!(early.code, Code::NotReady, "{early}");
    assert!(
        early.details.iter().any(|(k, _)| k == "retry_after"),
        "{early:?}"
    );
    // Once the claim is stale, the resend takes the name over and is done.
    actix_rt::time::sleep(stale).await;
    gateway
        .create_user(&setup(), I, "u-2", robot())
        .await
        .expect("the stale claim was taken over");
    assert!(exists(&owner, "u-2").await);
    // The cut-off act, were it to arrive now, is past its deadline: refused, nothing done,
    // so the name can never have two holders.
    assert!(!exists(&owner, "u-1").await);
    let late = gateway
        .create_user(&setup(), I, "u-3", robot())
        .await
        .unwrap_err();
    assert_eq!(late.code, Code::UsernameTaken, "the name is u-2's for good");
}

#[actix_rt::test]
async fn a_command_past_its_deadline_is_refused_and_does_nothing() {
    let (_dir, owner, _gateway) = behind_an_outage(vec![]).await;
    let request = command::placement::Request::Execute {
        key: (&key(User::KIND, "u-late")).into(),
        caller: setup(),
        command: serde_json::to_value(robot()).unwrap(),
        if_match: None,
        not_after: Some(1),
    };
    let refused = owner.serve(request).await.unwrap_err();
    assert_eq!(refused.code, Code::NotReady);
    assert!(!exists(&owner, "u-late").await);
}

/// The org is read before the claim, then `times` reads of it meet a partition without owner.
fn org_unreadable_after_its_first_read(times: u32) -> Fault {
    Fault {
        pass: 1,
        times,
        ..peek_fault(Org::KIND, Code::NoPartitionOwner)
    }
}

#[actix_rt::test]
async fn a_check_after_the_write_that_meets_an_outage_does_not_turn_it_into_a_failure() {
    // The org is read before the claim and again after the user is made; the second read
    // meets a partition without owner. The user was made, and the client hears so.
    let (_dir, owner, gateway) =
        behind_an_outage(vec![org_unreadable_after_its_first_read(5)]).await;
    gateway
        .create_user(&setup(), I, "u-1", robot())
        .await
        .expect("the write is done, whatever its check met");
    assert!(exists(&owner, "u-1").await);
}

#[actix_rt::test]
async fn a_creation_in_an_org_removed_meanwhile_is_undone_by_the_deferred_check() {
    // The check after the write meets an outage, the org is removed meanwhile (its cascade
    // ran before the user existed), and the check made later undoes the creation.
    let (_dir, owner, gateway) =
        behind_an_outage(vec![org_unreadable_after_its_first_read(2)]).await;
    gateway
        .create_user(&setup(), I, "u-1", robot())
        .await
        .expect("answered as done");
    owner
        .execute::<Org>(&key(Org::KIND, "org-1"), &setup(), OrgCommand::Remove, None)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while exists(&owner, "u-1").await {
        assert!(std::time::Instant::now() < deadline, "never undone");
        actix_rt::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_rt::test]
async fn a_removal_whose_answer_was_lost_still_takes_what_it_owns_with_it() {
    // The org's owner removed it and died before answering: the removal is sent again,
    // found done, and its cascade runs (the org's user goes with it), instead of a SYS-0003
    // that leaves the user behind and a resend that finds no org to remove.
    let (_dir, owner, gateway) = behind_an_outage(vec![fault(Org::KIND, RUN_THEN_LOSE)]).await;
    gateway
        .create_user(&setup(), I, "u-1", robot())
        .await
        .unwrap();
    gateway
        .remove_org(&setup(), I, "org-1", None)
        .await
        .expect("the removal was done, and said so");
    assert!(!exists(&owner, "u-1").await, "the org's user went with it");
}

fn system_owner() -> Caller {
    let map = RoleMap::default_map();
    Caller::Principal(Arc::new(Principal {
        instance: domain::instance::SYSTEM_SCOPE.into(),
        org: domain::instance::SYSTEM_SCOPE.into(),
        user: "operator".into(),
        memberships: Memberships::from_grants(
            [(Resource::System, [Role::SystemOwner].into_iter().collect())],
            &map,
        ),
    }))
}

fn globex() -> command::CreateInstance {
    command::CreateInstance {
        name: "Globex".into(),
        domains: vec!["globex.test".into()],
        admin_username: "root".into(),
        admin_password: None,
    }
}

#[actix_rt::test]
async fn an_instance_whose_append_ran_before_its_owner_went_silent_is_answered_done_and_keeps_its_domain(
) {
    // The owner wrote the whole instance and died before answering: the plan is sent again
    // (its streams are found written, not written twice), the instance is read, and the
    // answer is "done"; the domain stays the instance's, so no second instance gets it.
    let (_dir, owner, gateway) = behind_an_outage(vec![fault(APPEND, RUN_THEN_LOSE)]).await;
    let created = gateway
        .create_instance(&system_owner(), globex())
        .await
        .unwrap_or_else(|e| panic!("done, as it was: {e}"));
    let instance = AggregateKey {
        instance: created.instance_id.clone(),
        kind: domain::instance::Instance::KIND,
        id: created.instance_id.clone(),
    };
    let (state, version) = owner
        .state::<domain::instance::Instance>(&instance)
        .await
        .unwrap();
    assert!(state.exists());
    assert_eq!(created.written.sequence, version);
    let again = gateway
        .create_instance(&system_owner(), globex())
        .await
        .err()
        .expect("the domain is taken");
    assert_eq!(again.code, Code::DomainTaken);
}
