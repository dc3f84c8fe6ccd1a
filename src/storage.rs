//! Browser storage edge: the SIP instance id (stable per browser profile, in
//! localStorage) and, for the `wazo` broker, the session token (sessionStorage
//! only, so it dies with the tab and is never shared with other sites).

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

const MICROPHONE_KEY: &str = "ttecphone.microphone";
const SPEAKER_KEY: &str = "ttecphone.speaker";

/// The devices the agent chose in this browser: ids only (no labels, nothing
/// personal). `""` means the default device.
pub fn chosen_devices() -> (String, String) {
    let get = |key| {
        local()
            .and_then(|s| s.get_item(key).ok().flatten())
            .filter(|id| id.len() <= 256)
            .unwrap_or_default()
    };
    (get(MICROPHONE_KEY), get(SPEAKER_KEY))
}

pub fn remember_devices(microphone: &str, speaker: &str) {
    let Some(storage) = local() else { return };
    for (key, id) in [(MICROPHONE_KEY, microphone), (SPEAKER_KEY, speaker)] {
        let _ = if id.is_empty() {
            storage.remove_item(key)
        } else {
            storage.set_item(key, id)
        };
    }
}
