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
use ttecphone_components::sso::{self as pure, Landing};
use wasm_bindgen::{JsCast, JsValue};

use super::wazo::{exchange, json_body, session_from, unavailable};
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
    // 1. `POST /saml/sso`.
    let body = pure::saml_sso_body(&redirect, domain);
    let start = match post(api_base, "saml/sso", body).await? {
        (200 | 201, Some(body)) => pure::saml_start(&body).ok_or_else(|| {
            BrokerError::Unexpected("the Wazo broker's SAML answer has an unknown shape".into())
        })?,
        // wazo-auth: 500 `configuration-error` = no SAML for this domain; 400 = the domain is
        // not one (neither retried).
        (status @ (400 | 500), Some(body))
            if status == 400
                || body.get("error_id").and_then(Json::as_str) == Some("configuration-error") =>
        {
            return Err(BrokerError::SsoNotConfigured(format!(
                "Wazo has no single sign-on (SAML) for the domain {domain} (domainName)"
            )))
        }
        (status, _) => return Err(refused(status, "single sign-on")),
    };
    // 2. The browser leg.
    let outcome = browser_leg(&start.location, interactive).await?;
    if let Some(Landing::Refused(status)) = outcome {
        return Err(BrokerError::SsoRefused(format!(
            "Wazo did not accept the answer of your company sign-in (code {status})"
        )));
    }
    // 3. `POST /token` (also when nothing landed: it tells whether the IdP answered anyway).
    let body = pure::saml_token_body(&start.saml_session_id);
    match post(api_base, "token", body).await? {
        (200 | 201, Some(body)) => session_from(body, api_base, login, None),
        // No login asserted for the session (the IdP wants the agent), or a Wazo user not
        // set to sign in with SAML.
        (401 | 403, _) if outcome.is_none() => Err(BrokerError::SsoNeedsAgent),
        (401 | 403, _) => Err(BrokerError::SsoRefused(
            "Wazo did not accept it (is your Wazo user set to sign in with SAML?)".into(),
        )),
        (429, _) => Err(BrokerError::TooManySessions),
        (status, _) => Err(refused(status, "login")),
    }
}

/// An answer not handled above: the broker unavailable (retried) or refusing.
fn refused(status: u16, what: &str) -> BrokerError {
    unavailable(status, what).unwrap_or_else(|| {
        BrokerError::Unexpected(format!(
            "the Wazo broker refused the {what} (HTTP {status})"
        ))
    })
}

/// `POST {api_base}/api/auth/0.1/{path}` with a JSON body: the status and the JSON answer, if any.
async fn post(api_base: &str, path: &str, body: Json) -> Result<(u16, Option<Json>), BrokerError> {
    let request = gloo::net::http::Request::post(&format!("{api_base}/api/auth/0.1/{path}"))
        .header("Accept", "application/json");
    let response = exchange(request, Some(body.to_string()), "single sign-on").await?;
    let status = response.status();
    Ok((status, json_body(response, "single sign-on").await.ok()))
}

async fn sleep(ms: u32) {
    gloo::timers::future::TimeoutFuture::new(ms).await;
}

/// Opens `location` in a hidden iframe, or (`interactive`) in a window, and watches it until
/// it lands on `sso.html`: `Some` then, `None` when the time is up ([`SILENT_WAIT_MS`] for the
/// iframe) or the agent closed the window. The iframe is removed, the window closed.
async fn browser_leg(location: &str, interactive: bool) -> Result<Option<Landing>, BrokerError> {
    let window = web_sys::window().ok_or(BrokerError::SsoPopupBlocked)?;
    let (target, frame, wait_ms): (JsValue, _, _) = if interactive {
        let popup = window
            .open_with_url_and_target_and_features(
                location,
                "ttecphone-sso",
                "popup,width=480,height=640",
            )
            .ok()
            .flatten()
            .ok_or(BrokerError::SsoPopupBlocked)?;
        (popup.into(), None, WINDOW_WAIT_MS)
    } else {
        let frame = hidden_frame(&window, location)
            .ok_or_else(|| BrokerError::Unexpected("the sign-in frame could not be made".into()))?;
        let target = Reflect::get(&frame, &"contentWindow".into()).unwrap_or(JsValue::NULL);
        (target, Some(frame), SILENT_WAIT_MS)
    };
    let mut outcome = None;
    for _ in 0..wait_ms / POLL_MS {
        sleep(POLL_MS).await;
        if let Some(query) = landed(&target) {
            outcome = Some(pure::landing(&query));
            break;
        }
        let closed = Reflect::get(&target, &"closed".into())
            .ok()
            .and_then(|c| c.as_bool())
            .unwrap_or(true);
        if closed {
            break;
        }
    }
    match frame {
        Some(frame) => frame.remove(),
        // Not `dyn_ref`: the window's object belongs to another realm, so an
        // `instanceof Window` check of this one fails.
        None => {
            let _ = target.unchecked_ref::<web_sys::Window>().close();
        }
    }
    Ok(outcome)
}

/// A hidden iframe on `location`, in the gadget's body.
fn hidden_frame(window: &web_sys::Window, location: &str) -> Option<web_sys::Element> {
    let document = window.document()?;
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
    Some(frame)
}
