//! The call quality estimator (`components/src/quality.rs`): the E-model's MOS for
//! known inputs, the warnings (raised, attributed, cleared with hysteresis), the
//! silent microphone, missing or odd stats, the end-of-call summary and the
//! collector's record. Samples carry their own times: nothing here waits.

use ttecphone_components::quality::{
    collector_record, mos_from_r, mos_tenths, r_factor, CallSummary, LiveQuality, QualityEstimator,
    QualityWarning, RecordContext, StatsSample,
};
use ttecphone_components::store::{reduce, Action, CallPhase, PhoneState};

/// A call's stats as the browser would report them, one sample a second at 50
/// packets a second each way.
struct Call {
    estimator: QualityEstimator,
    at: u64,
    received: u64,
    lost: i64,
    sent: u64,
    samples: u64,
    concealed: u64,
    /// What the next samples report.
    loss_pct: u64,
    remote_loss_permille: Option<u32>,
    /// The media server's receiver reports: one every this many seconds (Asterisk: 5),
    /// each carrying `remote_loss_permille` as it was then.
    report_every_s: u64,
    reported: Option<(u64, Option<u32>)>,
    jitter_ms: u32,
    rtt_ms: u32,
    level: u32,
    /// The microphone's energy counters (`level` for each whole second).
    energy: u64,
    duration_ms: u64,
    /// Report only `audioLevel` (no energy counters, as in browsers without them).
    level_only: bool,
    muted: bool,
    sending: bool,
    ufrag: &'static str,
}

impl Call {
    fn new() -> Self {
        Self {
            estimator: QualityEstimator::new(),
            at: 10_000,
            received: 0,
            lost: 0,
            sent: 0,
            samples: 0,
            concealed: 0,
            loss_pct: 0,
            remote_loss_permille: Some(0),
            report_every_s: 1,
            reported: None,
            jitter_ms: 5,
            rtt_ms: 40,
            level: 300,
            energy: 0,
            duration_ms: 0,
            level_only: false,
            muted: false,
            sending: true,
            ufrag: "abcd",
        }
    }

    fn sample(&mut self) -> StatsSample {
        let lost = 50 * self.loss_pct / 100;
        self.received += 50 - lost;
        self.lost += lost as i64;
        self.samples += 8000;
        self.concealed += 160 * lost;
        if self.sending {
            self.sent += 50;
        }
        self.at += 1000;
        if self.reported.is_none() || (self.at / 1000) % self.report_every_s == 0 {
            self.reported = Some((self.at, self.remote_loss_permille));
        }
        let (report_at, reported_loss) = self.reported.unwrap_or_default();
        // A mean square of (level / 10,000)² for one second, in 1e-9.
        self.energy += u64::from(self.level) * u64::from(self.level) * 10;
        self.duration_ms += 1000;
        let counters = !self.level_only;
        StatsSample {
            at: self.at,
            packets_received: Some(self.received),
            packets_lost: Some(self.lost),
            jitter_us: Some(self.jitter_ms * 1000),
            concealed_samples: Some(self.concealed),
            total_samples: Some(self.samples),
            packets_sent: Some(self.sent),
            remote_loss_permille: reported_loss,
            remote_report_at: reported_loss.map(|_| report_at),
            remote_jitter_us: Some(self.jitter_ms * 1000),
            remote_rtt_us: Some(self.rtt_ms * 1000),
            pair_rtt_us: Some(self.rtt_ms * 1000),
            audio_level: Some(self.level),
            audio_energy: counters.then_some(self.energy),
            audio_duration_ms: counters.then_some(self.duration_ms),
            muted: self.muted,
            codec: Some("PCMU".into()),
            local_candidate: Some("host".into()),
            remote_candidate: Some("host".into()),
            ice_ufrag: Some(self.ufrag.into()),
        }
    }

    /// `n` seconds; the warning after each.
    fn run(&mut self, n: usize) -> Vec<Option<QualityWarning>> {
        (0..n)
            .map(|_| {
                let sample = self.sample();
                self.estimator.push(sample);
                self.estimator.warning()
            })
            .collect()
    }

    fn codes(&mut self, n: usize) -> Vec<&'static str> {
        self.run(n)
            .into_iter()
            .map(|w| w.map_or("-", QualityWarning::code))
            .collect()
    }
}

