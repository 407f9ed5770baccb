//! The harness of the CLI tests: the ingest handler served over HTTP, the built binary, and a user of it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

use axum::extract::{Request, State};
use axum::response::Response;
use hookline_local::receiver::{Behaviour, Receiver};
use hookline_tests::Stack;
use lambda_http::RequestExt as _;
use serde_json::Value;

/// The ingest handler over HTTP: each request becomes the request API Gateway would hand the function.
pub async fn serve_api(stack: Arc<Stack>) -> String {
    async fn forward(State(stack): State<Arc<Stack>>, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        let bytes = axum::body::to_bytes(body, 8 * 1024 * 1024).await.unwrap_or_default();
        let query: HashMap<String, Vec<String>> = url::form_urlencoded::parse(
            parts.uri.query().unwrap_or("").as_bytes(),
        )
        .fold(HashMap::new(), |mut query, (k, v)| {
            query.entry(k.into_owned()).or_default().push(v.into_owned());
            query
        });
        let body = match String::from_utf8(bytes.to_vec()) {
            Ok(text) => lambda_http::Body::Text(text),
            Err(binary) => lambda_http::Body::Binary(binary.into_bytes()),
        };
        let request = http::Request::from_parts(parts, body).with_query_string_parameters(query);
        let response = hookline_ingest::handle(&stack.ingest, request).await.unwrap();
        let (parts, body) = response.into_parts();
        Response::from_parts(parts, axum::body::Body::from(body.as_ref().to_vec()))
    }
    let app = axum::Router::new().fallback(forward).with_state(stack);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Builds the `hookline` binary (a no-op when it is up to date) and returns its path: only the CLI's own
/// tests get `CARGO_BIN_EXE_hookline`.
pub fn binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let output = Command::new(cargo)
                .args(["build", "-p", "hookline-cli", "--bin", "hookline", "--message-format=json"])
                .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
                .output()
                .expect("running cargo build");
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                .filter(|message| message["target"]["name"] == "hookline")
                .find_map(|message| message["executable"].as_str().map(PathBuf::from))
                .expect("cargo build named no hookline executable")
        })
        .clone()
}

#[derive(Debug)]
pub struct Run {
    pub success: bool,
    /// The exit status (`None` if a signal ended it).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// What it printed, as JSON, from a run that succeeded.
    pub fn json(&self) -> Value {
        assert!(self.success, "hookline failed: {}", self.stderr);
        self.printed()
    }

    /// What it printed, as JSON, however it ended.
    pub fn printed(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// The CLI as one user runs it: a config file of its own, and any environment on top.
#[derive(Debug)]
pub struct Cli {
    pub dir: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Cli {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("hookline-cli-e2e-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        std::fs::create_dir_all(&dir).unwrap();
        Self { env: vec![("HOOKLINE_CONFIG".into(), dir.join("cfg/config.json").display().to_string())], dir }
    }

    /// The same user with the API URL and key in the environment instead of the config file.
    pub fn with_env(name: &str, api_url: &str, api_key: &str) -> Self {
        let mut cli = Self::new(name);
        cli.env.push(("HOOKLINE_API_URL".into(), api_url.into()));
        cli.env.push(("HOOKLINE_API_KEY".into(), api_key.into()));
        cli
    }

    pub fn file(&self, name: &str, content: &[u8]) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }

    /// Starts the binary with `args` and returns at once; the handle gives what it did when it ends.
    pub fn start(&self, args: &[&str]) -> tokio::task::JoinHandle<Run> {
        let env = self.env.clone();
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        // Blocking, so off the runtime: the API the binary calls is served on this runtime.
        tokio::task::spawn_blocking(move || {
            let mut command = Command::new(binary());
            for name in [
                "HOOKLINE_API_URL",
                "HOOKLINE_API_KEY",
                "HOOKLINE_CONFIG",
                "XDG_CONFIG_HOME",
                "HOOKLINE_TENANT",
            ] {
                command.env_remove(name);
            }
            let output = command.args(&args).envs(env).output().unwrap();
            Run {
                success: output.status.success(),
                code: output.status.code(),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            }
        })
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        self.start(args).await.unwrap()
    }

    pub async fn json(&self, args: &[&str]) -> Value {
        self.run(args).await.json()
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

pub async fn receiver() -> Receiver {
    Receiver::start("127.0.0.1:0".parse::<SocketAddr>().unwrap(), Behaviour::default()).await.unwrap()
}

pub fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}
