//! `cardhost schemas`: the JSON Schemas of the built-in cards' I/O and of the
//! Rust types, generated from the built-in cards loaded in memory. It touches
//! no data dir, so it needs no host and no REST request.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::capability::{HttpCapability, HttpLimits};
use crate::config::Settings;
use crate::runtime::catalogue::Catalogue;
use crate::runtime::Runtime;
use crate::schemas;

/// Print the schemas, write them under `write`, or compare them with `check`.
pub async fn schemas(
    settings: Settings,
    write: Option<PathBuf>,
    check: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let runtime = Runtime::new(
        settings.runtime.clone(),
        HttpCapability::new(HttpLimits::default())?,
    )?;
    let registry = crate::connectors::Registry::new(settings.connectors.clone());
    let catalogue = Catalogue::with_builtins(&runtime, &registry).await?;
    let map = schemas::generate(&catalogue).await;
    match (write, check) {
        (Some(dir), _) => {
            schemas::write(&dir, &map)
                .with_context(|| format!("cannot write the schemas to {}", dir.display()))?;
            eprintln!("wrote {} schemas to {}", map.len(), dir.display());
        }
        (None, Some(dir)) => {
            let drift = schemas::drift(&dir, &map);
            if !drift.is_empty() {
                eprintln!(
                    "these schemas are out of date: {}\nregenerate them with: {}",
                    drift.join(", "),
                    schemas::REGENERATE
                );
                return Ok(ExitCode::FAILURE);
            }
            eprintln!(
                "the {} schemas in {} are up to date",
                map.len(),
                dir.display()
            );
        }
        (None, None) => println!("{}", serde_json::to_string_pretty(&map)?),
    }
    Ok(ExitCode::SUCCESS)
}
