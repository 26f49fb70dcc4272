//! `fake-asana`: runs the fake Asana on loopback so cardhost can be tried
//! without an Asana account, and prints what to export to point it there.

use cardhost_tests::fake_asana::{seed, FakeAsana, WebhookOptions};
use clap::Parser;
use std::net::SocketAddr;
use std::process::ExitCode;

/// A local fake of Asana's REST API, SCIM and OAuth endpoints.
#[derive(Debug, Parser)]
#[command(name = "fake-asana", version)]
struct Args {
    /// Loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:7080")]
    listen: SocketAddr,
    /// Lifetime in seconds of the OAuth access tokens it issues.
    #[arg(long, value_name = "SECS")]
    token_ttl: Option<u64>,
    /// Let webhooks target http:// URLs on loopback (127.0.0.1, ::1,
    /// localhost), e.g. a cardhost running on this machine. Asana refuses
    /// them (it requires public https targets); this is a test deviation.
    #[arg(long)]
    allow_loopback_webhooks: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-asana: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Serves until Ctrl-C.
async fn run(args: Args) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() {
        anyhow::bail!(
            "refusing to listen on {}: the fake Asana only listens on loopback (127.0.0.1 or ::1)",
            args.listen
        );
    }
    let fake = FakeAsana::start_on(args.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    if let Some(ttl) = args.token_ttl {
        fake.set_access_token_ttl(ttl);
    }
    if args.allow_loopback_webhooks {
        fake.set_webhook_options(WebhookOptions {
            allow_loopback_targets: true,
            ..WebhookOptions::default()
        });
    }
    println!("fake Asana listening on {}", fake.base_url());
    println!();
    println!("  personal access token (Ada Lovelace): {}", seed::PAT);
    println!(
        "  service account token (SCIM):         {}",
        seed::SERVICE_ACCOUNT_TOKEN
    );
    println!(
        "  OAuth client id:                      {}",
        seed::CLIENT_ID
    );
    println!(
        "  OAuth client secret:                  {}",
        seed::CLIENT_SECRET
    );
    println!(
        "  redirect URIs: {} and http://127.0.0.1:<port>/oauth/callback, http://localhost:<port>/oauth/callback",
        seed::REDIRECT_URI
    );
    println!(
        "  granular-scope OAuth app:             {} / {} ({})",
        seed::GRANULAR_CLIENT_ID,
        seed::GRANULAR_CLIENT_SECRET,
        seed::GRANULAR_SCOPES.join(" ")
    );
    println!(
        "  workspace: {} ({})",
        seed::WORKSPACE_GID,
        seed::WORKSPACE_NAME
    );
    println!();
    println!("Point cardhost at it with:");
    println!();
    let mut exports = fake.cardhost_env();
    exports.push(("ASANA_TOKEN", seed::PAT.to_string()));
    exports.push(("ASANA_WORKSPACE_GID", seed::WORKSPACE_GID.to_string()));
    for (key, value) in exports {
        println!("export {key}='{value}'");
    }
    println!();
    println!("Every API request is checked against Asana's OpenAPI description: one it does not");
    println!("allow gets a 400 naming the operation and field, and is listed when the fake stops.");
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    tracing::info!("fake asana stopping");
    let violations = fake.take_contract_violations();
    if !violations.is_empty() {
        eprintln!(
            "{} request(s) broke Asana's OpenAPI description:",
            violations.len()
        );
        for v in &violations {
            eprintln!("  - {v}");
        }
    }
    drop(fake);
    Ok(())
}