#[test]
fn mos_follows_the_e_model() {
    // R = 93.2 - Id - Ie_eff; Ta = RTT/2 + 2 jitter + 10 (values computed by hand).
    assert!((r_factor(10.0, 0.0, Some("PCMU")) - 92.96).abs() < 1e-9);
    assert!((r_factor(100.0, 2.0, Some("PCMU")) - 83.788_929_889).abs() < 1e-6);
    // Past 177.3 ms the second delay term counts: Ta = 300 + 100 + 10.
    assert!((r_factor(410.0, 0.0, None) - 57.763).abs() < 1e-9);
    // G.729A: Ie 11, Bpl 19.
    assert!((r_factor(10.0, 0.0, Some("G729")) - 81.96).abs() < 1e-9);
    assert!((mos_from_r(92.96) - 4.404_592_027).abs() < 1e-6);
    assert_eq!(mos_from_r(-5.0), 1.0);
    assert_eq!(mos_from_r(120.0), 4.5);
    // In tenths, rounded: (RTT ms, jitter ms, loss in 0.1 %).
    assert_eq!(mos_tenths(0, 0, 0, Some("PCMU")), 44);
    assert_eq!(mos_tenths(100, 20, 20, Some("PCMU")), 42); // 4.159
    assert_eq!(mos_tenths(40, 5, 80, Some("opus")), 36); // 3.563
    assert_eq!(mos_tenths(40, 5, 5, Some("PCMA")), 43); // 4.348
    assert_eq!(mos_tenths(600, 50, 0, None), 30); // 2.984
    assert_eq!(mos_tenths(300, 100, 200, None), 13); // 1.324
    assert_eq!(mos_tenths(u32::MAX, u32::MAX, 1000, None), 10);
}

#[test]
fn a_clean_call_is_good_and_quiet() {
    let mut call = Call::new();
    assert_eq!(call.codes(10), vec!["-"; 10]);
    let live = call.estimator.live().expect("figures after a few samples");
    let figures = call.estimator.figures();
    assert_eq!(figures.loss, Some(0));
    assert_eq!(figures.jitter_ms, Some(5));
    assert_eq!(figures.rtt_ms, Some(40));
    assert_eq!(figures.mos, Some(mos_tenths(40, 5, 0, Some("PCMU"))));
    assert_eq!(live.mos, figures.mos);
    assert_eq!(live.bars(), 4);
    assert_eq!(live.label(), "Call quality good, MOS 4.4");
}

#[test]
fn the_first_sample_shows_nothing_yet() {
    let mut call = Call::new();
    let sample = call.sample();
    // One sample has no interval: only the remote report's loss could give a MOS.
    call.remote_loss_permille = None;
    let mut estimator = QualityEstimator::new();
    let mut first = sample;
    first.remote_loss_permille = None;
    assert_eq!(estimator.push(first), None);
}

#[test]
fn loss_both_ways_blames_the_agents_network_and_clears_after() {
    let mut call = Call::new();
    call.run(5);
    call.loss_pct = 8;
    call.remote_loss_permille = Some(80);
    let on = call.run(5);
    let first = on
        .iter()
        .position(Option::is_some)
        .expect("a warning within 5 s");
    assert!(first <= 3, "shown after {} s", first + 1);
    let warning = on[4].unwrap();
    assert_eq!(warning, QualityWarning::NetworkLoss { loss: 8 });
    assert_eq!(warning.title(), "Your network is losing audio (8 % lost).");
    assert_eq!(warning.next_step(), "Move closer to Wi-Fi or use a cable.");
    let live = call.estimator.live().unwrap();
    assert_eq!(call.estimator.figures().loss, Some(80));
    assert_eq!(live.mos, Some(36)); // 3.56 for 8 % lost, 40 ms RTT, 5 ms jitter
    assert_eq!(live.label(), "Call quality fair, MOS 3.6");
    // The loss stops: the 3 s window empties, then 3 clean samples clear it.
    call.loss_pct = 0;
    call.remote_loss_permille = Some(0);
    let off = call.codes(8);
    // 5.3 %, 2.7 %, then 0 % three times: cleared by the 5th second.
    assert_eq!(
        off,
        vec![
            "network-loss",
            "network-loss",
            "network-loss",
            "network-loss",
            "-",
            "-",
            "-",
            "-"
        ]
    );
}

