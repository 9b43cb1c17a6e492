//! Permission check and readable-scope computation. `cargo bench -p authz`.

use std::hint::black_box;
use std::sync::Arc;

use authz::{
    Authorizer, Caller, Memberships, Permission, Principal, Requirement, Resource, Role, RoleMap,
    RoleSet, Target,
};
use criterion::{criterion_group, criterion_main, Criterion};

fn caller_with(grants: impl IntoIterator<Item = (Resource, RoleSet)>) -> Caller {
    let map = RoleMap::default_map();
    Caller::Principal(Arc::new(Principal {
        instance: "inst-1".into(),
        org: "org-home".into(),
        user: "user-1".into(),
        memberships: Memberships::from_grants(grants, &map),
    }))
}

fn roles(r: &[Role]) -> RoleSet {
    r.iter().copied().collect()
}

fn bench(c: &mut Criterion) {
    let authz = Authorizer::new(RoleMap::default_map());

    // 20 memberships: 19 projects the target is not in, and the org that owns the target last.
    let mut grants: Vec<(Resource, RoleSet)> = (0..19)
        .map(|i| {
            (
                Resource::Project(format!("project-{i}")),
                roles(&[Role::ProjectOwnerViewer]),
            )
        })
        .collect();
    grants.push((
        Resource::Org("org-7".into()),
        roles(&[Role::OrgUserManager]),
    ));
    let caller = caller_with(grants);
    let write = Requirement::plain(Permission::USER_WRITE);
    let target = Target::User {
        instance: "inst-1",
        org: "org-7",
        user: "user-42",
    };
    c.bench_function("check, 20 memberships, allowed by the last", |b| {
        b.iter(|| authz.check(black_box(&caller), write, black_box(&target)))
    });
    let elsewhere = Target::User {
        instance: "inst-1",
        org: "org-8",
        user: "user-42",
    };
    c.bench_function("check, 20 memberships, denied", |b| {
        b.iter(|| authz.check(black_box(&caller), write, black_box(&elsewhere)))
    });

    let many = caller_with((0..1000).map(|i| {
        (
            Resource::Project(format!("project-{i:04}")),
            roles(&[Role::ProjectOwner]),
        )
    }));
    let read = Requirement::plain(Permission::PROJECT_READ);
    c.bench_function("readable scope, 1,000 project memberships", |b| {
        b.iter(|| authz.readable_scope(black_box(&many), read, "inst-1"))
    });
    // Baseline in the same run: what the scope replaces, one check per row for 100 rows.
    let ids: Vec<String> = (0..100).map(|i| format!("project-{:04}", i * 10)).collect();
    c.bench_function(
        "baseline: per-row check of a page of 100, 1,000 memberships",
        |b| {
            b.iter(|| {
                ids.iter()
                    .filter(|p| {
                        let t = Target::Project {
                            instance: "inst-1",
                            org: "org-x",
                            project: p,
                        };
                        authz.check(black_box(&many), read, &t).is_allowed()
                    })
                    .count()
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
