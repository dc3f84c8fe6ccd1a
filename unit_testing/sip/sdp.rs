//! The SDP helpers the media edge uses: hold detection and mDNS (`.local`) candidates.

use ttecphone_sip::sdp::{is_hold, only_mdns_candidates, without_mdns_candidates};

const MDNS: &str =
    "a=candidate:0 1 UDP 2122252543 3f2a9c1e-5b7d-4d3a-9e2f-0c1b2a3d4e5f.local 51234 typ host\r\n";
const HOST: &str = "a=candidate:1 1 UDP 2122187007 192.0.2.10 51235 typ host\r\n";
const SRFLX: &str =
    "a=candidate:2 1 UDP 1685987327 198.51.100.7 40000 typ srflx raddr 0.0.0.0 rport 0\r\n";
const RELAY: &str =
    "a=candidate:3 1 UDP 92217343 203.0.113.9 3478 typ relay raddr 198.51.100.7 rport 40000\r\n";

fn sdp(candidates: &[&str]) -> String {
    let mut s = String::from(
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=sendrecv\r\n",
    );
    for c in candidates {
        s.push_str(c);
    }
    s.push_str("a=end-of-candidates\r\n");
    s
}

#[test]
fn only_mdns_host_candidates_are_flagged() {
    assert!(only_mdns_candidates(&sdp(&[MDNS])));
    assert!(only_mdns_candidates(&sdp(&[MDNS, MDNS])));
}

#[test]
fn a_real_host_srflx_or_relay_candidate_is_enough() {
    assert!(!only_mdns_candidates(&sdp(&[MDNS, HOST])));
    assert!(!only_mdns_candidates(&sdp(&[MDNS, SRFLX])));
    assert!(!only_mdns_candidates(&sdp(&[MDNS, RELAY])));
    assert!(!only_mdns_candidates(&sdp(&[HOST])));
}

#[test]
fn no_candidate_at_all_is_not_the_mdns_case() {
    assert!(!only_mdns_candidates(&sdp(&[])));
}

#[test]
fn mdns_candidates_are_dropped_when_real_ones_exist() {
    let filtered = without_mdns_candidates(&sdp(&[MDNS, HOST, SRFLX]));
    assert_eq!(filtered, sdp(&[HOST, SRFLX]));
    assert!(filtered.ends_with("a=end-of-candidates\r\n"));
}

#[test]
fn mdns_candidates_stay_when_they_are_all_there_is() {
    assert_eq!(without_mdns_candidates(&sdp(&[MDNS])), sdp(&[MDNS]));
}

#[test]
fn filtering_is_per_media_section() {
    let two = format!(
        "{}m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n{MDNS}",
        sdp(&[MDNS, HOST])
    );
    let expected = format!("{}m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n{MDNS}", sdp(&[HOST]));
    assert_eq!(without_mdns_candidates(&two), expected);
}

#[test]
fn malformed_or_odd_candidate_lines_never_panic() {
    for line in [
        "a=candidate:\r\n",
        "a=candidate:0 1 UDP\r\n",
        "a=candidate:0 1 UDP 1 é.local 5 typ host\r\n",
        "a=candidate:0 1 UDP 1 ééééééé 5 typ host\r\n",
        "a=candidate:0 1 UDP 1 x.local 5 nottyp host\r\n",
    ] {
        let text = sdp(&[line]);
        let _ = only_mdns_candidates(&text);
        assert_eq!(without_mdns_candidates(&text), text);
    }
    assert_eq!(without_mdns_candidates(""), "");
}

#[test]
fn hold_is_read_from_the_audio_direction() {
    assert!(is_hold(&sdp(&[]).replace("a=sendrecv", "a=sendonly")));
    assert!(!is_hold(&sdp(&[])));
}
