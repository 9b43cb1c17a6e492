//! Sagas under node loss, as an operator meets them: two command nodes as real processes, a
//! gateway in this process, writers sending user names, org names and instance domains, and
//! the SIGKILL of a command node (the one serving the org, when the logs tell) at a different
//! moment of each round. Whatever a client was told about a name holds: "done" means the name
//! is taken by what was made, "not done" means it is free, `SYS-0003` is settled by reading
//! back, and a resend of a name that was not acknowledged succeeds or finds its own user.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use eventlog::position::partition_for;
use serde_json::{json, Value};
use testkit::{Client, Reply};

use super::cluster_faults::PARTITIONS;

use super::cluster_faults::{command_node, one_fault_at_a_time, Cluster};

const ROUNDS: usize = 10;

/// What a client was told about one name.
#[derive(Clone, Debug)]
enum Told {
    Done(String),
    NotDone(String),
    Unknown,
}

/// Something with a unique name, created through the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Named {
    User,
    Org,
    Domain,
}

struct Api<'a> {
    cluster: &'a Cluster,
    system: Client,
}

impl Api<'_> {
    fn create(&self, what: Named, name: &str) -> Reply {
        let c = self.cluster;
        match what {
            Named::User => c.admin.post(
                &format!("/v1/orgs/{}/users/machine", c.org),
                json!({"username": name, "name": "Under fault"}),
            ),
            Named::Org => c.admin.post("/v1/orgs", json!({"name": name})),
            Named::Domain => self.system.post(
                "/v1/system/instances",
                json!({"name": name, "domains": [name], "admin": {"username": "root"}}),
            ),
        }
    }

    /// Every name of `what` there is now, with the ids holding it.
    fn names(&self, what: Named) -> BTreeMap<String, Vec<String>> {
        let (client, path, field) = match what {
            Named::User => (
                self.cluster.admin.clone(),
                format!("/v1/users?org_id={}&limit=100", self.cluster.org),
                "username",
            ),
            Named::Org => (
                self.cluster.admin.clone(),
                "/v1/orgs?limit=100".to_string(),
                "name",
            ),
            Named::Domain => (
                self.system.clone(),
                "/v1/system/instances?limit=100".to_string(),
                "domains",
            ),
        };
        let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = match &cursor {
                Some(cur) => client.get(&format!("{path}&cursor={cur}")),
                None => client.get(&path),
            };
            assert_eq!(page.status, 200, "{}", page.body);
            for item in page.body["items"].as_array().unwrap() {
                let id = item["id"].as_str().unwrap().to_string();
                let names: Vec<String> = match &item[field] {
                    Value::Array(domains) => domains
                        .iter()
                        .map(|d| d.as_str().unwrap().to_string())
                        .collect(),
                    v => vec![v.as_str().unwrap().to_string()],
                };
                for n in names {
                    found.entry(n).or_default().push(id.clone());
                }
            }
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return found,
            }
        }
    }
}

/// What one send was told. A name sent once is never "taken" (409): nothing else sends it.
fn told(what: Named, name: &str, r: &Reply) -> Told {
    match (r.status, r.code()) {
        (201, _) => Told::Done(r.str("id")),
        (503, "SYS-0003") => Told::Unknown,
        (503, code) => Told::NotDone(code.to_string()),
        _ => panic!("{what:?} {name}: {} {}", r.status, r.body),
    }
}

/// Sends a name that was not acknowledged again until it is done, or (after `SYS-0003`)
/// until it is found taken, which must then be by its own first send. Returns the id if
/// done now.
fn resend(api: &Api, what: Named, name: &str, first: &Told) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let r = api.create(what, name);
        match (r.status, r.code(), first) {
            (201, ..) => return Some(r.str("id")),
            (409, _, Told::Unknown) => return None,
            (409, ..) => panic!(
                "{what:?} {name} was told {first:?}, yet it is taken: {}",
                r.body
            ),
            (503, ..) if Instant::now() < deadline => {
                let wait = r.body["details"]["retry_after"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(1);
                std::thread::sleep(Duration::from_secs(wait).min(Duration::from_secs(5)));
            }
            _ => panic!(
                "{what:?} {name} (told {first:?}) never went through: {} {}",
                r.status, r.body
            ),
        }
    }
}

/// A log line without its terminal colours.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(ch) = chars.next() {
        if ch == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            out.push(ch);
        }
    }
    out
}

/// The live node serving `partition`, by what each node's log said last about it.
fn serving(c: &Cluster, live: &[usize], partition: i32) -> Option<usize> {
    let mark = format!("partition={partition}");
    live.iter().copied().find(|&n| {
        c.log(n)
            .lines()
            .map(plain)
            .rfind(|l| l.split_whitespace().any(|w| w == mark) && l.contains(" the partition"))
            .is_some_and(|l| l.contains("took the partition"))
    })
}

