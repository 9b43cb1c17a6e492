//! A company's LDAP directory for the tests: Debian's `slapd`, started here on two loopback
//! ports (`ldap://` with StartTLS, and `ldaps://`) with a certificate of a CA made here
//! (openssl), filled with `ldapadd` from `ldap-utils`; stopped when dropped.

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::federation::free_port;

pub const BASE_DN: &str = "ou=people,dc=acme,dc=example";
pub const ADMIN_DN: &str = "cn=admin,dc=acme,dc=example";
pub const ADMIN_PASSWORD: &str = "directory-admin-secret";

pub struct Directory {
    child: Child,
    dir: tempfile::TempDir,
    /// `ldap://` (StartTLS offered).
    pub ldap: u16,
    /// `ldaps://`.
    pub ldaps: u16,
    /// The CA the server's certificate chains to (PEM).
    pub ca: String,
}

impl Drop for Directory {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a certificate of it for 127.0.0.1.
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Acme Test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

const PEOPLE: &str = "dn: dc=acme,dc=example
objectClass: dcObject
objectClass: organization
o: Acme
dc: acme

dn: ou=people,dc=acme,dc=example
objectClass: organizationalUnit
ou: people

dn: uid=ada,ou=people,dc=acme,dc=example
objectClass: inetOrgPerson
uid: ada
cn: Ada Lovelace
givenName: Ada
sn: Lovelace
mail: ada@acme.example
userPassword: analytical engine
";

impl Directory {
    /// A directory with the org `dc=acme,dc=example`, `ou=people` and Ada
    /// (`uid=ada`, `ada@acme.example`, password `analytical engine`).
    pub fn start() -> Directory {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        certificates(d);
        std::fs::create_dir(d.join("db")).unwrap();
        let at = d.display();
        let conf = format!(
            "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {at}/slapd.pid
TLSCACertificateFile {at}/ca.pem
TLSCertificateFile {at}/server.pem
TLSCertificateKeyFile {at}/server.key
database mdb
suffix \"dc=acme,dc=example\"
rootdn \"{ADMIN_DN}\"
rootpw {ADMIN_PASSWORD}
directory {at}/db
"
        );
        std::fs::write(d.join("slapd.conf"), conf).unwrap();
        let (ldap, ldaps) = (free_port(), free_port());
        let urls = format!("ldap://127.0.0.1:{ldap}/ ldaps://127.0.0.1:{ldaps}/");
        let child = Command::new("/usr/sbin/slapd")
            .args(["-f", &format!("{at}/slapd.conf"), "-h", &urls, "-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd runs: run `bash scripts/test`, which installs it");
        let directory = Directory {
            child,
            ca: std::fs::read_to_string(d.join("ca.pem")).unwrap(),
            dir,
            ldap,
            ldaps,
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", ldap)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "slapd did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        directory.change("ldapadd", PEOPLE);
        directory
    }

    /// Runs `tool` (`ldapadd`, `ldapmodify`) as the directory's admin with `ldif`.
    pub fn change(&self, tool: &str, ldif: &str) {
        let mut child = Command::new(tool)
            .args(["-x", "-H", &format!("ldap://127.0.0.1:{}", self.ldap)])
            .args(["-D", ADMIN_DN, "-w", ADMIN_PASSWORD])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ldap-utils run: run `bash scripts/test`, which installs them");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(ldif.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = &self.dir;
    }
}
