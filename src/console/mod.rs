//! The web console (`sygnal console`): a front end like the CLI, in the browser of a handler's
//! own workstation. It parses a request, calls one use case of the desk and renders HTML; every
//! rule stays in the desk.
//!
//! Its first pages need no key: the due list (overdue first, in red, with days overdue), the
//! case list with filters, and a case's dates and deadlines. Safety that holds for every page:
//! it listens on loopback only and answers only requests addressed to a loopback name (a web
//! page elsewhere cannot reach it through DNS rebinding); every response carries a strict
//! Content-Security-Policy (no script, no remote load, no framing) and `no-store`; every
//! string is escaped by the templates.

mod pages;

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use maud::Markup;
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use crate::cases::Status;
use crate::desk::{CaseFilter, Desk, DeskError, Installation};
use crate::i18n::{Lang, Texts};

/// No script, no remote load, no framing, forms only to the console itself.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// What a page asks of the desk.
enum Ask {
    Due(oneshot::Sender<Answer>),
    Cases(CaseFilter, oneshot::Sender<Answer>),
    Case(String, oneshot::Sender<Answer>),
}

/// A rendered page, or a refusal with its status code.
type Answer = Result<Markup, (StatusCode, Markup)>;

/// Serves the console for `at` on `listen` until `stop` resolves. The desk is opened once;
/// requests are answered one at a time by the loop that owns it.
pub async fn serve(
    at: &Installation,
    listen: SocketAddr,
    lang: Lang,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), DeskError> {
    if !listen.ip().is_loopback() {
        return Err(DeskError::Invalid(format!(
            "{listen} is not a loopback address: the console listens on 127.0.0.1 or [::1] only"
        )));
    }
    let desk = Desk::open(at).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(DeskError::io(format!(
            "cannot listen on {listen} (another program holds the port? choose one with --listen)"
        )))?;
    tracing::info!(listen = %listen, "ConsoleServed");
    let (asks, asked) = mpsc::channel::<Ask>(16);
    let app = Router::new()
        .route("/", get(|| async { Redirect::to("/due") }))
        .route("/due", get(due_page))
        .route("/cases", get(cases_page))
        .route("/case", get(case_page))
        .route("/static/console.css", get(stylesheet))
        .fallback(not_found)
        .with_state(asks)
        .layer(middleware::from_fn(guard));
    let texts = Texts::new(lang);
    let served = tokio::select! {
        served = axum::serve(listener, app).with_graceful_shutdown(stop) => served,
        never = answer(&desk, &texts, asked) => match never {},
    };
    desk.close().await;
    served.map_err(DeskError::io("the console stopped"))
}

/// Answers the pages' asks, one at a time, with the desk it owns.
async fn answer(desk: &Desk, t: &Texts, mut asked: mpsc::Receiver<Ask>) -> Infallible {
    let refused = |e: DeskError| {
        let code = match e.disposition() {
            crate::desk::Disposition::Refused(crate::desk::Refusal::NotFound) => {
                StatusCode::NOT_FOUND
            }
            crate::desk::Disposition::Refused(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let text = match &e {
            DeskError::Refused(why) => why.text(t),
            other => other.to_string(),
        };
        (code, pages::problem(t, &text))
    };
    while let Some(ask) = asked.recv().await {
        match ask {
            Ask::Due(reply) => {
                let page = desk.due(None).await.map(|items| pages::due(t, &items));
                let _ = reply.send(page.map_err(refused));
            }
            Ask::Cases(filter, reply) => {
                let page = desk.case_list(&filter).await.map(|listed| {
                    let shown = pages::ListFilter {
                        status: filter.status,
                        year: filter.year,
                        statuses: Status::ALL,
                    };
                    pages::cases(t, &listed, &shown)
                });
                let _ = reply.send(page.map_err(refused));
            }
            Ask::Case(number, reply) => {
                let page = desk
                    .case_overview(&number)
                    .await
                    .map(|(file, deadlines)| pages::case(t, &file, &deadlines));
                let _ = reply.send(page.map_err(refused));
            }
        }
    }
    std::future::pending().await
}

/// Passes an ask to the loop and renders its answer.
async fn ask(
    asks: &mpsc::Sender<Ask>,
    make: impl FnOnce(oneshot::Sender<Answer>) -> Ask,
) -> Response {
    let (reply, answer) = oneshot::channel();
    if asks.send(make(reply)).await.is_err() {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match answer.await {
        Ok(Ok(page)) => page.into_response(),
        Ok(Err((code, page))) => (code, page).into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn due_page(State(asks): State<mpsc::Sender<Ask>>) -> Response {
    ask(&asks, Ask::Due).await
}

/// The case list's filters, as the form sends them (empty fields mean "any").
#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    year: Option<String>,
}

async fn cases_page(State(asks): State<mpsc::Sender<Ask>>, Query(q): Query<ListQuery>) -> Response {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match Status::parse(s) {
            Some(s) => Some(s),
            None => return StatusCode::BAD_REQUEST.into_response(),
        },
    };
    let year = match q.year.as_deref().filter(|y| !y.is_empty()) {
        None => None,
        Some(y) => match y.parse::<i32>() {
            Ok(y) => Some(y),
            Err(_) => return StatusCode::BAD_REQUEST.into_response(),
        },
    };
    let filter = CaseFilter {
        status,
        year,
        ..CaseFilter::default()
    };
    ask(&asks, |reply| Ask::Cases(filter, reply)).await
}

#[derive(Deserialize)]
struct CaseQuery {
    number: String,
}

async fn case_page(State(asks): State<mpsc::Sender<Ask>>, Query(q): Query<CaseQuery>) -> Response {
    ask(&asks, |reply| Ask::Case(q.number, reply)).await
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        pages::STYLESHEET,
    )
        .into_response()
}

async fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// Refuses requests not addressed to a loopback name, and sets the security headers on every
/// response.
async fn guard(request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let mut response = if loopback_host(host) {
        next.run(request).await
    } else {
        (StatusCode::MISDIRECTED_REQUEST, "not a loopback address\n").into_response()
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// `127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT` (any port): a name only this machine means.
fn loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(name, "127.0.0.1" | "localhost" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::loopback_host;

    #[test]
    fn only_loopback_names_are_answered() {
        for ok in [
            "127.0.0.1:8470",
            "localhost:8470",
            "[::1]:8470",
            "localhost",
        ] {
            assert!(loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example:8470",
            "127.0.0.1.evil.example",
            "",
            "10.0.0.1:8470",
            "localhost.:1",
        ] {
            assert!(!loopback_host(bad), "{bad}");
        }
    }
}
