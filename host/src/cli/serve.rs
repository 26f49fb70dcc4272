//! `cardhost serve`: the REST API, the console and the OAuth callback on the
//! listen address, until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use crate::app::App;
use crate::config::{ApiKeySource, Settings};

/// Serve on `listen` (else the settings' address) until a signal.
pub async fn serve(mut settings: Settings, listen: Option<SocketAddr>) -> anyhow::Result<ExitCode> {
    if let Some(l) = listen {
        settings.listen = l;
        if std::env::var("CARDHOST_PUBLIC_URL").is_err() {
            settings.public_url = format!("http://{l}");
        }
    }
    settings.check_listen()?;
    let started = Instant::now();
    let listen = settings.listen;
    let key_source = settings.resolve_api_key()?;
    let public_url = settings.public_url.clone();
    let app = App::start(settings).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let url_file = app.store.data_dir().join(SERVER_URL_FILE);
    record_url(&url_file, &public_url);
    super::announce_api_key(&key_source, &public_url);
    tracing::info!(
        address = %listener.local_addr()?,
        data_dir = %app.store.data_dir().display(),
        api_key = %match &key_source {
            ApiKeySource::Env => "CARDHOST_API_KEY".to_string(),
            ApiKeySource::File { path, .. } => path.display().to_string(),
        },
        ready_ms = started.elapsed().as_millis() as u64,
        "cardhost is ready"
    );
    let store = app.store.clone();
    let router = crate::api::router(app.clone());
    let serving = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal());
    app.start_background();
    serving.await?;
    app.shutdown().await;
    store.flush().await?;
    let _ = std::fs::remove_file(&url_file);
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The file in the data dir where a running server says where it listens,
/// so that a CLI command refused the data dir can name the `--server` URL
/// to use, whatever `--listen` or `CARDHOST_LISTEN` the server was given.
pub const SERVER_URL_FILE: &str = "server.url";

/// Write `url` to `path` (mode 0600); a failure only costs the hint.
fn record_url(path: &std::path::Path, url: &str) {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| writeln!(f, "{url}"));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "cannot record the server's URL");
    }
}

/// The URL a server running on `data_dir` recorded, if any.
pub fn recorded_url(data_dir: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(data_dir.join(SERVER_URL_FILE)).ok()?;
    let url = text.trim();
    (url.starts_with("http://") || url.starts_with("https://")).then(|| url.to_string())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
