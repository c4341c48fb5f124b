//! End-to-end tests of Tessera with the AWS SDK for Rust.
//!
//! [`TesseraProcess`] starts the real `tessera` binary on a free port with a
//! temporary data directory (SQLite) or a fresh PostgreSQL database, and
//! gives SDK clients configured for it. The tests live in `tests/`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use aws_credential_types::Credentials;

/// The account id the test servers are created with.
pub const ACCOUNT_ID: &str = "123456789012";

/// Which store a test server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded SQLite database in the data directory.
    Sqlite,
    /// A fresh database on the cluster named by `TESSERA_TEST_POSTGRES_URL`.
    Postgres,
}

/// A running `tessera serve`, stopped with SIGTERM when dropped.
pub struct TesseraProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    /// The data directory (kept alive for the server's lifetime).
    pub data_dir: tempfile::TempDir,
    /// The PostgreSQL database made for this server, dropped with it.
    database: Option<TestDatabase>,
}

/// A database made on the test cluster for one server.
struct TestDatabase {
    /// The cluster's URL, from `TESSERA_TEST_POSTGRES_URL`.
    admin_url: String,
    /// The database's name.
    name: String,
}

impl TestDatabase {
    /// The URL of the database itself.
    fn url(&self) -> String {
        let (prefix, _) = self
            .admin_url
            .rsplit_once('/')
            .expect("URL has a database path");
        format!("{prefix}/{}", self.name)
    }

    /// Drops the database, so runs against a user's own PostgreSQL leave
    /// nothing behind.
    fn drop_database(&self) {
        let _ = Command::new("psql")
            .args([self.admin_url.as_str(), "-qc"])
            .arg(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .status();
    }
}

/// The `tessera` binary built from this workspace: `TESSERA_BIN`, or
/// `target/<profile>/tessera` next to the test executable's directory.
pub fn tessera_bin() -> PathBuf {
    if let Ok(path) = std::env::var("TESSERA_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/e2e-xxxx → target/debug/tessera
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in target/<profile>/deps");
    let bin = profile_dir.join("tessera");
    assert!(
        bin.exists(),
        "the tessera binary is missing at {}: run `cargo build -p tessera` first (scripts/test.sh does)",
        bin.display()
    );
    bin
}

fn fresh_postgres_database() -> TestDatabase {
    let base = std::env::var("TESSERA_TEST_POSTGRES_URL").expect(
        "TESSERA_TEST_POSTGRES_URL is not set: run scripts/test.sh, which starts a throwaway PostgreSQL",
    );
    let name = format!(
        "e2e_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos()
    );
    let status = Command::new("psql")
        .args([base.as_str(), "-v", "ON_ERROR_STOP=1", "-qc"])
        .arg(format!("CREATE DATABASE {name}"))
        .status()
        .expect("psql runs");
    assert!(status.success(), "cannot create a test database with psql");
    TestDatabase {
        admin_url: base,
        name,
    }
}

impl TesseraProcess {
    /// Starts a server on `backend` and waits until it listens.
    pub fn start(backend: Backend) -> TesseraProcess {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let mut command = Command::new(tessera_bin());
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--account-id",
                ACCOUNT_ID,
            ])
            .arg("--data-dir")
            .arg(data_dir.path())
            .env_remove("TESSERA_DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let database = (backend == Backend::Postgres).then(fresh_postgres_database);
        if let Some(database) = &database {
            command.args(["--database-url", &database.url()]);
        }
        let mut child = command.spawn().expect("tessera starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut endpoint = None;
        for line in lines.by_ref() {
            let line = line.expect("readable output");
            if let Some(rest) = line.strip_prefix("Listening on ") {
                endpoint = Some(rest.trim().to_string());
                break;
            }
        }
        let endpoint = endpoint.expect("tessera printed its address");
        // Keep draining stdout so the server never blocks writing.
        std::thread::spawn(move || for _ in lines {});
        TesseraProcess {
            child,
            endpoint,
            data_dir,
            database,
        }
    }

    /// The root credentials from the data directory's credentials file.
    pub fn root_credentials(&self) -> Credentials {
        let text = std::fs::read_to_string(self.data_dir.path().join("credentials"))
            .expect("credentials file");
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.trim_start().strip_prefix('='))
                .map(|v| v.trim().to_string())
                .expect("field present")
        };
        Credentials::new(
            field("aws_access_key_id"),
            field("aws_secret_access_key"),
            None,
            None,
            "tessera-root",
        )
    }

    /// SDK configuration for this server with `credentials`.
    pub async fn config(&self, credentials: Credentials) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(credentials)
            .load()
            .await
    }

    /// An IAM client.
    pub async fn iam(&self, credentials: Credentials) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.config(credentials).await)
    }

    /// An STS client.
    pub async fn sts(&self, credentials: Credentials) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.config(credentials).await)
    }
}

impl Drop for TesseraProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        if let Some(database) = &self.database {
            database.drop_database();
        }
    }
}
