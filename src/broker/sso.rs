//! The browser leg of wazo-auth's SAML login (Finesse single sign-on with the `wazo` kind).
//!
//! 1. `POST /api/auth/0.1/saml/sso` `{redirect_url, domain}` → `{location, saml_session_id}`
//!    (wazo-auth's `plugins/http/saml`): `location` is the IdP's sign-in URL with a
//!    SAMLRequest; `redirect_url` is `sso.html`, a static page of the gadget's own
//!    origin (no script).
//! 2. The browser opens `location`. The IdP answers (at once when the agent already has
//!    a session there, from signing into Finesse with it) by posting its SAMLResponse to
//!    wazo-auth's `/saml/acs`, which redirects the browser to `redirect_url`
//!    (with `?login_failure_code=<status>` when it refused the answer).
//!    * **Silently first, in a hidden iframe**: the gadget starts without a click, and a
//!      window opened without one is blocked by every browser. The gadget watches the
//!      iframe until it reaches `sso.html` (same origin, so readable), at most
//!      [`SILENT_WAIT_MS`].
//!    * **In a window, after a click**, when the silent try did not land: the IdP needs
//!      the agent (no session, a prompt, MFA), or refuses to be framed, or the browser
//!      keeps its cookies from frames (third-party cookie blocking). The bar then offers
//!      "Sign in to the phone"; that click opens the IdP in a small window (a top-level
//!      page: the IdP's own cookies, its prompt visible), which the gadget closes once it
//!      lands on `sso.html`.
//! 3. `POST /api/auth/0.1/token` `{saml_session_id, access_type: offline, client_id}` →
//!    the token, refreshed like any other (the refresh token keeps it alive).
//!
//! The SAML session id is a credential until it is used: it lives only in this
//! function's memory, never in a URL, the DOM, storage or the trace.

use js_sys::Reflect;
use ttecphone_components::json::Json;
use ttecphone_components::sso::{self as pure, Landing, SamlStart};
use wasm_bindgen::{JsCast, JsValue};

use super::wazo::{exchange, json_body, session_from};
use super::BrokerError;
use crate::storage::WazoSession;

/// How long the hidden iframe may take to land (IdP + wazo-auth round trips).
pub const SILENT_WAIT_MS: u32 = 8_000;
/// How long the sign-in window may stay open (the agent types a password, MFA).
const WINDOW_WAIT_MS: u32 = 300_000;
const POLL_MS: u32 = 100;
/// The landing page, beside gadget.xml.
pub const LANDING: &str = "sso.html";

/// The landing page's absolute URL on the gadget's origin.
fn landing_url() -> Option<String> {
    let origin = web_sys::window()?.location().origin().ok()?;
    Some(format!(
        "{origin}{}{LANDING}",
        crate::config_source::base_path()
    ))
}

/// Where a window (the iframe's or the popup's) is now: `Some(query)` once it shows the
/// landing page; `None` while it is elsewhere (another origin cannot be read).
fn landed(window: &JsValue) -> Option<String> {
    let location = Reflect::get(window, &"location".into()).ok()?;
    let path = Reflect::get(&location, &"pathname".into())
        .ok()?
        .as_string()?;
    if !path.ends_with(LANDING) {
        return None;
    }
    Reflect::get(&location, &"search".into()).ok()?.as_string()
}

/// Signs into wazo-auth through SAML: silently, or (`interactive`, right after the
/// agent's click) in a window.
pub async fn log_in(
    api_base: &str,
    login: &str,
    domain: &str,
    interactive: bool,
) -> Result<WazoSession, BrokerError> {
    let redirect = landing_url()
        .ok_or_else(|| BrokerError::Unexpected("the page's address is unknown".into()))?;
    let start = start(api_base, &redirect, domain).await?;
    let outcome = if interactive {
        in_window(&start.location).await?
    } else {
        in_hidden_frame(&start.location).await
    };
    match outcome {
        Some(Landing::Refused(status)) => {
            return Err(BrokerError::SsoRefused(format!(
                "Wazo did not accept the answer of your company sign-in (code {status})"
            )))
        }
        // Not landed: the token request tells whether the IdP answered anyway.
        Some(Landing::SignedIn) | None => {}
    }
    match token(api_base, login, &start).await {
        Err(BrokerError::SsoRefused(_)) if outcome.is_none() => Err(BrokerError::SsoNeedsAgent),
        other => other,
    }
}

