//! The operators' HTTP endpoints of `sygnal run` (`[operations] listen`, loopback only):
//! `/metrics` (Prometheus text) and `/health` (200, or 503 with one line per problem).
//!
//! Requests are answered by one loop that owns the desks (the register's futures cannot move
//! between threads); the HTTP handlers only pass each request to it and render the answer.

use std::convert::Infallible;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::{mpsc, oneshot};

use crate::desk::{Health, Operations};

/// OpenMetrics text, which Prometheus asks for and reads; the format prometheus-client writes.
const METRICS_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const TEXT_TYPE: &str = "text/plain; charset=utf-8";

enum Ask {
    Metrics(oneshot::Sender<String>),
    Health(oneshot::Sender<Health>),
}

/// Serves the endpoints on `listener` for as long as it is polled. A failure to serve is
/// logged and intake goes on: this never returns.
pub async fn serve(listener: tokio::net::TcpListener, operations: Operations) -> Infallible {
    let (asks, mut asked) = mpsc::channel::<Ask>(16);
    let app = Router::new()
        .route("/metrics", get(metrics_page))
        .route("/health", get(health_page))
        .with_state(asks);
    let answer = async {
        while let Some(ask) = asked.recv().await {
            match ask {
                Ask::Metrics(reply) => {
                    let _ = reply.send(operations.metrics_text().await);
                }
                Ask::Health(reply) => {
                    let _ = reply.send(operations.health().await);
                }
            }
        }
    };
    tokio::select! {
        served = axum::serve(listener, app) => {
            if let Err(e) = served {
                tracing::error!(error = %e, "OperationsEndpointsFailed: intake goes on");
            }
        }
        () = answer => {}
    }
    std::future::pending().await
}

async fn metrics_page(State(asks): State<mpsc::Sender<Ask>>) -> Response {
    let (reply, answer) = oneshot::channel();
    let text = match asks.send(Ask::Metrics(reply)).await {
        Ok(()) => answer.await.ok(),
        Err(_) => None,
    };
    match text {
        Some(text) => (
            [
                (header::CONTENT_TYPE, METRICS_TYPE),
                (header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response(),
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn health_page(State(asks): State<mpsc::Sender<Ask>>) -> Response {
    let (reply, answer) = oneshot::channel();
    let health = match asks.send(Ask::Health(reply)).await {
        Ok(()) => answer.await.ok(),
        Err(_) => None,
    };
    let (status, body) = match health {
        Some(h) if h.problems.is_empty() => (StatusCode::OK, "ok\n".to_owned()),
        Some(h) => (
            StatusCode::SERVICE_UNAVAILABLE,
            h.problems.iter().map(|p| format!("{p}\n")).collect(),
        ),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the gateway is stopping\n".to_owned(),
        ),
    };
    (
        status,
        [
            (header::CONTENT_TYPE, TEXT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}
