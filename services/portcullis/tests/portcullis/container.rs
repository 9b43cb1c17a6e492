//! The binary as `deploy/Dockerfile` runs it: as an unprivileged user, from a directory it
//! cannot write, with nothing writable but the data directory and configuration only from
//! the environment. (No container engine runs here; this covers what the image relies on.)

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NOBODY: u32 = 65534;

#[test]
fn it_runs_unprivileged_writing_only_its_data_directory() {
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // The image's root filesystem: the binary, read-only to the user.
    let image = root.path().join("image");
    std::fs::create_dir(&image).unwrap();
    let bin = image.join("portcullis");
    std::fs::copy(env!("CARGO_BIN_EXE_portcullis"), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(&image, std::fs::Permissions::from_mode(0o555)).unwrap();
    let data = root.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let as_root = effective_uid() == 0;
    if as_root {
        std::os::unix::fs::chown(&data, Some(NOBODY), Some(NOBODY)).unwrap();
    }
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (port, grpc_port) = (free_port(), free_port());
    let mut cmd = if as_root {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(&bin);
        c
    } else {
        Command::new(&bin)
    };
    let mut child = cmd
        .arg("start")
        .current_dir(&image)
        .env_clear()
        .env("PORTCULLIS_DATA_DIR", &data)
        .env("PORTCULLIS_LISTEN", format!("127.0.0.1:{port}"))
        .env("PORTCULLIS_GRPC_LISTEN", format!("127.0.0.1:{grpc_port}"))
        .env("PORTCULLIS_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while ureq::get(&format!("{base}/readyz")).call().is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("portcullis exited ({status}) as an unprivileged user: {err}");
        }
        assert!(Instant::now() < deadline, "not ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    let pat = std::fs::read_to_string(data.join("admin.pat")).unwrap();
    let me = ureq::get(&format!("{base}/v1/users/me"))
        .header("Authorization", format!("Bearer {}", pat.trim()))
        .call()
        .unwrap();
    assert_eq!(me.status(), 200);
    // The gRPC API on its own port answers the same token.
    let me = super::grpc::block(grpc_me(grpc_port, pat.trim()));
    assert_eq!(me.username, "admin-bot");
    // Everything it wrote is in the data directory, owned by the user, secrets 0600.
    for entry in std::fs::read_dir(&data).unwrap() {
        let meta = entry.unwrap().metadata().unwrap();
        if as_root {
            assert_eq!(meta.uid(), NOBODY);
        }
    }
    for secret in ["admin.pat", "system.pat", "admin.password", "master.key"] {
        let mode = std::fs::metadata(data.join(secret))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{secret}");
    }
    let image_files: Vec<_> = std::fs::read_dir(&image).unwrap().collect();
    assert_eq!(image_files.len(), 1, "it wrote beside its binary");
    terminate(child.id());
    assert!(child.wait().unwrap().success(), "SIGTERM ends it cleanly");
}

/// The caller, asked through the gRPC API of the default instance (`localhost`).
async fn grpc_me(port: u16, token: &str) -> gateway::grpc::pb::User {
    use gateway::grpc::pb::user_service_client::UserServiceClient;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://localhost:{port}"))
        .unwrap()
        .connect()
        .await
        .expect("the gRPC port answers");
    let request = super::grpc::call(gateway::grpc::pb::GetMeRequest {}, token, None);
    UserServiceClient::new(channel)
        .get_me(request)
        .await
        .expect("GetMe")
        .into_inner()
}

/// The effective user id, from /proc (no libc needed).
fn effective_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

fn terminate(pid: u32) {
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
}
