//! The contract check: every request the fake Asana receives under
//! `/api/1.0` is checked against Asana's published OpenAPI description
//! (`tests/contract/asana_oas.yaml`, loaded once per process):
//!
//! - an operation exists for that method and path template;
//! - every query parameter is declared by the operation or its path
//!   (`$ref`'d component parameters included);
//! - a JSON body has only `data` (and `options`) at the top level, and `data`
//!   validates against the operation's request schema, read as Asana applies
//!   it: read-only properties may not be sent and objects take no property
//!   they do not declare.
//!
//! The fake records what fails ([`Violation`]) and answers it with a 400 that
//! names the operation and the field; [`crate::fake_asana::FakeAsana`] panics
//! on drop while any are left, so a test whose card or host sends a request
//! Asana's description does not allow fails and says why.
//!
//! The same index gives the fake each operation's required OAuth scope and
//! the catalogue of scope names.

mod amend;
mod schema;
mod spec;

pub use spec::{Contract, Operation};

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// A request that Asana's OpenAPI description does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub method: String,
    /// The request path (without query), e.g. `/api/1.0/tasks`.
    pub path: String,
    /// The operation matched, `None` when no operation has this method and path.
    pub operation_id: Option<String>,
    /// What is at fault: a query parameter name, a dotted body field
    /// (`data.memberships[0].project`), `body`, or the path.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({}): {}: {}",
            self.method,
            self.path,
            self.operation_id.as_deref().unwrap_or("no operation"),
            self.field,
            self.message
        )
    }
}

/// The outcome of checking one request.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The operation the request was matched to.
    pub operation: Option<&'static Operation>,
    /// Everything wrong with it, in the order found.
    pub violations: Vec<Violation>,
}

/// Asana's OpenAPI description, parsed and indexed on first use.
pub fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| match Contract::load() {
        Ok(contract) => contract,
        Err(e) => panic!("tests/contract/asana_oas.yaml cannot be used: {e}"),
    })
}

/// Operations checked by any fake of this process.
fn validated() -> &'static Mutex<BTreeSet<String>> {
    static VALIDATED: OnceLock<Mutex<BTreeSet<String>>> = OnceLock::new();
    VALIDATED.get_or_init(Default::default)
}

/// Notes that a request of `operation_id` was checked.
pub(crate) fn note_validated(operation_id: &str) {
    let mut set = validated().lock().unwrap_or_else(|p| p.into_inner());
    if !set.contains(operation_id) {
        set.insert(operation_id.to_string());
    }
}

/// The distinct operationIds that requests checked in this process matched,
/// across every fake it ran.
pub fn validated_operations() -> BTreeSet<String> {
    validated()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// One line per checked operation, headed by their count: what a test
/// binary's contract check covered so far.
pub fn coverage_report() -> String {
    let ops = validated_operations();
    let mut out = format!(
        "contract check: {} distinct Asana operations validated against asana_oas.yaml\n",
        ops.len()
    );
    for op in ops {
        out.push_str(&op);
        out.push('\n');
    }
    out
}

/// When `CARDHOST_CONTRACT_REPORT` names a directory, writes
/// [`coverage_report`] to `<dir>/<test binary name>.txt` (replacing what an
/// earlier fake of this process wrote), so the coverage of a whole test
/// binary can be read once it has finished.
pub(crate) fn write_coverage_report() {
    let Some(dir) = std::env::var_os("CARDHOST_CONTRACT_REPORT") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let name = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "unknown".to_string());
    let name = match name.rsplit_once('-') {
        Some((binary, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => binary.to_string(),
        _ => name,
    };
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join(format!("{name}.txt")), coverage_report()));
    if let Err(e) = written {
        tracing::warn!(error = %e, dir = %dir.display(), "cannot write the contract coverage report");
    }
}
