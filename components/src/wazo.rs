//! The pure parts of the `wazo` broker kind (the app's `broker::wazo` does the
//! HTTP): the wazo-auth request bodies, the choice of the line to register, and
//! its SIP credentials. Here so they are tested natively.
//!
//! **The line.** A Wazo user may have several lines: a desk phone's SIP line, an
//! SCCP or custom line, the WebRTC line. The phone registers only on a WebRTC
//! line, as the Wazo JS SDK does (`SipLine.isWebRtc()`: the merged endpoint's
//! options say `webrtc` `yes`), never on a desk phone's. Lines without a SIP
//! endpoint are skipped without a request; the others are asked for in
//! [`line_candidates`] order (confd's `is_webrtc` first when it gives one, then
//! the line whose extension is the agent's WebRTC number), and the first WebRTC
//! line with credentials wins ([`choose_line`]), so the usual agent costs one
//! merged-endpoint request.
//!
//! **The identity.** The line's SIP username (`auth_section_options` `username`,
//! or the older top-level `username`) is both the AOR user and the digest user,
//! as the SDK registers (`sip:<username>@<host>`); on Wazo it is a random string
//! such as `t05179qh`, not the extension. The number the agent sees stays the
//! WebRTC number from Finesse.

use std::fmt;
use std::future::Future;

use crate::json::Json;

/// Our `client_id` for offline (refreshable) sessions.
pub const CLIENT_ID: &str = "ttecphone";
/// The session length we ask for; the broker may grant less.
pub const EXPIRATION_S: u32 = 3600;

/// The body of the Basic login (`POST /api/auth/0.1/token`): an offline session
/// (so a refresh token comes back), and the tenant's `domain_name` when the
/// deployment's Wazo users sign in against an LDAP directory.
pub fn login_body(domain_name: Option<&str>) -> Json {
    let mut members = vec![
        ("backend", Json::string("wazo_user")),
        ("expiration", Json::number(EXPIRATION_S.into())),
        ("access_type", Json::string("offline")),
        ("client_id", Json::string(CLIENT_ID)),
    ];
    if let Some(domain) = domain_name {
        members.push(("domain_name", Json::string(domain)));
    }
    Json::object(members)
}

/// The body of a refresh (`POST /api/auth/0.1/token`, no Basic): no `access_type`
/// (wazo-auth refuses `offline` with a refresh token) and no `domain_name`.
pub fn refresh_body(refresh_token: &str) -> Json {
    Json::object([
        ("backend", Json::string("wazo_user")),
        ("expiration", Json::number(EXPIRATION_S.into())),
        ("refresh_token", Json::string(refresh_token)),
        ("client_id", Json::string(CLIENT_ID)),
    ])
}

/// A SIP line's credentials. The password is never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SipCredentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for SipCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SipCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The line chosen to register on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChosenLine {
    pub line_id: u64,
    pub credentials: SipCredentials,
}

fn present(value: Option<&Json>) -> bool {
    value.is_some_and(|v| !matches!(v, Json::Null))
}

/// The ids of the user's lines (confd `GET /users/{uuid}`) worth asking for their
/// merged SIP endpoint, in the order to ask. Skipped: lines without an id, with an
/// SCCP or custom endpoint, another `protocol`, or `endpoint_sip` null (a line from
/// an older confd that does not list `endpoint_sip` is asked; a 404 skips it).
/// Order: confd's `is_webrtc` true, then not given, then false; within each, the
/// lines whose extension is `webrtc_number` first; otherwise confd's order.
pub fn line_candidates(user: &Json, webrtc_number: &str) -> Vec<u64> {
    let lines = user.get("lines").and_then(Json::as_array).unwrap_or(&[]);
    let mut candidates: Vec<(u8, bool, u64)> = lines
        .iter()
        .filter_map(|line| {
            let id = line.get("id").and_then(Json::as_u64)?;
            let not_sip = present(line.get("endpoint_sccp"))
                || present(line.get("endpoint_custom"))
                || matches!(line.get("endpoint_sip"), Some(Json::Null))
                || line
                    .get("protocol")
                    .and_then(Json::as_str)
                    .is_some_and(|p| !p.eq_ignore_ascii_case("sip"));
            if not_sip {
                return None;
            }
            let hint = match line.get("is_webrtc").and_then(Json::as_bool) {
                Some(true) => 0,
                None => 1,
                Some(false) => 2,
            };
            let on_number = line
                .get("extensions")
                .and_then(Json::as_array)
                .is_some_and(|exts| {
                    exts.iter()
                        .any(|e| e.get("exten").and_then(Json::as_str) == Some(webrtc_number))
                });
            Some((hint, !on_number, id))
        })
        .collect();
    // Stable: confd's order among equals.
    candidates.sort_by_key(|&(hint, off_number, _)| (hint, off_number));
    candidates.into_iter().map(|(_, _, id)| id).collect()
}

/// A merged SIP endpoint (`…/associated/endpoints/sip?view=merged`) is a WebRTC
/// line: its options hold `["webrtc", "yes"]`, exactly as the Wazo JS SDK checks
/// (`endpoint_section_options`, or before engine 20.13 `options`).
pub fn is_webrtc(endpoint: &Json) -> bool {
    let options = endpoint
        .get("endpoint_section_options")
        .and_then(Json::as_array)
        .or_else(|| endpoint.get("options").and_then(Json::as_array))
        .unwrap_or(&[]);
    options.iter().filter_map(Json::as_array).any(|pair| {
        pair.first().and_then(Json::as_str) == Some("webrtc")
            && pair.get(1).and_then(Json::as_str) == Some("yes")
    })
}

/// The endpoint's SIP username and password: `auth_section_options`
/// (`[["username","…"],["password","…"]]`, engine ≥ 20.13) or the older top-level
/// `username`/`secret`.
pub fn sip_credentials(endpoint: &Json) -> Option<SipCredentials> {
    let option = |name: &str| {
        endpoint
            .get("auth_section_options")?
            .as_array()?
            .iter()
            .filter_map(Json::as_array)
            .find(|pair| pair.first().and_then(Json::as_str) == Some(name))
            .and_then(|pair| pair.get(1)?.as_str())
            .map(str::to_string)
    };
    let field = |name: &str| endpoint.get(name)?.as_str().map(str::to_string);
    let username = option("username").or_else(|| field("username"))?;
    let password = option("password").or_else(|| field("secret"))?;
    (!username.is_empty() && !password.is_empty()).then_some(SipCredentials { username, password })
}

/// The line to register: the first of [`line_candidates`] whose merged endpoint
/// (`merged_endpoint(line_id)`: `Ok(None)` when confd answers 404, no SIP
/// endpoint) [`is_webrtc`] and has [`sip_credentials`]. Asks one line at a time
/// and stops at the first that fits. `Ok(None)`: the user has no WebRTC line.
pub async fn choose_line<E, F, Fut>(
    user: &Json,
    webrtc_number: &str,
    mut merged_endpoint: F,
) -> Result<Option<ChosenLine>, E>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<Option<Json>, E>>,
{
    for line_id in line_candidates(user, webrtc_number) {
        let Some(endpoint) = merged_endpoint(line_id).await? else {
            continue;
        };
        if !is_webrtc(&endpoint) {
            continue;
        }
        if let Some(credentials) = sip_credentials(&endpoint) {
            return Ok(Some(ChosenLine {
                line_id,
                credentials,
            }));
        }
    }
    Ok(None)
}
