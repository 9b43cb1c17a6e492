//! Given / when / then for an org's domains: added with their token, verified once, removed.

use domain::org::{Org, OrgCommand as OC, OrgEvent as OE};
use domain::org_domain::DomainCommand as DC;
use domain::testing::given;
use domain::Code;

fn org() -> OE {
    OE::Added {
        name: "Acme".into(),
    }
}

fn added(domain: &str) -> OE {
    OE::DomainAdded {
        domain: domain.into(),
        token: "t0ken".into(),
    }
}

#[test]
fn a_domain_is_added_in_lower_case_with_its_token() {
    given::<Org>(&[org()])
        .when(OC::Domain(DC::Add {
            domain: "Acme.Example.".into(),
            token: "t0ken".into(),
        }))
        .then(&[added("acme.example")]);
}

#[test]
fn a_domain_twice_or_no_domain_at_all_is_refused() {
    given::<Org>(&[org(), added("acme.example")])
        .when(OC::Domain(DC::Add {
            domain: "ACME.example".into(),
            token: "other".into(),
        }))
        .then_error(Code::OrgDomainExists);
    given::<Org>(&[org()])
        .when(OC::Domain(DC::Add {
            domain: "localhost".into(),
            token: "t".into(),
        }))
        .then_error(Code::InvalidOrgDomain);
}

#[test]
fn a_domain_is_verified_once_and_removed_with_what_it_was() {
    given::<Org>(&[org(), added("acme.example")])
        .when(OC::Domain(DC::Verify {
            domain: "acme.example".into(),
        }))
        .then(&[OE::DomainVerified {
            domain: "acme.example".into(),
        }]);
    let verified = OE::DomainVerified {
        domain: "acme.example".into(),
    };
    given::<Org>(&[org(), added("acme.example"), verified.clone()])
        .when(OC::Domain(DC::Verify {
            domain: "acme.example".into(),
        }))
        .then(&[]);
    given::<Org>(&[org(), added("acme.example"), verified])
        .when(OC::Domain(DC::Remove {
            domain: "acme.example".into(),
        }))
        .then(&[OE::DomainRemoved {
            domain: "acme.example".into(),
        }]);
}

#[test]
fn a_domain_the_org_does_not_hold_is_not_found() {
    for cmd in [
        DC::Verify {
            domain: "other.example".into(),
        },
        DC::Remove {
            domain: "other.example".into(),
        },
    ] {
        given::<Org>(&[org(), added("acme.example")])
            .when(OC::Domain(cmd))
            .then_error(Code::OrgDomainNotFound);
    }
}
