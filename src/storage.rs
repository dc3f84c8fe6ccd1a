//! Browser storage edge: the SIP instance id and the agent's audio devices (stable per
//! browser profile, in localStorage; device ids, group ids and names only) and, for the
//! `wazo` broker, the session token (sessionStorage only, so it dies with the tab and is
//! never shared with other sites).

use ttecphone_components::devices::AudioDevice;
use ttecphone_components::json::Json;
use web_sys::Storage;

const INSTANCE_KEY: &str = "ttecphone.instance-id";

fn local() -> Option<Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// RFC 5626 `+sip.instance`: the same `urn:uuid:` for this browser profile on
/// every load, so the broker replaces our old contact instead of piling up
/// stale ones after reloads.
pub fn instance_id() -> String {
    let storage = local();
    if let Some(id) = storage
        .as_ref()
        .and_then(|s| s.get_item(INSTANCE_KEY).ok().flatten())
    {
        if id.starts_with("urn:uuid:") && id.len() == 45 {
            return id;
        }
    }
    let id = format!("urn:uuid:{}", crate::random::uuid_v4());
    if let Some(storage) = storage {
        let _ = storage.set_item(INSTANCE_KEY, &id);
    }
    id
}

const WAZO_SESSION_KEY: &str = "ttecphone.wazo-session";

fn session() -> Option<Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// A wazo-auth session as cached for this tab. The token and the refresh
/// token are secrets: this type never prints them.
#[derive(Clone, PartialEq)]
pub struct WazoSession {
    /// The broker's REST base the token belongs to (`https://wazo.example.com`).
    pub api_base: String,
    /// The Finesse login the token was issued for (another agent never reuses it).
    pub login: String,
    pub token: String,
    pub refresh_token: Option<String>,
    /// The Wazo user's uuid (`metadata.uuid`), for confd.
    pub user_uuid: String,
    /// When the token expires, in ms since the epoch on *this* browser's clock.
    pub expires_at: f64,
}

impl std::fmt::Debug for WazoSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WazoSession")
            .field("api_base", &self.api_base)
            .field("login", &self.login)
            .field("user_uuid", &self.user_uuid)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The cached wazo-auth session (sessionStorage only: it dies with the tab,
/// never reaches localStorage). A damaged entry is dropped.
pub fn wazo_session() -> Option<WazoSession> {
    let storage = session()?;
    let text = storage.get_item(WAZO_SESSION_KEY).ok().flatten()?;
    let parsed = Json::parse(&text).ok().and_then(|json| {
        let text = |name: &str| json.get(name).and_then(Json::as_str).map(str::to_string);
        Some(WazoSession {
            api_base: text("apiBase")?,
            login: text("login")?,
            token: text("token")?,
            refresh_token: text("refreshToken"),
            user_uuid: text("userUuid")?,
            expires_at: json.get("expiresAt")?.as_i64()? as f64,
        })
    });
    if parsed.is_none() {
        let _ = storage.remove_item(WAZO_SESSION_KEY);
    }
    parsed
}

pub fn save_wazo_session(value: &WazoSession) {
    let json = Json::object([
        ("apiBase", Json::string(&value.api_base)),
        ("login", Json::string(&value.login)),
        ("token", Json::string(&value.token)),
        (
            "refreshToken",
            Json::optional(value.refresh_token.as_deref()),
        ),
        ("userUuid", Json::string(&value.user_uuid)),
        // Whole milliseconds: no float text in the cache.
        ("expiresAt", Json::number(value.expires_at as i64)),
    ]);
    if let Some(storage) = session() {
        let _ = storage.set_item(WAZO_SESSION_KEY, &json.to_string());
    }
}

pub fn clear_wazo_session() {
    if let Some(storage) = session() {
        let _ = storage.remove_item(WAZO_SESSION_KEY);
    }
}

const MICROPHONE_KEY: &str = "ttecphone.microphone";
const SPEAKER_KEY: &str = "ttecphone.speaker";
/// Beside each id: `{"groupId": …, "label": …}`, to find the device again when the
/// browser gave it a new id (Firefox, across reloads).
const DETAILS_SUFFIX: &str = "-device";
/// Longest id, group id or name kept (anything longer is not a device's).
const MAX_FIELD: usize = 256;

/// The devices the agent chose in this browser (`None`: the default): ids, group ids and
/// names, nothing secret. An entry without its details (written by an older version) is
/// an id alone.
pub fn chosen_devices() -> (Option<AudioDevice>, Option<AudioDevice>) {
    let Some(storage) = local() else {
        return (None, None);
    };
    let get = |key: &str| {
        let id = storage
            .get_item(key)
            .ok()
            .flatten()
            .filter(|id| !id.is_empty() && id.len() <= MAX_FIELD)?;
        let details = storage
            .get_item(&format!("{key}{DETAILS_SUFFIX}"))
            .ok()
            .flatten()
            .and_then(|text| Json::parse(&text).ok());
        let field = |name: &str| {
            details
                .as_ref()
                .and_then(|d| d.get(name))
                .and_then(Json::as_str)
                .filter(|v| v.len() <= MAX_FIELD)
                .unwrap_or_default()
                .to_string()
        };
        Some(AudioDevice {
            id,
            group_id: field("groupId"),
            label: field("label"),
        })
    };
    (get(MICROPHONE_KEY), get(SPEAKER_KEY))
}

/// Remembers the agent's choices (`None`: the default device).
pub fn remember_devices(microphone: Option<&AudioDevice>, speaker: Option<&AudioDevice>) {
    let Some(storage) = local() else { return };
    for (key, device) in [(MICROPHONE_KEY, microphone), (SPEAKER_KEY, speaker)] {
        let details_key = format!("{key}{DETAILS_SUFFIX}");
        match device.filter(|d| !d.id.is_empty()) {
            Some(device) => {
                let details = Json::object([
                    ("groupId", Json::string(&device.group_id)),
                    ("label", Json::string(&device.label)),
                ]);
                let _ = storage.set_item(key, &device.id);
                let _ = storage.set_item(&details_key, &details.to_string());
            }
            None => {
                let _ = storage.remove_item(key);
                let _ = storage.remove_item(&details_key);
            }
        }
    }
}