/// `POST /saml/sso`.
async fn start(api_base: &str, redirect: &str, domain: &str) -> Result<SamlStart, BrokerError> {
    let request = gloo::net::http::Request::post(&format!("{api_base}/api/auth/0.1/saml/sso"))
        .header("Accept", "application/json");
    let body = pure::saml_sso_body(redirect, domain).to_string();
    let response = exchange(request, Some(body), "single sign-on").await?;
    match response.status() {
        200 | 201 => {
            let body = json_body(response, "single sign-on").await?;
            pure::saml_start(&body).ok_or_else(|| {
                BrokerError::Unexpected("the Wazo broker's SAML answer has an unknown shape".into())
            })
        }
        // wazo-auth: 500 `configuration-error` = no SAML for this domain (not retried).
        500 => {
            let body = json_body(response, "single sign-on").await.ok();
            let error_id = body
                .as_ref()
                .and_then(|b| b.get("error_id"))
                .and_then(Json::as_str);
            if error_id == Some("configuration-error") {
                Err(BrokerError::SsoNotConfigured(format!(
                    "Wazo has no single sign-on (SAML) for the domain {domain} (domainName)"
                )))
            } else {
                Err(BrokerError::Unreachable(
                    "the Wazo broker is unavailable (single sign-on: HTTP 500)".into(),
                ))
            }
        }
        400 => Err(BrokerError::SsoNotConfigured(format!(
            "Wazo refused the single sign-on request for the domain {domain} (HTTP 400)"
        ))),
        status @ (408 | 501..=599) => Err(BrokerError::Unreachable(format!(
            "the Wazo broker is unavailable (single sign-on: HTTP {status})"
        ))),
        status => Err(BrokerError::Unexpected(format!(
            "the Wazo broker refused single sign-on (HTTP {status})"
        ))),
    }
}

/// `POST /token` with the SAML session id.
async fn token(api_base: &str, login: &str, start: &SamlStart) -> Result<WazoSession, BrokerError> {
    let request = gloo::net::http::Request::post(&format!("{api_base}/api/auth/0.1/token"))
        .header("Accept", "application/json");
    let body = pure::saml_token_body(&start.saml_session_id).to_string();
    let response = exchange(request, Some(body), "login").await?;
    match response.status() {
        200 | 201 => session_from(json_body(response, "login").await?, api_base, login, None),
        // No login asserted for the session, or a Wazo user not set to sign in with SAML.
        401 | 403 => Err(BrokerError::SsoRefused(
            "Wazo did not accept it (is your Wazo user set to sign in with SAML?)".into(),
        )),
        429 => Err(BrokerError::TooManySessions),
        status @ (408 | 500..=599) => Err(BrokerError::Unreachable(format!(
            "the Wazo broker is unavailable (login: HTTP {status})"
        ))),
        status => Err(BrokerError::Unexpected(format!(
            "the Wazo broker refused the login (HTTP {status})"
        ))),
    }
}

async fn sleep(ms: u32) {
    gloo::timers::future::TimeoutFuture::new(ms).await;
}

/// The IdP in a hidden iframe; `Some` once it landed on `sso.html`, `None` after
/// [`SILENT_WAIT_MS`] (the IdP wants the agent, or cannot be framed).
async fn in_hidden_frame(location: &str) -> Option<Landing> {
    let document = web_sys::window()?.document()?;
    let frame = document.create_element("iframe").ok()?;
    for (name, value) in [
        ("hidden", ""),
        ("aria-hidden", "true"),
        ("tabindex", "-1"),
        ("title", "phone sign-in"),
        ("class", "ttec-sso-frame"),
        ("src", location),
    ] {
        let _ = frame.set_attribute(name, value);
    }
    document.body()?.append_child(&frame).ok()?;
    let mut outcome = None;
    for _ in 0..SILENT_WAIT_MS / POLL_MS {
        sleep(POLL_MS).await;
        let window = Reflect::get(&frame, &"contentWindow".into()).unwrap_or(JsValue::NULL);
        if let Some(query) = landed(&window) {
            outcome = Some(pure::landing(&query));
            break;
        }
    }
    frame.remove();
    outcome
}

/// The IdP in a small window (opened within the agent's click's activation);
/// `Ok(None)` when the agent closed it before it landed.
async fn in_window(location: &str) -> Result<Option<Landing>, BrokerError> {
    let window = web_sys::window().ok_or(BrokerError::SsoPopupBlocked)?;
    let popup = window
        .open_with_url_and_target_and_features(
            location,
            "ttecphone-sso",
            "popup,width=480,height=640",
        )
        .ok()
        .flatten()
        .ok_or(BrokerError::SsoPopupBlocked)?;
    let popup: JsValue = popup.unchecked_into();
    for _ in 0..WINDOW_WAIT_MS / POLL_MS {
        sleep(POLL_MS).await;
        if let Some(query) = landed(&popup) {
            close(&popup);
            return Ok(Some(pure::landing(&query)));
        }
        let closed = Reflect::get(&popup, &"closed".into())
            .ok()
            .and_then(|c| c.as_bool())
            .unwrap_or(true);
        if closed {
            return Ok(None);
        }
    }
    close(&popup);
    Ok(None)
}

/// Closes the sign-in window. Not `dyn_ref`: the window's object belongs to another
/// realm, so an `instanceof Window` check of this one fails.
fn close(popup: &JsValue) {
    let _ = popup.unchecked_ref::<web_sys::Window>().close();
}
