//! The public documents clients fetch before anything else: discovery and the JWKS.

use super::Scenario;
use crate::target::{Auth, Target};

/// A GET of a public JSON document, checked for the member every client reads from it.
pub struct Document {
    target: Target,
    name: &'static str,
    path: String,
    /// `issuer` for discovery, `keys` (non-empty) for the JWKS.
    member: &'static str,
}

impl Document {
    pub fn discovery(target: &Target, path: &str) -> Self {
        Document {
            target: target.clone(),
            name: "discovery",
            path: path.into(),
            member: "issuer",
        }
    }

    pub fn jwks(target: &Target, path: &str) -> Self {
        Document {
            target: target.clone(),
            name: "jwks",
            path: path.into(),
            member: "keys",
        }
    }
}

impl Scenario for Document {
    fn name(&self) -> &'static str {
        self.name
    }

    fn request(&self, _: u64) -> Result<(), String> {
        let doc = self
            .target
            .json("GET", &self.path, None, Auth::None, None)?
            .expect(200)?;
        let member = &doc[self.member];
        let present = member.as_str().is_some_and(|s| !s.is_empty())
            || member.as_array().is_some_and(|a| !a.is_empty());
        if present {
            Ok(())
        } else {
            Err(format!("no {}", self.member))
        }
    }
}
