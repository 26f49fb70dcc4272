//! [`Context`]: what a card knows about the run (never a secret), logging,
//! and the HTTP capability.

pub use crate::bindings::cardhost::card::log::Level;
pub use crate::bindings::cardhost::card::types::RunContext;
use crate::http::Http;

/// Facts about the connection a run uses, and the run's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    connector: String,
    default_workspace: Option<String>,
    has_service_account: bool,
}

impl Context {
    /// A context for `connector` with no default workspace and no service
    /// account (the host builds the real one; this is for tests).
    pub fn new(connector: impl Into<String>) -> Self {
        Context {
            connector: connector.into(),
            default_workspace: None,
            has_service_account: false,
        }
    }

    /// The same context with `workspace` as the default workspace.
    pub fn with_default_workspace(mut self, workspace: impl Into<String>) -> Self {
        self.default_workspace = Some(workspace.into()).filter(|w: &String| !w.is_empty());
        self
    }

    /// The same context, with or without a service account token.
    pub fn with_service_account(mut self, has_service_account: bool) -> Self {
        self.has_service_account = has_service_account;
        self
    }

    /// The connector, e.g. `asana`.
    pub fn connector(&self) -> &str {
        &self.connector
    }

    /// The default workspace of the connection or the app, if any.
    pub fn default_workspace(&self) -> Option<&str> {
        self.default_workspace.as_deref()
    }

    /// Whether the connection has a service account token the card may use
    /// (with [`crate::http::Credential::ServiceAccount`]).
    pub fn has_service_account(&self) -> bool {
        self.has_service_account
    }

    /// The HTTP capability.
    pub fn http(&self) -> Http {
        Http
    }

    /// Writes a line to the run's log.
    pub fn log(&self, level: Level, message: impl AsRef<str>) {
        log(level, message.as_ref());
    }

    /// Logs at debug level.
    pub fn debug(&self, message: impl AsRef<str>) {
        self.log(Level::Debug, message);
    }

    /// Logs at info level.
    pub fn info(&self, message: impl AsRef<str>) {
        self.log(Level::Info, message);
    }

    /// Logs at warn level.
    pub fn warn(&self, message: impl AsRef<str>) {
        self.log(Level::Warn, message);
    }

    /// Logs at error level.
    pub fn error(&self, message: impl AsRef<str>) {
        self.log(Level::Error, message);
    }
}

impl From<RunContext> for Context {
    fn from(rc: RunContext) -> Self {
        Context {
            connector: rc.connector,
            default_workspace: rc.default_workspace.filter(|w| !w.is_empty()),
            has_service_account: rc.has_service_account,
        }
    }
}

/// Writes a line to the run's log (the host keeps it with the run's history).
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::cardhost::card::log::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::log(level, message);
}
