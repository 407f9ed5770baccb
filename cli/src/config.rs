//! Where the API client finds its URL and key: a config file written by `hookline configure` (readable by
//! its owner only), overridden by `HOOKLINE_API_URL` and `HOOKLINE_API_KEY`.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use serde::{Deserialize, Serialize};

pub const ENV_CONFIG: &str = "HOOKLINE_CONFIG";
pub const ENV_API_URL: &str = "HOOKLINE_API_URL";
pub const ENV_API_KEY: &str = "HOOKLINE_API_KEY";
pub const ENV_TENANT: &str = "HOOKLINE_TENANT";

/// The config file's content. Either field may be missing until `configure` sets it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
}

impl fmt::Debug for FileConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileConfig")
            .field("api_url", &self.api_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What an API command needs: both values, wherever they came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    pub api_url: String,
    pub api_key: String,
    /// The tenant a platform key acts for (`--tenant`, `HOOKLINE_TENANT`).
    pub tenant: Option<String>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("api_url", &self.api_url)
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

/// The config file: `$HOOKLINE_CONFIG`, else `$XDG_CONFIG_HOME/hookline/config.json`, else
/// `~/.config/hookline/config.json`.
pub fn path(env: impl Fn(&str) -> Option<String>) -> anyhow::Result<PathBuf> {
    let set = |name: &str| env(name).filter(|value| !value.is_empty());
    if let Some(path) = set(ENV_CONFIG) {
        return Ok(PathBuf::from(path));
    }
    let base = match (set("XDG_CONFIG_HOME"), set("HOME")) {
        (Some(xdg), _) => PathBuf::from(xdg),
        (None, Some(home)) => Path::new(&home).join(".config"),
        (None, None) => bail!("no place for the config file: set {ENV_CONFIG}, XDG_CONFIG_HOME or HOME"),
    };
    Ok(base.join("hookline").join("config.json"))
}

/// The file's content; an absent file is an empty config.
pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).with_context(|| format!("reading {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(e) => Err(anyhow!(e).context(format!("reading {}", path.display()))),
    }
}

/// Writes the file so that only its owner can read it (mode 0600, directory 0700): it holds an API key.
/// The new content goes to a fresh file that replaces the old one, so it is never readable by others,
/// not even for a moment, and a crash leaves the old file whole.
pub fn save(path: &Path, config: &FileConfig) -> anyhow::Result<()> {
    let dir = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_private_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    let file_name = path.file_name().context("the config path names no file")?.to_string_lossy();
    let temporary = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let written = write_private(&temporary, &serde_json::to_vec_pretty(config)?)
        .and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        // Best effort: the error that matters is the one returned below.
        std::fs::remove_file(&temporary).ok();
    }
    written.with_context(|| format!("writing {}", path.display()))
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// The URL and key to use: the environment's, else the file's.
pub fn resolve(file: FileConfig, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Settings> {
    let set = |name: &str| env(name).filter(|value| !value.trim().is_empty());
    let api_url = set(ENV_API_URL).or(file.api_url).ok_or_else(|| {
        anyhow!("no API URL: run `hookline configure --api-url URL --api-key hlk_…` (or hlp_…) or set {ENV_API_URL}")
    })?;
    let api_key = set(ENV_API_KEY).or(file.api_key).ok_or_else(|| {
        anyhow!("no API key: run `hookline configure --api-key hlk_…` or set {ENV_API_KEY}")
    })?;
    let tenant = set(ENV_TENANT).map(|tenant| tenant.trim().to_owned());
    Ok(Settings { api_url: api_url.trim().to_owned(), api_key: api_key.trim().to_owned(), tenant })
}

/// [`resolve`] with the process environment and the config file it names.
pub fn settings() -> anyhow::Result<Settings> {
    let env = |name: &str| std::env::var(name).ok();
    resolve(load(&path(env)?)?, env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hookline-cli-{name}-{}", std::process::id()));
        std::fs::remove_dir_all(&dir).ok();
        dir
    }

    #[test]
    fn the_config_path_prefers_hookline_config_then_xdg_then_home() {
        let all = [("HOOKLINE_CONFIG", "/c/x.json"), ("XDG_CONFIG_HOME", "/xdg"), ("HOME", "/home/me")];
        assert_eq!(path(env(&all)).unwrap(), PathBuf::from("/c/x.json"));
        assert_eq!(path(env(&all[1..])).unwrap(), PathBuf::from("/xdg/hookline/config.json"));
        assert_eq!(path(env(&all[2..])).unwrap(), PathBuf::from("/home/me/.config/hookline/config.json"));
        assert!(path(env(&[("XDG_CONFIG_HOME", "")])).is_err());
    }

    #[test]
    fn the_environment_overrides_the_file_field_by_field() {
        let file = FileConfig { api_url: Some("https://file".into()), api_key: Some("hlk_file".into()) };
        let settings = resolve(file.clone(), env(&[("HOOKLINE_API_KEY", "hlk_env")])).unwrap();
        assert_eq!((settings.api_url.as_str(), settings.api_key.as_str()), ("https://file", "hlk_env"));
        let settings = resolve(file, env(&[("HOOKLINE_API_URL", "http://env")])).unwrap();
        assert_eq!((settings.api_url.as_str(), settings.api_key.as_str()), ("http://env", "hlk_file"));
    }

    #[test]
    fn a_missing_url_or_key_says_how_to_configure_it() {
        let error = resolve(FileConfig::default(), env(&[])).unwrap_err().to_string();
        assert!(error.contains("hookline configure"), "{error}");
        let only_url = FileConfig { api_url: Some("https://x".into()), api_key: None };
        let error = resolve(only_url, env(&[])).unwrap_err().to_string();
        assert!(error.contains("no API key"), "{error}");
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let file = FileConfig { api_url: None, api_key: Some("hlk_secret".into()) };
        let settings = Settings { api_url: "u".into(), api_key: "hlk_secret".into(), tenant: None };
        assert!(!format!("{file:?} {settings:?}").contains("hlk_secret"));
    }

    #[test]
    fn a_saved_config_reads_back_and_only_its_owner_can_read_it() {
        let dir = scratch("save");
        let path = dir.join("nested/config.json");
        assert_eq!(load(&path).unwrap(), FileConfig::default());
        let config = FileConfig { api_url: Some("https://api".into()), api_key: Some("hlk_k".into()) };
        save(&path, &config).unwrap();
        save(&path, &config).unwrap();
        assert_eq!(load(&path).unwrap(), config);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "the temporary file was left behind");
        std::fs::remove_dir_all(&dir).ok();
    }
}