#[test]
fn loss_of_what_we_send_alone_is_our_network() {
    let mut call = Call::new();
    call.run(3);
    call.remote_loss_permille = Some(120);
    let codes = call.codes(4);
    assert_eq!(codes[3], "network-loss");
    assert_eq!(
        call.estimator.warning(),
        Some(QualityWarning::NetworkLoss { loss: 12 })
    );
}

#[test]
fn loss_of_what_we_receive_alone_with_a_calm_path_is_the_far_side() {
    let mut call = Call::new();
    call.run(3);
    call.loss_pct = 10;
    let codes = call.codes(5);
    assert_eq!(codes[4], "far-side-loss");
    let warning = call.estimator.warning().unwrap();
    assert_eq!(
        warning.title(),
        "The phone system or the caller's side is losing audio (10 % lost); your network is fine."
    );
}

/// Asterisk sends a receiver report every 5 s. Loss on the agent's own network (both
/// ways) starting between two reports: the last report, from before the loss, says what
/// we send arrives intact, but it says nothing about the loss. Seen on the bed: the bar
/// named the phone system's side for up to one report interval.
#[test]
fn a_receiver_report_from_before_the_loss_does_not_name_the_far_side() {
    let mut call = Call::new();
    call.report_every_s = 5;
    call.run(6); // at 16 s, the last report at 15 s
    call.loss_pct = 15;
    call.remote_loss_permille = Some(150); // what the next report will say
    let codes = call.codes(8);
    assert!(!codes.contains(&"far-side-loss"), "{codes:?}");
    assert_eq!(codes[7], "network-loss");

    // Loss on the far side only (what we send arrives intact): "your network" while no
    // report from during the loss is in, then the far side once one says so.
    let mut call = Call::new();
    call.report_every_s = 5;
    call.run(6);
    call.loss_pct = 10;
    let codes = call.codes(10);
    let first = codes.iter().position(|c| *c != "-").unwrap();
    assert_eq!(codes[first], "network-loss", "{codes:?}");
    assert_eq!(codes[9], "far-side-loss", "{codes:?}");
    assert_eq!(
        codes[first..]
            .iter()
            .filter(|c| **c == "far-side-loss")
            .count(),
        codes[first..]
            .iter()
            .skip_while(|c| **c == "network-loss")
            .count(),
        "one change of side, never back: {codes:?}"
    );
}

#[test]
fn loss_we_receive_with_high_jitter_or_no_report_is_our_network() {
    let mut call = Call::new();
    call.jitter_ms = 30;
    call.run(3);
    call.loss_pct = 10;
    assert_eq!(call.codes(5)[4], "network-loss");

    let mut call = Call::new();
    call.remote_loss_permille = None;
    call.run(3);
    call.loss_pct = 10;
    assert_eq!(call.codes(5)[4], "network-loss");
}

#[test]
fn a_loss_between_the_thresholds_keeps_the_warning_on() {
    let mut call = Call::new();
    call.loss_pct = 10;
    call.remote_loss_permille = Some(100);
    call.run(6);
    assert!(call.estimator.warning().is_some());
    // 4 % (2 of 50) is under the 5 % that raises it, over the 2 % that clears it.
    call.loss_pct = 4;
    call.remote_loss_permille = Some(40);
    assert_eq!(call.codes(10), vec!["network-loss"; 10]);
    // And it never appears for a loss that only reaches 4 %.
    let mut call = Call::new();
    call.loss_pct = 4;
    call.remote_loss_permille = Some(40);
    assert_eq!(call.codes(10), vec!["-"; 10]);
}

#[test]
fn one_bad_second_raises_nothing() {
    let mut call = Call::new();
    call.run(5);
    call.rtt_ms = 900;
    call.run(1);
    call.rtt_ms = 40;
    assert_eq!(call.codes(5), vec!["-"; 5]);
}

#[test]
fn high_jitter_or_rtt_is_a_delay_on_our_network() {
    let mut call = Call::new();
    call.run(3);
    call.jitter_ms = 60;
    let codes = call.codes(3);
    assert_eq!(codes, vec!["-", "network-delay", "network-delay"]);
    assert_eq!(
        call.estimator.warning().unwrap().title(),
        "Your network is delaying audio (40 ms round trip, 60 ms jitter)."
    );
    call.jitter_ms = 30; // under the raise, over the clear: stays
    assert_eq!(call.codes(4), vec!["network-delay"; 4]);
    call.jitter_ms = 10;
    assert_eq!(
        call.codes(4),
        vec!["network-delay", "network-delay", "-", "-"]
    );
    call.rtt_ms = 450;
    assert_eq!(call.codes(2), vec!["-", "network-delay"]);
}

