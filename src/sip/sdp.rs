//! The one thing the core reads from SDP: whether the peer put the call on hold.
//! Everything else about media belongs to the browser's RTCPeerConnection.

/// `true` when the audio stream's direction (media-level attribute, else session-level)
/// is `sendonly` or `inactive`. The RFC 2543 `c=IN IP4 0.0.0.0` convention is deliberately
/// not read as hold: ICE offers (browsers, some gateways) carry that address normally.
#[must_use]
pub fn is_hold(sdp: &str) -> bool {
    let mut session_direction = None;
    let mut audio_direction = None;
    let mut in_audio = false;
    let mut seen_media = false;
    for line in sdp.lines().map(str::trim) {
        if let Some(media) = line.strip_prefix("m=") {
            seen_media = true;
            in_audio = media.starts_with("audio");
            continue;
        }
        let Some(direction) = line
            .strip_prefix("a=")
            .filter(|a| matches!(*a, "sendrecv" | "sendonly" | "recvonly" | "inactive"))
        else {
            continue;
        };
        if !seen_media {
            session_direction = Some(direction);
        } else if in_audio && audio_direction.is_none() {
            audio_direction = Some(direction);
        }
    }
    matches!(
        audio_direction.or(session_direction),
        Some("sendonly" | "inactive")
    )
}