#[test]
fn names_sent_around_a_node_kill_are_taken_exactly_as_the_client_was_told() {
    let _alone = one_fault_at_a_time();
    let mut c = Cluster::start(2);
    let brokers = c.broker.brokers();
    let system_pat = std::fs::read_to_string(c.dir.path().join("gateway/system.pat")).unwrap();
    let mut live: Vec<usize> = vec![0, 1];
    let org_partition = partition_for(&c.org, PARTITIONS as u32);
    let mut all: Vec<(Named, String, Told)> = Vec::new();
    let started = Instant::now();
    for round in 0..ROUNDS {
        let serving_org = serving(&c, &live, org_partition);
        let victim = serving_org.unwrap_or(live[round % live.len()]);
        let pid = c.nodes[victim].child.id();
        // A different moment in each round: before, between and after the saga steps of
        // the names in flight.
        let delay = Duration::from_millis(50 + (round as u64 * 173) % 900);
        let api = Api {
            cluster: &c,
            system: Client::new(&c.base, None).token(system_pat.trim()),
        };
        let sent: Vec<(Named, String, Told)> = std::thread::scope(|s| {
            s.spawn(move || {
                std::thread::sleep(delay);
                let killed = std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status()
                    .unwrap();
                assert!(killed.success());
            });
            let writers: Vec<_> = [
                (Named::User, 4, 5),
                (Named::Org, 2, 3),
                (Named::Domain, 1, 2),
            ]
            .into_iter()
            .flat_map(|(what, writers, each)| (0..writers).map(move |w| (what, w, each)))
            .map(|(what, w, each)| {
                let api = &api;
                s.spawn(move || {
                    (0..each)
                        .map(|n| {
                            let name = match what {
                                Named::Domain => format!("r{round}-w{w}-n{n}.kill.test"),
                                _ => format!("r{round}-{what:?}-w{w}-n{n}").to_lowercase(),
                            };
                            let r = api.create(what, &name);
                            let t = told(what, &name, &r);
                            (what, name, t)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
            writers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        // The dead node is replaced, as an operator's orchestrator does.
        live.retain(|&n| n != victim);
        let replacement = c.nodes.len();
        c.nodes.push(command_node(
            &brokers,
            &c.key,
            c.dir.path(),
            replacement,
            &[],
        ));
        live.push(replacement);
        let counts = sent.iter().fold([0; 3], |mut k, (_, _, t)| {
            k[match t {
                Told::Done(_) => 0,
                Told::NotDone(_) => 1,
                Told::Unknown => 2,
            }] += 1;
            k
        });
        let not_done: Vec<&str> = sent
            .iter()
            .filter_map(|(_, _, t)| match t {
                Told::NotDone(code) => Some(code.as_str()),
                _ => None,
            })
            .collect();
        eprintln!("round {round}: killed node {victim} (serving the org: {}) after {delay:?}; done / not done / unknown: {counts:?}; not done: {not_done:?}", serving_org.is_some());
        all.extend(sent);
    }
    // Every name that was not acknowledged is sent again, as a client does.
    let api = Api {
        cluster: &c,
        system: Client::new(&c.base, None).token(system_pat.trim()),
    };
    let mut made: BTreeMap<(Named, String), String> = BTreeMap::new();
    for (what, name, first) in &all {
        match first {
            Told::Done(id) => {
                made.insert((*what, name.clone()), id.clone());
            }
            _ => {
                if let Some(id) = resend(&api, *what, name, first) {
                    made.insert((*what, name.clone()), id);
                }
            }
        }
    }
    // Every name is held once, by what was made for it (the read models may lag a moment
    // behind the last writes: a name held by nothing yet is read again, for a bounded time).
    for what in [Named::User, Named::Org, Named::Domain] {
        let names: Vec<_> = all.iter().filter(|(w, ..)| *w == what).collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        let found = loop {
            let found = api.names(what);
            let missing = names.iter().any(|(_, n, _)| !found.contains_key(n));
            if !missing || Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        for (w, name, first) in names {
            let holders = found.get(name).cloned().unwrap_or_default();
            assert_eq!(
                holders.len(),
                1,
                "{w:?} {name} (told {first:?}) is held by {holders:?}"
            );
            if let Some(id) = made.get(&(*w, name.clone())) {
                assert_eq!(&holders[0], id, "{w:?} {name} (told {first:?})");
            }
        }
    }
    eprintln!(
        "{} names over {ROUNDS} rounds in {:?}",
        all.len(),
        started.elapsed()
    );
}
