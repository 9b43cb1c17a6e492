//! How a cluster's CQL read models are named and replicated, as the operator sets it
//! (`--cql-keyspace`, `--cql-replication`): checked whether or not the CQL adapter is built in.

/// How many replicas each datacenter keeps (NetworkTopologyStrategy), as `dc:n,dc:n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replication(pub Vec<(String, u32)>);

impl std::str::FromStr for Replication {
    type Err = String;

    fn from_str(s: &str) -> Result<Replication, String> {
        let invalid = || {
            format!("the CQL replication '{s}' is not 'datacenter:replicas' pairs separated by commas, such as 'eu-west:3,us-east:3'")
        };
        let pairs = s
            .split(',')
            .map(|pair| {
                let (dc, n) = pair.trim().split_once(':').ok_or_else(invalid)?;
                let valid_dc = !dc.is_empty()
                    && dc
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                match n.parse::<u32>() {
                    Ok(n) if valid_dc && n > 0 => Ok((dc.to_string(), n)),
                    _ => Err(invalid()),
                }
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Replication(pairs))
    }
}

impl Replication {
    /// The keyspace's `replication` map.
    #[cfg(any(feature = "cql", test))]
    pub(crate) fn cql(&self) -> String {
        let dcs: Vec<String> = self
            .0
            .iter()
            .map(|(dc, n)| format!("'{dc}': {n}"))
            .collect();
        format!("{{'class': 'NetworkTopologyStrategy', {}}}", dcs.join(", "))
    }
}

/// A keyspace name CQL takes unquoted: letters, digits and _, starting with a letter, at most
/// 48 characters.
pub fn keyspace_name(name: &str) -> Result<String, String> {
    let valid = !name.is_empty()
        && name.len() <= 48
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(name.to_string())
    } else {
        Err(format!("the keyspace name '{name}' must be letters, digits and _, start with a letter, and be at most 48 characters"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replication_is_datacenter_and_replica_pairs() {
        let r: Replication = "eu-west:3, us_east:2".parse().unwrap();
        assert_eq!(
            r.cql(),
            "{'class': 'NetworkTopologyStrategy', 'eu-west': 3, 'us_east': 2}"
        );
        for bad in ["", "dc", "dc:0", "dc:x", "d'c:1", "dc:1,"] {
            let e = bad.parse::<Replication>().unwrap_err();
            assert!(e.contains("datacenter:replicas"), "{bad}: {e}");
        }
        assert!(keyspace_name("portcullis_eu").is_ok());
        for bad in ["", "1ks", "ks-1", "ks;drop", &"k".repeat(49)] {
            assert!(keyspace_name(bad).is_err(), "{bad}");
        }
    }
}
