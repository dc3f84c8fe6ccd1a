//! Randomness from the browser's CSPRNG (`crypto.getRandomValues`), injected
//! into the SIP core (tags, branches, Call-IDs, cnonces) and used for ids.

/// Fills `buf` from `crypto.getRandomValues` (at most 64 KiB per call, as the API requires).
pub fn fill(buf: &mut [u8]) {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    for chunk in buf.chunks_mut(65_536) {
        let filled = crypto
            .as_ref()
            .is_some_and(|c| c.get_random_values_with_u8_array(chunk).is_ok());
        if !filled {
            // Without Web Crypto (never in a supported browser) fall back to Math.random:
            // these values are identifiers, not keys.
            for byte in chunk.iter_mut() {
                *byte = (js_sys::Math::random() * 256.0) as u8;
            }
        }
    }
}

pub fn u32() -> u32 {
    let mut bytes = [0u8; 4];
    fill(&mut bytes);
    u32::from_le_bytes(bytes)
}

/// A random (version 4) UUID in its 8-4-4-4-12 form.
pub fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The SIP core's source of randomness.
pub struct BrowserRandom;

impl ttecphone_sip::Random for BrowserRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        fill(buf);
    }
}
