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
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    app.shutdown().await;
    store.flush().await?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
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
