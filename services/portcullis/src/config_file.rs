//! `--config FILE` (or `PORTCULLIS_CONFIG`): a TOML file with the keys of
//! `deploy/portcullis.reference.toml`. Its values are defaults: the environment wins over the
//! file, and flags win over both.

use std::path::{Path, PathBuf};

/// The settings a file may hold: every flag of `portcullis start`.
const KEYS: [&str; 27] = [
    "role",
    "data_dir",
    "listen",
    "grpc_listen",
    "admin_listen",
    "trusted_proxies",
    "external_scheme",
    "external_port",
    "role_map",
    "admin_password",
    "admin_pat",
    "system_pat",
    "masterkey",
    "masterkey_previous",
    "workers",
    "actor_idle_secs",
    "max_live_actors",
    "snapshot_every",
    "argon2_memory_kib",
    "argon2_iterations",
    "argon2_parallelism",
    "password_queue",
    "rate_limit_ip",
    "rate_limit_account",
    "group_commit",
    "kafka_brokers",
    "advertise",
];

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
    let mut out = Vec::new();
    for (key, value) in table {
        if !KEYS.contains(&key.as_str()) {
            return Err(format!(
                "unknown key {key:?} (the keys are those of deploy/portcullis.reference.toml: {})",
                KEYS.join(", ")
            ));
        }
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
        out.push((format!("PORTCULLIS_{}", key.to_ascii_uppercase()), value));
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
        let set = parse(reference).unwrap();
        let commented: Vec<&str> = reference
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
            .collect();
        for key in KEYS {
            let var = format!("PORTCULLIS_{}", key.to_uppercase());
            assert!(
                set.iter().any(|(v, _)| *v == var) || commented.contains(&key),
                "{key} is not in the reference file"
            );
        }
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
