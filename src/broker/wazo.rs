//! The `wazo` broker kind: a wazo-auth session and the agent's SIP line from confd.
//!
//! 1. A token cached in this tab's sessionStorage is reused when it is not
//!    about to expire and `HEAD /api/auth/0.1/token/{token}` says it is valid
//!    (so a reload does not log in again); otherwise
//!    `POST /api/auth/0.1/token` with the Finesse-provided credentials (HTTP
//!    Basic from `finesse.gadget.Config.authorization`, never the login name as
//!    a password), asking for an offline session so a refresh token comes back,
//!    with the tenant's `domain_name` when `domainName` is set (LDAP users); under
//!    Finesse single sign-on, wazo-auth's SAML login instead ([`Login::Saml`],
//!    [`super::sso`]).
//! 2. `GET /api/confd/1.1/users/{uuid}` lists the user's lines; the line to
//!    register is a WebRTC line (merged endpoint options `webrtc` `yes`, as the
//!    Wazo SDK checks), the one on the agent's WebRTC number first, never a desk
//!    phone's ([`ttecphone_components::wazo::choose_line`]: lines without a SIP
//!    endpoint cost no request, and the usual agent one
//!    `GET …/users/{uuid}/lines/{id}/associated/endpoints/sip?view=merged`). The
//!    SIP username (`auth_section_options`, engine ≥ 20.13, or the older
//!    top-level `username`/`secret`) is the AOR and digest user, not the extension.
//! 3. While the phone runs, [`Keeper`] refreshes the token before it expires
//!    (refresh-token flow, falling back to one Basic login when the refresh is
//!    refused), so a reload always finds a live token. When that login is
//!    refused too, the agent is told (store `SessionTrouble::Refused`) and it
//!    is retried at most 3 times a minute (then every 5 minutes), never
//!    hammering the account; an unreachable broker is retried with the usual
//!    backoff (`SessionTrouble::Unreachable`). With single sign-on, a fresh
//!    login the company's sign-in page answers only with the agent there
//!    (`SessionTrouble::NeedsAgent`) offers "Sign in to the phone"
//!    ([`Keeper::sign_in_again`]), and is tried silently now and then. The SIP registration does not
//!    depend on the token, so calls keep coming meanwhile. Finesse LOGOUT calls [`sign_out`]: `DELETE` the
//!    token and forget it.
//!
//! Every authenticated call sends `X-Auth-Token`. Wazo's API puts the token in
//! the path of its check and revoke calls; nothing here logs a URL or a token.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo::net::http::{Method, Request, RequestBuilder, Response};
use gloo::timers::callback::Timeout;
use ttecphone_components::config::GadgetConfig;
use ttecphone_components::json::Json;
use ttecphone_components::store::{Action, SessionTrouble};
use ttecphone_components::wazo::{self as pure, EXPIRATION_S};

use super::{BrokerError, SipAccount};
use crate::deadline::with_deadline;
use crate::storage::{self, WazoSession};
use ttecphone_sip::backoff;

/// A request that has not answered by then counts as "broker unreachable".
const HTTP_TIMEOUT_MS: u32 = 10_000;
/// After a refused renewal, the next sign-in waits this long (plus up to 5 s
/// of jitter): with the refused refresh, at most 3 `POST /token` a minute.
const REFUSED_RETRY_MS: u64 = 30_000;
/// After this many refused sign-ins in a row, retry only every 5 minutes.
const REFUSED_QUICK_TRIES: u32 = 2;
const REFUSED_SLOW_RETRY_MS: u64 = 300_000;

