//! `--config FILE` (or `PORTCULLIS_CONFIG`): a TOML file with the keys of
//! `deploy/portcullis.reference.toml`. Its values are defaults: the environment wins over the
//! file, and flags win over both.

use std::path::{Path, PathBuf};

/// The settings a file may hold: every flag of `portcullis start` that has an environment
/// variable, as `(key, variable)`; the key is the variable without `PORTCULLIS_`, in lower
/// case. Read off the flags' own declaration (`config::StartOptions`), so a new flag is a key
/// at once.
pub fn keys() -> Vec<(String, String)> {
    use clap::Args;
    let command = crate::config::StartOptions::augment_args(clap::Command::new("start"));
    command
        .get_arguments()
        .filter_map(|arg| arg.get_env()?.to_str().map(String::from))
        .filter(|var| var != "PORTCULLIS_CONFIG")
        .filter_map(|var| {
            let key = var.strip_prefix("PORTCULLIS_")?.to_ascii_lowercase();
            Some((key, var))
        })
        .collect()
}

/// The config file named on the command line or in the environment, if any.
pub fn path(args: &[String]) -> Option<PathBuf> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(p) = a.strip_prefix("--config=") {
            return Some(PathBuf::from(p));
        }
    }
    std::env::var_os("PORTCULLIS_CONFIG").map(PathBuf::from)
}

/// The file's settings as `(PORTCULLIS_* variable, value)`; errors name the file and the key.
pub fn settings(path: &Path) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("the config file {} is invalid: {e}", path.display()))
}

fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    let keys = keys();
    let mut out = Vec::new();
    for (key, value) in table {
        let Some((_, var)) = keys.iter().find(|(k, _)| *k == key) else {
            let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
            return Err(format!(
                "unknown key {key:?} (the keys are those of deploy/portcullis.reference.toml: {})",
                names.join(", ")
            ));
        };
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(format!(
                    "{key} must be a string, a number or a boolean, not {}",
                    other.type_str()
                ))
            }
        };
        out.push((var.clone(), value));
    }
    Ok(out)
}

/// Makes the file's settings the defaults of their environment variables (before the command
/// line is parsed, while the process has one thread).
pub fn apply(args: &[String]) -> Result<(), String> {
    let Some(path) = path(args) else {
        return Ok(());
    };
    for (var, value) in settings(&path)? {
        if std::env::var_os(&var).is_none() {
            std::env::set_var(var, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_file_holds_every_key_and_only_known_keys() {
        let reference = include_str!("../../../deploy/portcullis.reference.toml");
        // Its settings parse (so every key it sets is known), and each flag is there, set or
        // shown commented out; no commented key is unknown either.
        let set = parse(reference).unwrap();
        let commented: Vec<&str> = reference
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
            .filter(|k| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        let keys = keys();
        for (key, var) in &keys {
            assert!(
                set.iter().any(|(v, _)| v == var) || commented.contains(&key.as_str()),
                "{key} is not in the reference file"
            );
        }
        for key in commented {
            assert!(
                keys.iter().any(|(k, _)| k == key),
                "the reference file shows {key}, which is no setting"
            );
        }
        assert!(keys.iter().any(|(k, _)| k == "cql_nodes"), "{keys:?}");
    }

    #[test]
    fn unknown_keys_and_tables_are_refused() {
        assert!(parse("colour = \"red\"").unwrap_err().contains("colour"));
        assert!(parse("[role]\nx = 1").unwrap_err().contains("role"));
        assert!(parse("listen = ").is_err());
        assert_eq!(
            parse("workers = 4\ngroup_commit = false").unwrap(),
            [
                ("PORTCULLIS_GROUP_COMMIT".to_string(), "false".to_string()),
                ("PORTCULLIS_WORKERS".to_string(), "4".to_string()),
            ]
        );
    }

    #[test]
    fn the_path_comes_from_the_flag() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            path(&args(&["portcullis", "start", "--config", "a.toml"])),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            path(&args(&["portcullis", "start", "--config=b.toml"])),
            Some(PathBuf::from("b.toml"))
        );
    }
}