#[test]
fn a_silent_microphone_is_its_own_warning_and_comes_first() {
    let mut call = Call::new();
    call.run(3);
    call.level = 0;
    let codes = call.codes(6);
    assert_eq!(
        codes,
        vec!["-", "-", "-", "-", "silent-microphone", "silent-microphone"]
    );
    let warning = call.estimator.warning().unwrap();
    assert_eq!(warning.title(), "Your microphone is silent.");
    assert_eq!(
        warning.next_step(),
        "Check it is not muted on the headset or its cable."
    );
    // It outranks a loss warning.
    call.loss_pct = 10;
    call.remote_loss_permille = Some(100);
    assert_eq!(call.codes(4)[3], "silent-microphone");
    // The agent speaks: gone at once, the loss warning shows.
    call.level = 200;
    assert_eq!(call.codes(1), vec!["network-loss"]);
}

#[test]
fn a_muted_or_held_microphone_is_not_a_problem() {
    let mut call = Call::new();
    call.level = 0;
    call.muted = true;
    assert_eq!(call.codes(8), vec!["-"; 8]);
    call.muted = false;
    call.sending = false; // on hold: nothing sent
    assert_eq!(call.codes(8), vec!["-"; 8]);
    call.sending = true;
    call.level = 0;
    assert_eq!(call.codes(5)[4], "silent-microphone");
    call.muted = true;
    assert_eq!(call.codes(1), vec!["-"]);
}

#[test]
fn missing_or_odd_stats_do_not_panic() {
    let mut estimator = QualityEstimator::new();
    for at in 0..5 {
        assert_eq!(
            estimator.push(StatsSample {
                at,
                ..StatsSample::default()
            }),
            None
        );
    }
    // Counters going backwards (a new SSRC), lost packets counted negative (duplicates),
    // huge values.
    let odd = [
        (100, 5, u32::MAX),
        (50, -3, 0),
        (u64::MAX, i64::MAX, 7),
        (0, i64::MIN / 2, 0),
    ];
    for (i, (received, lost, jitter)) in odd.into_iter().enumerate() {
        estimator.push(StatsSample {
            at: 10_000 + i as u64 * 1000,
            packets_received: Some(received),
            packets_lost: Some(lost),
            jitter_us: Some(jitter),
            remote_loss_permille: Some(5000),
            total_samples: Some(0),
            concealed_samples: Some(10),
            ..StatsSample::default()
        });
    }
    let summary = estimator.summary();
    assert_eq!(summary.duration_s, 13);
    let record = collector_record(&summary, estimator.live().as_ref(), &context(None, true));
    assert!(
        ttecphone_components::json::Json::parse(&record).is_ok(),
        "{record}"
    );
}

#[test]
fn the_summary_counts_the_call() {
    let mut call = Call::new();
    call.run(10);
    call.loss_pct = 10;
    call.remote_loss_permille = Some(100);
    call.run(5);
    call.loss_pct = 0;
    call.remote_loss_permille = Some(0);
    call.ufrag = "efgh"; // an ICE restart
    call.rtt_ms = 60;
    call.run(10);
    let summary = call.estimator.summary();
    assert_eq!(
        summary,
        CallSummary {
            duration_s: 24,
            samples: 25,
            mos_min: Some(34),
            mos_avg: Some(41),
            loss: Some(21),
            remote_loss_max: 100,
            jitter_avg_ms: Some(5),
            jitter_max_ms: 5,
            rtt_avg_ms: Some(48),
            rtt_max_ms: 60,
            codec: Some("PCMU".into()),
            local_candidate: Some("host".into()),
            remote_candidate: Some("host".into()),
            ice_restarts: 1,
            warnings: vec!["network-loss"],
        }
    );
}

