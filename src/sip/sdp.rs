//! What is read from SDP outside the browser: whether the peer put the call on hold (the
//! core), and which of our candidates the broker can reach (the media edge: mDNS `.local`
//! names it cannot resolve). Everything else about media belongs to the browser's
//! RTCPeerConnection.

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

/// The connection address and type of an `a=candidate:` line (RFC 8839 §5.1:
/// `foundation component transport priority address port typ type …`).
fn candidate(line: &str) -> Option<(&str, &str)> {
    let mut fields = line
        .trim()
        .strip_prefix("a=candidate:")?
        .split_ascii_whitespace();
    let address = fields.nth(4)?;
    let _port = fields.next()?;
    if fields.next()? != "typ" {
        return None;
    }
    Some((address, fields.next()?))
}

/// A candidate behind an mDNS name (`<uuid>.local`), as browsers hide host addresses
/// from pages that do not capture: Asterisk and rtpengine cannot resolve it.
fn is_mdns(address: &str) -> bool {
    let bytes = address.as_bytes();
    bytes.len() > 6
        && bytes
            .get(bytes.len() - 6..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(b".local"))
}

/// `true` when the SDP offers candidates and every one of them is an mDNS host name
/// (no routable host, no server-reflexive, no relay): a broker that does not resolve
/// mDNS cannot reach us, so an answer carrying only these is a silent call.
#[must_use]
pub fn only_mdns_candidates(sdp: &str) -> bool {
    let mut seen = false;
    for (address, _) in sdp.lines().filter_map(candidate) {
        if !is_mdns(address) {
            return false;
        }
        seen = true;
    }
    seen
}

/// The SDP without its mDNS (`.local`) candidates in every media section that also has
/// a candidate with a real address; sections with nothing else keep theirs (a broker
/// that resolves mDNS can still use them). Line endings are kept.
#[must_use]
pub fn without_mdns_candidates(sdp: &str) -> String {
    let mdns = |line: &str| candidate(line).map(|(address, _)| is_mdns(address));
    // Per section (the session part, then one per `m=` line): has a real candidate.
    let mut real = vec![false];
    for line in sdp.split_inclusive('\n') {
        if line.starts_with("m=") {
            real.push(false);
        }
        if mdns(line) == Some(false) {
            if let Some(section) = real.last_mut() {
                *section = true;
            }
        }
    }
    let mut section = 0;
    let mut out = String::with_capacity(sdp.len());
    for line in sdp.split_inclusive('\n') {
        if line.starts_with("m=") {
            section += 1;
        }
        let drop = real.get(section).copied().unwrap_or(false) && mdns(line) == Some(true);
        if !drop {
            out.push_str(line);
        }
    }
    out
}
