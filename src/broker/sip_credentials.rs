//! The `sip` kind under Finesse single sign-on: the agent's SIP credentials from the
//! administrator's credential service (`sipCredentialsUrl`).
//!
//! `GET <sipCredentialsUrl>` with `Authorization: Bearer <Finesse token>` (no cookies,
//! no cache, nothing about the agent in the URL). The service checks the token against
//! Finesse (it reads the agent's own User with it), so it learns *from Finesse* who
//! the agent is, and answers that agent's account only:
//! `{"username", "password", "aor"?, "number"?}`. See doc/deployment.md, "SIP
//! credentials under single sign-on", for the contract and why it is safe.
//!
//! 401/403: the service did not accept the Finesse token (not retried: sign in to
//! Finesse again); 404: no account for this agent; transport errors, 408, 429 and 5xx
//! are "unreachable" and retried with the phone's usual backoff.

use gloo::net::http::Request;
use ttecphone_components::config::GadgetConfig;
use ttecphone_components::json::Json;
use ttecphone_components::sso as pure;
use web_sys::{RequestCache, RequestCredentials};

use super::{BrokerError, SipAccount};
use crate::deadline::with_deadline;

const HTTP_TIMEOUT_MS: u32 = 10_000;

fn unreachable(why: String) -> BrokerError {
    BrokerError::Unreachable(format!("the SIP credential service {why}"))
}

pub async fn fetch(
    config: &GadgetConfig,
    url: &str,
    token: &str,
    webrtc_number: &str,
) -> Result<SipAccount, BrokerError> {
    let (request, _deadline) = with_deadline(
        Request::get(url)
            .header("Authorization", &format!("Bearer {token}"))
            .header("Accept", "application/json")
            .credentials(RequestCredentials::Omit)
            .cache(RequestCache::NoStore),
        HTTP_TIMEOUT_MS,
    );
    let response = request
        .send()
        .await
        .map_err(|_| unreachable("did not answer".into()))?;
    match response.status() {
        200 => {}
        401 | 403 => {
            return Err(BrokerError::SsoRefused(format!(
                "the SIP credential service did not accept your Finesse sign-in (HTTP {})",
                response.status()
            )))
        }
        404 => return Err(BrokerError::SsoNoAccount),
        status @ (408 | 429 | 500..=599) => {
            return Err(unreachable(format!("is unavailable (HTTP {status})")))
        }
        status => {
            return Err(BrokerError::Unexpected(format!(
                "the SIP credential service answered HTTP {status}"
            )))
        }
    }
    let text = response
        .text()
        .await
        .map_err(|_| unreachable("answer was cut".into()))?;
    let unknown = || {
        BrokerError::Unexpected("the SIP credential service's answer has an unknown shape".into())
    };
    let body = Json::parse(&text).map_err(|_| unknown())?;
    let credentials = pure::service_credentials(&body).ok_or_else(unknown)?;
    if credentials
        .number
        .as_deref()
        .is_some_and(|n| n != webrtc_number)
    {
        return Err(BrokerError::SsoRefused(format!(
            "the SIP credential service gave an account for {}, not for your WebRTC number {webrtc_number}",
            credentials.number.as_deref().unwrap_or_default()
        )));
    }
    Ok(SipAccount {
        ws_url: config.ws_url.clone(),
        aor_user: credentials.aor.unwrap_or_else(|| webrtc_number.to_string()),
        auth_user: credentials.username,
        password: credentials.password,
        domain: config.sip_domain.clone(),
    })
}