fn context(caller_number: Option<&str>, last: bool) -> RecordContext<'_> {
    RecordContext {
        call_id: "a84b4c76e66710@pc33",
        line: "3001",
        number: "3001",
        interval_s: 30,
        started_at: 1_765_000_000_000,
        sent_at: 1_765_000_030_000,
        last,
        caller_number,
    }
}

#[test]
fn the_collector_record_is_exact_json_without_secrets() {
    let mut call = Call::new();
    call.run(31);
    let summary = call.estimator.summary();
    let live = call.estimator.live();
    let record = collector_record(&summary, live.as_ref(), &context(None, false));
    assert_eq!(
        record,
        r#"{"schema":"ttecphone.call-quality/1","final":false,"callId":"a84b4c76e66710@pc33","line":"3001","number":"3001","intervalS":30,"startedAt":1765000000000,"sentAt":1765000030000,"durationS":30,"mosMin":4.4,"mosAvg":4.4,"mosNow":4.4,"lossPct":0.0,"sentLossMaxPct":0.0,"jitterAvgMs":5,"jitterMaxMs":5,"rttAvgMs":40,"rttMaxMs":40,"codec":"PCMU","localCandidate":"host","remoteCandidate":"host","iceRestarts":0,"warningNow":null,"warnings":[]}"#
    );
    assert!(!record.contains("callerNumber"));
    for secret in [
        "password",
        "token",
        "credential",
        "ice-pwd",
        "Authorization",
    ] {
        assert!(!record.contains(secret), "{secret}");
    }
    // Parses back as JSON.
    assert!(ttecphone_components::json::Json::parse(&record).is_ok());
}

#[test]
fn the_collector_record_names_the_caller_only_when_configured() {
    let summary = CallSummary::default();
    let record = collector_record(&summary, None, &context(Some("+15551234"), true));
    assert_eq!(
        record,
        r#"{"schema":"ttecphone.call-quality/1","final":true,"callId":"a84b4c76e66710@pc33","line":"3001","number":"3001","intervalS":30,"startedAt":1765000000000,"sentAt":1765000030000,"durationS":0,"mosMin":null,"mosAvg":null,"mosNow":null,"lossPct":null,"sentLossMaxPct":0.0,"jitterAvgMs":null,"jitterMaxMs":0,"rttAvgMs":null,"rttMaxMs":0,"codec":null,"localCandidate":null,"remoteCandidate":null,"iceRestarts":0,"warningNow":null,"warnings":[],"callerNumber":"+15551234"}"#
    );
}

fn in_call() -> PhoneState {
    let state = reduce(
        &PhoneState::default(),
        Action::IncomingCall {
            id: "c1".into(),
            caller_number: "5551234".into(),
            caller_name: None,
            answer_at: Some(0),
        },
    );
    let state = reduce(
        &state,
        Action::Connected {
            id: "c1".into(),
            at: 5,
        },
    );
    assert!(matches!(
        state.call.as_ref().unwrap().phase,
        CallPhase::Active { .. }
    ));
    state
}

fn lossy() -> LiveQuality {
    let mut call = Call::new();
    call.loss_pct = 10;
    call.remote_loss_permille = Some(100);
    call.run(6);
    call.estimator.live().unwrap()
}

#[test]
fn the_store_keeps_the_calls_quality_and_shows_its_warning() {
    let state = in_call();
    let live = lossy();
    let other = reduce(
        &state,
        Action::Quality {
            id: "old".into(),
            live: Some(live),
        },
    );
    assert_eq!(other.quality, None, "a late sample of another call");
    let state = reduce(
        &state,
        Action::Quality {
            id: "c1".into(),
            live: Some(live),
        },
    );
    assert_eq!(state.quality, Some(live));
    let problems = ttecphone_components::problems::problems(&state);
    let problem = problems.last().unwrap();
    assert_eq!(problem.code(), "network-loss");
    assert_eq!(problem.severity(), "warn");
    assert_eq!(problem.title(), "Your network is losing audio (10 % lost).");
    let ended = reduce(
        &state,
        Action::Ended {
            id: "c1".into(),
            reason: "Call ended.".into(),
        },
    );
    assert_eq!(ended.quality, None);
    assert!(ttecphone_components::problems::problems(&ended).is_empty());
}

