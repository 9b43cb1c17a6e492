//! An org's domains: added with a random token, verified by finding that token at the domain
//! and claiming the domain for the org across the instance (a verified domain has one org),
//! removed (its claim released); and the org that verified a domain, for domain discovery.

use authz::Caller;
use domain::org::{Org, OrgCommand};
use domain::org_domain::{held_name, org_domain, DomainCommand, Method, OrgDomain, OrgDomains};
use domain::unique::{unique_id, Unique};
use domain::{Aggregate, AggregateKey, Code, Error};

use crate::bus::CommandBus;
use crate::sagas::key;
use crate::Written;

/// The claim a verified domain holds for its org.
pub(crate) fn domain_claim(instance: &str, domain: &str) -> AggregateKey {
    key(instance, Unique::KIND, &unique_id("org_domain", domain))
}

impl CommandBus {
    /// Adds a domain to an org, not verified yet; its token is made here.
    pub async fn add_org_domain(
        &self,
        caller: &Caller,
        instance: &str,
        org_id: &str,
        domain: &str,
    ) -> Result<(Written, String), Error> {
        let domain = org_domain(domain)?;
        let token = crypto::secrets::new_token().0;
        let cmd = OrgCommand::Domain(DomainCommand::Add {
            domain: domain.clone(),
            token,
        });
        let written = self
            .execute::<Org>(&key(instance, Org::KIND, org_id), caller, cmd, None)
            .await?;
        Ok((written, domain))
    }

    /// Verifies an org's domain: its token must be found at the domain (`method`), and no
    /// other org of the instance may hold it verified. Verifying a verified domain does
    /// nothing.
    pub async fn verify_org_domain(
        &self,
        caller: &Caller,
        instance: &str,
        org_id: &str,
        domain: &str,
        method: Method,
    ) -> Result<Written, Error> {
        let org = key(instance, Org::KIND, org_id);
        let domain = held_name(domain);
        let cmd = OrgCommand::Domain(DomainCommand::Verify {
            domain: domain.clone(),
        });
        let (state, _) = self.state::<Org>(&org).await?;
        domain::authorize(&self.deps.authz, caller, state.access(&org, &cmd))?;
        let token = match state.domains.get(&domain) {
            Some(OrgDomain {
                verified: false,
                token,
            }) if state.exists() => token.clone(),
            // Nothing to check: the actor says it is verified already, or missing.
            _ => return self.execute::<Org>(&org, caller, cmd, None).await,
        };
        if let Err(found) = self.domain_checks.check(&domain, &token, method).await {
            tracing::info!(instance, org_id, %domain, ?method, %found, "a domain was not verified");
            return Err(Error::new(
                Code::OrgDomainUnverified,
                format!("{found}: publish the token shown for the domain, then verify again"),
            )
            .with("domain", domain));
        }
        let claim = domain_claim(instance, &domain);
        let verified = |o: &Org| o.domains.get(&domain).is_some_and(|d| d.verified);
        self.claimed(
            (&claim, org_id, Code::OrgDomainTaken),
            caller,
            (&org, verified),
            |not_after| self.execute_before::<Org>(&org, caller, cmd.clone(), None, not_after),
        )
        .await
    }

    /// Removes an org's domain, and its claim if it was verified.
    pub async fn remove_org_domain(
        &self,
        caller: &Caller,
        instance: &str,
        org_id: &str,
        domain: &str,
    ) -> Result<Written, Error> {
        let org = key(instance, Org::KIND, org_id);
        let domain = held_name(domain);
        let cmd = OrgCommand::Domain(DomainCommand::Remove {
            domain: domain.clone(),
        });
        let written = self.execute::<Org>(&org, caller, cmd, None).await?;
        self.release(&domain_claim(instance, &domain), org_id, caller)
            .await;
        Ok(written)
    }

    /// Releases the claims of a removed org's verified domains.
    pub(crate) async fn release_org_domains(
        &self,
        caller: &Caller,
        instance: &str,
        org_id: &str,
        domains: &OrgDomains,
    ) {
        for (domain, _) in domains.iter().filter(|(_, d)| d.verified) {
            self.release(&domain_claim(instance, domain), org_id, caller)
                .await;
        }
    }

    /// An org's domains, and the org's sequence.
    pub async fn org_domains(
        &self,
        instance: &str,
        org_id: &str,
    ) -> Result<(OrgDomains, u64), Error> {
        let (org, sequence) = self.state::<Org>(&key(instance, Org::KIND, org_id)).await?;
        if !org.exists() {
            return Err(Error::new(Code::OrgNotFound, "the org does not exist"));
        }
        Ok((org.domains, sequence))
    }

    /// The org that verified `domain` in the instance, if one did and still exists.
    pub async fn org_of_domain(
        &self,
        instance: &str,
        domain: &str,
    ) -> Result<Option<String>, Error> {
        let (claim, _) = self
            .state::<Unique>(&domain_claim(instance, domain))
            .await?;
        let Some(org_id) = claim.owner else {
            return Ok(None);
        };
        let (org, _) = self
            .state::<Org>(&key(instance, Org::KIND, &org_id))
            .await?;
        let verified = org.exists() && org.domains.get(domain).is_some_and(|d| d.verified);
        Ok(verified.then_some(org_id))
    }
}
