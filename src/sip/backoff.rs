//! Jittered backoff for reconnecting the WebSocket (used by the browser
//! driver; pure, so it lives and is tested here).
//!
//! Two phases. A broker restart is the common outage and takes seconds, so
//! the first tries come quickly — 0.5 s, 1 s, then every 1.5 s for about
//! ten seconds — and the phone is back within 1.5 s of the broker. After
//! that the outage is a real one and the delay doubles from 3 s up to a
//! 30 s cap. Every delay is jittered over the upper half of its ceiling
//! ("equal jitter"), so a broker restart is not met by every agent at the
//! same instant (no retry storm), yet no agent waits longer than the ceiling.

/// The first delay's ceiling, in milliseconds.
pub const BASE_MS: u64 = 500;
/// The ceiling of the quick phase, in milliseconds.
pub const QUICK_MS: u64 = 1_500;
/// Attempts in the quick phase (about ten seconds of outage).
pub const QUICK_ATTEMPTS: u32 = 8;
/// The cap, in milliseconds.
pub const CAP_MS: u64 = 30_000;

/// The longest wait before attempt number `attempt` (0 for the first).
pub fn ceiling_ms(attempt: u32) -> u64 {
    match attempt {
        0 => BASE_MS,
        1 => 2 * BASE_MS,
        a if a < QUICK_ATTEMPTS => QUICK_MS,
        a => (2 * QUICK_MS)
            .saturating_mul(1u64 << (a - QUICK_ATTEMPTS).min(16))
            .min(CAP_MS),
    }
}

/// Delay before reconnect attempt number `attempt`, given a random value in
/// `0..=u32::MAX`. Always within `[ceiling/2, ceiling]`.
pub fn delay_ms(attempt: u32, random: u32) -> u64 {
    let ceiling = ceiling_ms(attempt);
    let half = ceiling / 2;
    half + (u64::from(random) * (ceiling - half)) / u64::from(u32::MAX)
}