/// `qualityCollector`: off by default; an https URL, http only on loopback (a local
/// test collector); `qualityCollectorCallerNumber` off unless set.
#[test]
fn the_collector_is_an_https_url_and_the_caller_number_is_opt_in() {
    let config = |json: &str| {
        gadget_config(json).map(|c| (c.quality_collector, c.quality_collector_caller_number))
    };
    assert_eq!(config("{}"), Ok((None, false)));
    for good in [
        "https://stats.example.com/calls",
        "http://127.0.0.1:9999/q",
        "http://localhost:8080",
    ] {
        assert_eq!(
            config(&format!(r#"{{"qualityCollector": "{good}"}}"#)),
            Ok((Some(good.to_string()), false))
        );
    }
    assert_eq!(
        config(
            r#"{"qualityCollector": "https://s.example.com", "qualityCollectorCallerNumber": true}"#
        ),
        Ok((Some("https://s.example.com".into()), true))
    );
    for bad in [
        "http://stats.example.com/calls",
        "ftp://x.example",
        "stats.example.com",
        "https://",
    ] {
        assert_eq!(
            config(&format!(r#"{{"qualityCollector": "{bad}"}}"#)),
            Err(vec!["qualityCollector".to_string()]),
            "{bad}"
        );
    }
    assert_eq!(
        config(r#"{"qualityCollectorCallerNumber": "maybe"}"#),
        Err(vec!["qualityCollectorCallerNumber".to_string()])
    );
}

/// The end-of-call record is also the diagnostics line: the trace's redaction leaves it whole.
#[test]
fn the_record_survives_the_diagnostics_redaction() {
    let mut call = Call::new();
    call.run(5);
    let record = collector_record(
        &call.estimator.summary(),
        call.estimator.live().as_ref(),
        &context(None, true),
    );
    let line = format!("Call quality: {record}");
    assert_eq!(ttecphone_components::diagnostics::redact(&line, &[]), line);
}

/// The level at the instant of a sample can read 0 between words or a test tone's
/// beeps: where the browser counts the microphone's energy, the whole second counts.
#[test]
fn a_microphone_with_sound_between_samples_is_not_silent() {
    let mut call = Call::new();
    call.run(3);
    for _ in 0..10 {
        let mut sample = call.sample();
        sample.audio_level = Some(0); // this instant is quiet, the second was not
        call.estimator.push(sample);
        assert_eq!(call.estimator.warning(), None);
    }
    // Without energy counters, the instant's level is all there is.
    let mut call = Call::new();
    call.level_only = true;
    call.run(3);
    call.level = 0;
    assert_eq!(call.codes(5)[4], "silent-microphone");
    call.level = 1;
    assert_eq!(call.codes(1), vec!["-"]);
}

/// −80 dBFS is the line: a level of 1/10,000 (a mean square of 10⁻⁸) is sound.
#[test]
fn silence_is_under_minus_80_dbfs() {
    let mut call = Call::new();
    call.run(2);
    call.level = 1;
    assert_eq!(call.codes(8), vec!["-"; 8]);
    call.level = 0;
    assert_eq!(call.codes(5)[4], "silent-microphone");
}

/// A wazo gadget's configuration with `json` as its config.json; the keys of the problems.
fn gadget_config(json: &str) -> Result<ttecphone_components::config::GadgetConfig, Vec<String>> {
    ttecphone_components::config::ConfigBuilder::default()
        .with_env_defaults([
            ("TTEC_BROKER_KIND", "wazo"),
            ("TTEC_BROKER_HOST", "wazo.example.com"),
        ])
        .with_config_json(json)
        .finish()
        .map_err(|problems| problems.into_iter().map(|p| p.key).collect())
}

/// `qualityCollectorIntervalS`: 30 s by default, 5–300 (the records' `intervalS`).
#[test]
fn the_record_interval_is_configurable() {
    let interval = |json: &str| gadget_config(json).map(|c| c.quality_collector_interval_s);
    assert_eq!(interval("{}"), Ok(30));
    assert_eq!(interval(r#"{"qualityCollectorIntervalS": 10}"#), Ok(10));
    assert_eq!(interval(r#"{"qualityCollectorIntervalS": 5}"#), Ok(5));
    for bad in ["4", "301", "\"x\""] {
        assert_eq!(
            interval(&format!(r#"{{"qualityCollectorIntervalS": {bad}}}"#)),
            Err(vec!["qualityCollectorIntervalS".to_string()]),
            "{bad}"
        );
    }
}