/// The wait before the next renewal after `refused` refused sign-ins in a row.
fn refused_retry_ms(refused: u32, random: u32) -> u64 {
    let base = if refused <= REFUSED_QUICK_TRIES {
        REFUSED_RETRY_MS
    } else {
        REFUSED_SLOW_RETRY_MS
    };
    base + u64::from(random) * 5_000 / u64::from(u32::MAX)
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// How long before expiry a token is refreshed (and a cached one is not reused):
/// a fifth of its life, at most a minute.
fn refresh_margin_ms(lifetime_ms: f64) -> f64 {
    (lifetime_ms / 5.0).min(60_000.0)
}

/// Sends `request` (with a JSON `body`) under a timeout; a transport failure is
/// "unreachable". Every status is the caller's.
pub(super) async fn exchange(
    request: RequestBuilder,
    body: Option<String>,
    what: &str,
) -> Result<Response, BrokerError> {
    let (request, _deadline) = with_deadline(request, HTTP_TIMEOUT_MS);
    let request = match body {
        Some(body) => request
            .header("Content-Type", "application/json")
            .body(body),
        None => request.build(),
    }
    .map_err(|_| BrokerError::Unexpected(format!("the {what} request could not be built")))?;
    request
        .send()
        .await
        .map_err(|_| BrokerError::Unreachable(format!("the Wazo broker did not answer ({what})")))
}

/// [`exchange`], where 408 and 5xx are "unreachable" too (retried with backoff by the
/// caller). A 429 is the caller's: wazo-auth answers it to a user at its maximum of
/// sessions.
async fn send(
    request: RequestBuilder,
    body: Option<String>,
    what: &str,
) -> Result<Response, BrokerError> {
    let response = exchange(request, body, what).await?;
    match unavailable(response.status(), what) {
        Some(error) => Err(error),
        None => Ok(response),
    }
}

/// 408 and 5xx: the Wazo broker is unavailable (retried with backoff by the caller).
pub(super) fn unavailable(status: u16, what: &str) -> Option<BrokerError> {
    matches!(status, 408 | 500..=599).then(|| {
        BrokerError::Unreachable(format!(
            "the Wazo broker is unavailable ({what}: HTTP {status})"
        ))
    })
}

pub(super) async fn json_body(response: Response, what: &str) -> Result<Json, BrokerError> {
    let text = response.text().await.map_err(|_| {
        BrokerError::Unreachable(format!("the Wazo broker's answer was cut ({what})"))
    })?;
    Json::parse(&text)
        .map_err(|_| BrokerError::Unexpected(format!("the Wazo broker sent no JSON ({what})")))
}

/// Wazo writes UTC times without a zone (`2016-09-28T21:41:19.412947`).
fn parse_utc(text: &str) -> Option<f64> {
    let text = text.trim();
    let zoned = text.ends_with('Z') || text.contains('+');
    let ms = js_sys::Date::parse(&if zoned {
        text.to_string()
    } else {
        format!("{text}Z")
    });
    ms.is_finite().then_some(ms)
}

/// A token response → the session to cache. The lifetime is taken from the
/// broker's own issued/expires times, then placed on this browser's clock (so a
/// skewed agent PC clock does not matter).
pub(super) fn session_from(
    body: Json,
    api_base: &str,
    login: &str,
    old_refresh: Option<String>,
) -> Result<WazoSession, BrokerError> {
    let unknown =
        || BrokerError::Unexpected("the Wazo broker's token answer has an unknown shape".into());
    let data = body.get("data").ok_or_else(unknown)?;
    let text = |name: &str| data.get(name).and_then(Json::as_str);
    let token = text("token").ok_or_else(unknown)?.to_string();
    let requested = f64::from(EXPIRATION_S) * 1000.0;
    let lifetime = match (
        text("utc_issued_at").and_then(parse_utc),
        text("utc_expires_at").and_then(parse_utc),
    ) {
        (Some(issued), Some(expires)) if expires > issued => (expires - issued).min(requested),
        _ => requested,
    };
    let user_uuid = data
        .get("metadata")
        .and_then(|m| m.get("uuid"))
        .and_then(Json::as_str)
        .or(text("auth_id"))
        .filter(|u| !u.is_empty())
        .map(str::to_string)
        .ok_or_else(|| BrokerError::Unexpected("the Wazo token names no user".into()))?;
    Ok(WazoSession {
        api_base: api_base.to_string(),
        login: login.to_string(),
        token,
        refresh_token: text("refresh_token").map(str::to_string).or(old_refresh),
        user_uuid,
        expires_at: now_ms() + lifetime,
    })
}

fn too_busy(what: &str, status: u16) -> BrokerError {
    BrokerError::Unreachable(format!(
        "the Wazo broker is too busy ({what}: HTTP {status})"
    ))
}

/// How this agent signs into wazo-auth, kept for the fresh sign-ins of a renewal.
#[derive(Clone)]
pub enum Login {
    /// Finesse's `id:password` (HTTP Basic), with `domain_name` for LDAP users.
    Basic {
        authorization: String,
        domain_name: Option<String>,
    },
    /// Finesse single sign-on: wazo-auth's SAML login for the tenant's domain ([`super::sso`]).
    Saml { domain: String },
}

/// A fresh sign-in; `interactive`: right after the agent's click (SAML may open a window).
async fn log_in(
    api_base: &str,
    login: &str,
    how: &Login,
    interactive: bool,
) -> Result<WazoSession, BrokerError> {
    match how {
        Login::Basic {
            authorization,
            domain_name,
        } => basic_log_in(api_base, login, authorization, domain_name.as_deref()).await,
        Login::Saml { domain } => super::sso::log_in(api_base, login, domain, interactive).await,
    }
}

/// `POST /token` with the Finesse credentials (Basic), and `domain_name` for LDAP users.
async fn basic_log_in(
    api_base: &str,
    login: &str,
    authorization: &str,
    domain_name: Option<&str>,
) -> Result<WazoSession, BrokerError> {
    let body = pure::login_body(domain_name);
    let request = Request::post(&format!("{api_base}/api/auth/0.1/token"))
        .header("Authorization", &format!("Basic {authorization}"))
        .header("Accept", "application/json");
    let response = send(request, Some(body.to_string()), "login").await?;
    match response.status() {
        200 | 201 => session_from(json_body(response, "login").await?, api_base, login, None),
        401 | 403 => Err(BrokerError::AuthFailed(
            "the Wazo broker refused your Finesse user name and password".into(),
        )),
        429 => Err(BrokerError::TooManySessions),
        status => Err(BrokerError::Unexpected(format!(
            "the Wazo broker refused the login (HTTP {status})"
        ))),
    }
}

/// `POST /token` with the refresh token (no Basic).
async fn refresh(session: &WazoSession) -> Result<WazoSession, BrokerError> {
    let Some(refresh_token) = session.refresh_token.as_deref() else {
        return Err(BrokerError::TokenRejected);
    };
    let body = pure::refresh_body(refresh_token);
    let request = Request::post(&format!("{}/api/auth/0.1/token", session.api_base))
        .header("Accept", "application/json");
    let response = send(request, Some(body.to_string()), "token refresh").await?;
    match response.status() {
        200 | 201 => session_from(
            json_body(response, "token refresh").await?,
            &session.api_base,
            &session.login,
            session.refresh_token.clone(),
        ),
        400 | 401 | 403 | 404 => Err(BrokerError::TokenRejected),
        429 => Err(BrokerError::TooManySessions),
        status => Err(BrokerError::Unexpected(format!(
            "the Wazo broker refused the token refresh (HTTP {status})"
        ))),
    }
}

/// `HEAD /token/{token}`: Ok(true) when the broker still knows the token.
async fn still_valid(session: &WazoSession) -> Result<bool, BrokerError> {
    let url = format!("{}/api/auth/0.1/token/{}", session.api_base, session.token);
    let response = send(
        RequestBuilder::new(&url).method(Method::HEAD),
        None,
        "token check",
    )
    .await?;
    match response.status() {
        429 => Err(too_busy("token check", 429)),
        status => Ok(matches!(status, 200 | 204)),
    }
}

/// `GET` a confd resource with the token; `Ok(None)` for a 404.
async fn confd(session: &WazoSession, path: &str, what: &str) -> Result<Option<Json>, BrokerError> {
    let url = format!("{}/api/confd/1.1/{path}", session.api_base);
    let request = Request::get(&url)
        .header("X-Auth-Token", &session.token)
        .header("Accept", "application/json");
    let response = send(request, None, what).await?;
    match response.status() {
        200 => json_body(response, what).await.map(Some),
        401 => Err(BrokerError::TokenRejected),
        403 => Err(BrokerError::Unexpected(format!(
            "your Wazo user may not read its own {what}: ask your administrator"
        ))),
        404 => Ok(None),
        429 => Err(too_busy(what, 429)),
        status => Err(BrokerError::Unexpected(format!(
            "the Wazo broker refused the {what} lookup (HTTP {status})"
        ))),
    }
}

/// The user's WebRTC line from confd: one request for the user, then one per
/// line asked for (see [`pure::choose_line`]; usually one).
async fn sip_line(
    config: &GadgetConfig,
    session: &WazoSession,
    webrtc_number: &str,
) -> Result<SipAccount, BrokerError> {
    let uuid = &session.user_uuid;
    let user = confd(session, &format!("users/{uuid}"), "user")
        .await?
        .ok_or_else(|| BrokerError::Unexpected("confd does not know your Wazo user".into()))?;
    let merged_endpoint = |line: u64| {
        let path = format!("users/{uuid}/lines/{line}/associated/endpoints/sip?view=merged");
        async move { confd(session, &path, "SIP line").await }
    };
    let chosen = pure::choose_line(&user, webrtc_number, merged_endpoint)
        .await?
        .ok_or(BrokerError::NoWebrtcLine)?;
    // The line's SIP username is the AOR user and the digest user (as the Wazo SDK
    // registers); the WebRTC number stays what the agent sees.
    let pure::SipCredentials { username, password } = chosen.credentials;
    Ok(SipAccount {
        ws_url: config.ws_url.clone(),
        aor_user: username.clone(),
        auth_user: username,
        password,
        domain: config.sip_domain.clone(),
    })
}

/// A refused first sign-in may be a directory (LDAP) user's: say what `domainName` is.
fn with_domain_hint(error: BrokerError, domain_name: Option<&str>) -> BrokerError {
    match (error, domain_name) {
        (BrokerError::AuthFailed(why), None) => BrokerError::AuthFailed(format!(
            "{why}; if Wazo checks them against a directory (LDAP), \
             the gadget needs the domainName setting"
        )),
        (BrokerError::AuthFailed(why), Some(domain)) => {
            BrokerError::AuthFailed(format!("{why} for the domain {domain} (domainName)"))
        }
        (error, _) => error,
    }
}

/// A cached session for this broker and login that is not about to expire and
/// that the broker still accepts.
async fn reusable(api_base: &str, login: &str) -> Result<Option<WazoSession>, BrokerError> {
    let Some(cached) = storage::wazo_session() else {
        return Ok(None);
    };
    // A token about to expire is not worth checking: log in afresh.
    let fresh = cached.expires_at - now_ms() > 10_000.0;
    if cached.api_base != api_base || cached.login != login || !fresh {
        storage::clear_wazo_session();
        if fresh {
            revoke(cached); // another agent's (or broker's) session in this tab: end it
        }
        return Ok(None);
    }
    if still_valid(&cached).await? {
        Ok(Some(cached))
    } else {
        storage::clear_wazo_session();
        Ok(None)
    }
}

/// Signs in (reusing the cached token when it is still valid) and looks up the SIP line.
/// `interactive`: the agent just clicked "Sign in to the phone" (SSO).
pub async fn sign_in(
    config: &GadgetConfig,
    webrtc_number: &str,
    login: &str,
    how: Login,
    interactive: bool,
) -> Result<(SipAccount, Keeper), BrokerError> {
    let api_base = config
        .broker_api
        .as_deref()
        .ok_or_else(|| BrokerError::Unexpected("brokerHost is not set".into()))?;
    let domain_name = match &how {
        Login::Basic { domain_name, .. } => domain_name.as_deref(),
        Login::Saml { .. } => None,
    };
    let first_log_in = || async {
        log_in(api_base, login, &how, interactive)
            .await
            .map_err(|error| match &how {
                Login::Basic { .. } => with_domain_hint(error, domain_name),
                Login::Saml { .. } => error,
            })
    };
    let reused = reusable(api_base, login).await?;
    let was_reused = reused.is_some();
    let mut session = match reused {
        Some(session) => session,
        None => first_log_in().await?,
    };
    storage::save_wazo_session(&session);
    let account = match sip_line(config, &session, webrtc_number).await {
        // The broker forgot a reused token between the check and now: log in once more.
        Err(BrokerError::TokenRejected) if was_reused => {
            storage::clear_wazo_session();
            session = first_log_in().await?;
            storage::save_wazo_session(&session);
            sip_line(config, &session, webrtc_number).await
        }
        other => other,
    }
    .map_err(|e| match e {
        BrokerError::TokenRejected => {
            BrokerError::Unexpected("the Wazo broker rejected its own fresh token".into())
        }
        e => e,
    })?;
    Ok((account, Keeper::start(session, how)))
}

/// Keeps the session's token fresh while the phone runs. Dropping it stops the
/// refreshes (the cached token stays, for a reload to reuse).
pub struct Keeper(Rc<KeeperState>);

struct KeeperState {
    /// How a fresh sign-in is made (Basic with `domainName`, or SAML, silently).
    login: Login,
    session: RefCell<WazoSession>,
    timer: RefCell<Option<Timeout>>,
    /// Failed renewals in a row (backoff for an unreachable broker).
    attempt: Cell<u32>,
    /// Refused sign-ins in a row (slow retries, never hammering the account).
    refused: Cell<u32>,
    /// Where renewal trouble is shown (the store), once the phone runs.
    report: RefCell<Option<crate::driver::Report>>,
    /// The last fresh sign-in needed the agent (the bar offers the button).
    needs_agent: Cell<bool>,
    /// Renewals started: one that finishes after a later one started (a silent try
    /// overtaken by the agent's click) is dropped.
    runs: Cell<u32>,
}

impl KeeperState {
    fn report(&self, trouble: Option<SessionTrouble>) {
        if let Some(report) = self.report.borrow().as_ref() {
            report(Action::SessionTrouble(trouble));
        }
    }
}

impl Keeper {
    fn start(session: WazoSession, login: Login) -> Self {
        let state = Rc::new(KeeperState {
            login,
            session: RefCell::new(session),
            timer: RefCell::new(None),
            attempt: Cell::new(0),
            refused: Cell::new(0),
            report: RefCell::new(None),
            needs_agent: Cell::new(false),
            runs: Cell::new(0),
        });
        schedule(&state, None);
        Keeper(state)
    }

    /// Shows renewal trouble through `report` (the store) from now on.
    pub fn report_to(&self, report: crate::driver::Report) {
        *self.0.report.borrow_mut() = Some(report);
    }

    /// The agent clicked "Sign in to the phone" while the renewal needed them (single
    /// sign-on, [`SessionTrouble::NeedsAgent`]): a fresh sign-in now, in a window (the
    /// click allows it). Nothing happens otherwise.
    pub fn sign_in_again(&self) {
        let needed = self.0.needs_agent.get();
        if needed {
            self.0.timer.borrow_mut().take();
            wasm_bindgen_futures::spawn_local(refresh_now(Rc::downgrade(&self.0), true));
        }
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.0.timer.borrow_mut().take();
        // A stopped phone has no session to renew.
        self.0.report(None);
    }
}

/// Arms the next refresh: before expiry, or after `retry_ms` following a failure.
fn schedule(state: &Rc<KeeperState>, retry_ms: Option<u64>) {
    let delay = retry_ms.unwrap_or_else(|| {
        let session = state.session.borrow();
        let left = session.expires_at - now_ms();
        let lifetime = left.max(0.0);
        (left - refresh_margin_ms(lifetime)).clamp(1_000.0, f64::from(i32::MAX)) as u64
    });
    let weak = Rc::downgrade(state);
    let timer = Timeout::new(delay.min(u64::from(i32::MAX as u32)) as u32, move || {
        wasm_bindgen_futures::spawn_local(refresh_now(weak, false));
    });
    *state.timer.borrow_mut() = Some(timer);
}

/// Renews the session: the refresh, then (refused) one fresh sign-in. `interactive`:
/// right after the agent's click, straight to a sign-in that may open a window.
async fn refresh_now(weak: Weak<KeeperState>, interactive: bool) {
    let Some(state) = weak.upgrade() else { return };
    let current = state.session.borrow().clone();
    let how = state.login.clone();
    let run = state.runs.get().wrapping_add(1);
    state.runs.set(run);
    drop(state); // the phone may stop while we wait for the broker
    let refreshed = if interactive {
        Err(BrokerError::TokenRejected)
    } else {
        refresh(&current).await
    };
    let result = match refreshed {
        // A refused refresh, or one over the user's session limit: one fresh sign-in
        // (its answer is what the agent is told). Later tries go straight to a
        // sign-in, which brings the refresh token back (one per user and client).
        Err(BrokerError::TokenRejected | BrokerError::TooManySessions) => {
            let Some(state) = weak.upgrade() else { return };
            state.session.borrow_mut().refresh_token = None;
            drop(state);
            log_in(&current.api_base, &current.login, &how, interactive).await
        }
        other => other,
    };
    let Some(state) = weak.upgrade().filter(|state| state.runs.get() == run) else {
        // Stopped (LOGOUT) or overtaken meanwhile: this new token must not outlive it.
        if let Ok(new) = result {
            revoke(new);
        }
        return;
    };
    match result {
        Ok(new) => {
            state.attempt.set(0);
            state.refused.set(0);
            state.needs_agent.set(false);
            storage::save_wazo_session(&new);
            *state.session.borrow_mut() = new;
            if current.token != state.session.borrow().token {
                revoke(current); // one live token per tab
            }
            state.report(None);
            schedule(&state, None);
        }
        Err(error) => {
            gloo::console::debug!(format!("wazo: token renewal failed: {error}"));
            let detail = error.to_string();
            let needs_agent = matches!(
                error,
                BrokerError::SsoNeedsAgent | BrokerError::SsoPopupBlocked
            );
            state.needs_agent.set(needs_agent);
            let (delay, trouble) = if error.retryable() && !needs_agent {
                let attempt = state.attempt.get();
                state.attempt.set(attempt.saturating_add(1));
                let delay = backoff::delay_ms(attempt, crate::random::u32());
                let retry_at = Some(crate::clock::now() + delay);
                (delay, SessionTrouble::Unreachable { detail, retry_at })
            } else {
                // Refused credentials (or an answer we do not understand), or the
                // company's sign-in page wanting the agent (the bar offers the button;
                // their session there may return): retried slowly, never hammering the
                // account.
                let refused = state.refused.get().saturating_add(1);
                state.refused.set(refused);
                let delay = refused_retry_ms(refused, crate::random::u32());
                let retry_at = Some(crate::clock::now() + delay);
                let trouble = if needs_agent {
                    SessionTrouble::NeedsAgent { retry_at }
                } else {
                    SessionTrouble::Refused { detail, retry_at }
                };
                (delay, trouble)
            };
            state.report(Some(trouble));
            schedule(&state, Some(delay));
        }
    }
}

/// `DELETE /token/{token}` in the background (best effort: the token expires anyway).
fn revoke(session: WazoSession) {
    wasm_bindgen_futures::spawn_local(async move {
        let url = format!("{}/api/auth/0.1/token/{}", session.api_base, session.token);
        let request = Request::delete(&url).header("X-Auth-Token", &session.token);
        if let Err(error) = send(request, None, "logout").await {
            gloo::console::debug!(format!("wazo: token revoke failed: {error}"));
        }
    });
}

/// Finesse LOGOUT: forget the cached token and revoke it at the broker.
pub fn sign_out() {
    if let Some(session) = storage::wazo_session() {
        storage::clear_wazo_session();
        revoke(session);
    }
}
