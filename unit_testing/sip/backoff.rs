//! The reconnect backoff: quick while a broker restarts, then doubling to a 30 s cap, jittered.

use ttecphone_sip::backoff::{ceiling_ms, delay_ms, BASE_MS, CAP_MS, QUICK_MS};

#[test]
fn first_attempt_is_quick() {
    assert!((BASE_MS / 2..=BASE_MS).contains(&delay_ms(0, 0)));
    assert_eq!(delay_ms(0, u32::MAX), BASE_MS);
}

#[test]
fn quick_phase_covers_a_broker_restart_then_doubles_to_30_s() {
    let ceilings: Vec<u64> = (0..14).map(ceiling_ms).collect();
    assert_eq!(
        ceilings,
        [
            500, 1_000, 1_500, 1_500, 1_500, 1_500, 1_500, 1_500, 3_000, 6_000, 12_000, 24_000,
            30_000, 30_000
        ]
    );
    // About ten seconds of outage is retried at least every 1.5 s.
    let quick: u64 = (0..8).map(ceiling_ms).sum();
    assert!((10_000..=11_000).contains(&quick), "{quick}");
    assert!((0..8).all(|a| ceiling_ms(a) <= QUICK_MS));
    assert_eq!(ceiling_ms(u32::MAX), CAP_MS);
}

#[test]
fn jitter_spreads_agents_over_the_upper_half() {
    // A broker restart must not be met by every agent at the same instant.
    for attempt in 0..20 {
        let low = delay_ms(attempt, 0);
        let mid = delay_ms(attempt, u32::MAX / 2);
        let high = delay_ms(attempt, u32::MAX);
        assert!(
            low < mid && mid < high,
            "attempt {attempt}: {low} {mid} {high}"
        );
        assert_eq!(high, ceiling_ms(attempt));
        assert_eq!(low, ceiling_ms(attempt) / 2);
    }
}
