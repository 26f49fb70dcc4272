//! `fake-github`: runs the fake GitHub on loopback so cardhost can be tried
//! without a GitHub account, and prints what to export to point it there.

use cardhost_tests::fake_github::{seed, FakeGitHub};
use clap::Parser;
use std::net::SocketAddr;
use std::process::ExitCode;

/// A local fake of GitHub's OAuth web flow and a few REST endpoints.
#[derive(Debug, Parser)]
#[command(name = "fake-github", version)]
struct Args {
    /// Loopback address to listen on.
    #[arg(long, default_value = "127.0.0.1:7081")]
    listen: SocketAddr,
    /// The primary rate limit per user, per window (GitHub's is 5000).
    #[arg(long, value_name = "REQUESTS")]
    rate_limit: Option<u32>,
    /// The length of a rate-limit window in seconds (GitHub's is 3600).
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    rate_limit_window: u64,
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
            eprintln!("fake-github: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Serves until Ctrl-C.
async fn run(args: Args) -> anyhow::Result<()> {
    if !args.listen.ip().is_loopback() {
        anyhow::bail!(
            "refusing to listen on {}: the fake GitHub only listens on loopback (127.0.0.1 or ::1)",
            args.listen
        );
    }
    let fake = FakeGitHub::start_on(args.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    if let Some(limit) = args.rate_limit {
        fake.set_primary_limit(limit, args.rate_limit_window);
    }
    println!("fake GitHub listening on {}", fake.base_url());
    println!();
    println!(
        "  personal access token (classic), {} ({}): {}",
        seed::OCTOCAT,
        seed::CLASSIC_TOKEN_SCOPES.join(", "),
        seed::CLASSIC_TOKEN
    );
    println!(
        "  fine-grained token, {} (only {}/{}, issues write): {}",
        seed::OCTOCAT,
        seed::ORG,
        seed::PUBLIC_REPO,
        seed::FINE_GRAINED_TOKEN
    );
    println!("  OAuth app client id:     {}", seed::CLIENT_ID);
    println!("  OAuth app client secret: {}", seed::CLIENT_SECRET);
    println!(
        "  callback URL: {} (any port on 127.0.0.1, and paths below it)",
        seed::REDIRECT_URI
    );
    println!(
        "  signed in on the authorization page: {} ({})",
        seed::OCTOCAT,
        seed::OCTOCAT_NAME
    );
    println!();
    println!("Point cardhost at it with:");
    println!();
    let mut exports = fake.cardhost_env();
    exports.push(("GITHUB_CLIENT_ID", seed::CLIENT_ID.to_string()));
    exports.push(("GITHUB_CLIENT_SECRET", seed::CLIENT_SECRET.to_string()));
    exports.push(("GITHUB_TOKEN", seed::CLASSIC_TOKEN.to_string()));
    for (key, value) in exports {
        println!("export {key}='{value}'");
    }
    println!();
    println!("API requests need a User-Agent header; the authorization page takes");
    println!("`&approve=1` (or `&approve=deny`) to answer without a click.");
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    tracing::info!("fake github stopping");
    drop(fake);
    Ok(())
}
