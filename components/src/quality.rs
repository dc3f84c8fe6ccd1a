//! Call quality from `RTCPeerConnection.getStats()`: figures, an estimated MOS,
//! plain-words warnings and the end-of-call summary. Pure code (no web-sys, no
//! clock): the media edge (`src/media/stats.rs`) reads the report once a second
//! into a [`StatsSample`] stamped with the page's clock and feeds it to a
//! [`QualityEstimator`]; everything here is tested natively.
//!
//! # Figures (per interval)
//!
//! Counters are cumulative in getStats, so figures come from the difference
//! between the newest sample and the one [`WINDOW`] samples earlier (a 3 s window:
//! at 50 packets a second one lost packet in one second would read as 2 %):
//!
//! * **loss** of what we receive: Δ`packetsLost` / (Δ`packetsReceived` + Δ`packetsLost`)
//!   of the audio `inbound-rtp`;
//! * **loss of what we send**: `fractionLost` of `remote-inbound-rtp` (the media
//!   server's last RTCP receiver report about our stream);
//! * **jitter**: `inbound-rtp.jitter` (RFC 3550's smoothed interarrival jitter);
//! * **RTT**: `remote-inbound-rtp.roundTripTime` (RTCP), else the selected
//!   `candidate-pair.currentRoundTripTime` (ICE consent checks);
//! * **concealment**: Δ`concealedSamples` / Δ`totalSamplesReceived`;
//! * the microphone's level over the interval: Δ`media-source.totalAudioEnergy` /
//!   Δ`totalSamplesDuration` (the mean square), else `audioLevel` (0..1, linear: an
//!   instant's level, which reads 0 between the beeps of a test tone or words).
//!
//! # MOS: the ITU-T G.107 E-model, simplified as is usual for WebRTC
//!
//! ```text
//! Ta     = RTT/2 + 2·jitter + 10 ms            effective one-way latency: the path, a
//!                                              jitter buffer of twice the jitter, and
//!                                              10 ms of packetisation/codec delay
//! Id     = 0.024·Ta + 0.11·(Ta − 177.3)·H(Ta − 177.3)
//!                                              delay impairment: Cole & Rosenbluth,
//!                                              "Voice over IP Performance Monitoring",
//!                                              ACM SIGCOMM CCR 31(2), 2001, eq. (5), their
//!                                              fit of G.107's Idd + Idte for default
//!                                              parameters; H(x) = 1 if x > 0, else 0
//! Ie_eff = Ie + (95 − Ie) · Ppl / (Ppl/BurstR + Bpl)
//!                                              G.107 (06/2015) eq. 7-29; Ppl in %, BurstR = 1
//!                                              (random loss: getStats gives no burst figures)
//! R      = 93.2 − Id − Ie_eff                  93.2: G.107's R with every other parameter
//!                                              at its default (Ro − Is, A = 0)
//! MOS    = 1                                   if R < 0
//!        = 1 + 0.035·R + 7·10⁻⁶·R·(R − 60)·(100 − R)   if 0 ≤ R ≤ 100 (G.107 Annex B, eq. B-4)
//!        = 4.5                                 if R > 100
//! ```
//!
//! Ie and Bpl per codec ([`codec_impairment`]), from ITU-T G.113 (11/2018) Appendix I,
//! Table I.1 / I.3: G.711 (PCMU, PCMA) with packet-loss concealment Ie = 0, Bpl = 25.1
//! (browsers always conceal: NetEq); G.729A Ie = 11, Bpl = 19.0. G.113 has no value
//! for Opus or G.722 on this narrowband scale: they get G.711's (Ie = 0, Bpl = 25.1), which
//! rates them no better than G.711. Ppl and the jitter are the worse of the two directions
//! (what we receive, and what the media server reports of what we send): a call is as
//! bad as the worse side hears it. With no loss, 0 ms RTT and no jitter the MOS is 4.4.
//!
//! # Warnings and who they blame
//!
//! The other end of the phone's media path is the phone system's media server
//! (rtpengine, Asterisk); the caller is behind it. The rules:
//!
//! * **The microphone is silent** ([`QualityWarning::SilentMicrophone`]): its level stays
//!   below −80 dBFS (a mean square under 10⁻⁸, or an `audioLevel` under
//!   [`SILENT_LEVEL`]: digital silence, as a headset's own mute gives; a live
//!   microphone always picks up some noise) for [`SILENT_AFTER`] samples while the
//!   agent has not muted the gadget and we are sending (held calls send nothing).
//! * **Your network** ([`QualityWarning::NetworkLoss`], [`QualityWarning::NetworkDelay`]):
//!   loss of what we send (the first hop after the agent's network is the media
//!   server: the loss is on the agent's side of it); or loss of what we receive
//!   together with a high RTT or jitter, or with no report about what we send yet
//!   (an access network that drops packets, Wi-Fi above all, hurts both ways and
//!   delays what it lets through); and a high jitter or RTT on its own.
//! * **The phone system or the caller's side** ([`QualityWarning::FarSideLoss`]): loss of
//!   what we receive while what we send arrives intact (the media server reports
//!   less than [`CLEAN_PCT_TENTHS`]) and RTT and jitter are normal (under [`RTT_CLEAR_MS`]
//!   and [`JITTER_CLEAR_MS`]): the packets were
//!   lost before the media server sent them on, on the caller's network or the
//!   phone system's.
//!
//! "What we send arrives intact" is only known from a `remote-inbound-rtp` report: the
//! RTCP receiver reports of whoever terminates our RTP (Asterisk sends its own, every
//! 5 s; a relay such as rtpengine forwards the far end's, which may send none), and only
//! from one that arrived after the loss began (its `timestamp`): an older one covers
//! time before it. Without one, loss of what we receive is blamed on the agent's
//! network, the commoner cause, until a report from during the loss says what we send
//! arrives intact (the far side then). Firm evidence of our network (loss of what we
//! send, a troubled path) is never taken back during the warning.
//!
//! Hysteresis: a warning appears when its condition held for [`RAISE_AFTER`]
//! consecutive samples and clears once a lower threshold held for [`CLEAR_AFTER`];
//! the bar shows one warning at a time, the most urgent ([`QualityEstimator::warning`]).
//! With a 3 s window a sudden 8 % loss shows within about 3 s and clears about 5 s
//! after the loss stops.

use crate::json::Json;
use crate::store::Millis;

/// Samples between the two a figure is computed from (one a second: 3 s).
pub const WINDOW: usize = 3;
/// Consecutive samples a warning's condition must hold before it shows.
pub const RAISE_AFTER: u8 = 2;
/// Consecutive samples under the clearing threshold before a warning goes away.
pub const CLEAR_AFTER: u8 = 3;
/// Consecutive silent samples before the microphone warning.
pub const SILENT_AFTER: u8 = 5;
/// `audioLevel` below this (in 1/10,000: 0.0001, −80 dBFS) is silence.
pub const SILENT_LEVEL: u32 = 1;
/// Loss (in 0.1 %) that raises a loss warning, and the level under which it clears.
pub const LOSS_RAISE_PCT_TENTHS: u32 = 50;
pub const LOSS_CLEAR_PCT_TENTHS: u32 = 20;
/// Loss of what we send under this (0.1 %) counts as "arrives intact".
pub const CLEAN_PCT_TENTHS: u32 = 10;
/// Jitter (ms) that raises the delay warning, and under which it clears.
pub const JITTER_RAISE_MS: u32 = 40;
pub const JITTER_CLEAR_MS: u32 = 25;
/// RTT (ms) that raises the delay warning (about 200 ms one way: G.114's limit for
/// most calls is 150 ms one way, 400 ms unacceptable), and under which it clears.
pub const RTT_RAISE_MS: u32 = 400;
pub const RTT_CLEAR_MS: u32 = 300;
/// At most this many samples are kept for the window.
const KEPT: usize = WINDOW + 1;

/// One getStats reading of the call's audio, with the page clock's time. Counters are
/// the browser's cumulative ones; `None` where the report lacked the figure.
/// Times are in microseconds and levels in 1/10,000 so the state stays plain integers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsSample {
    /// `performance.now()` in ms when the report came.
    pub at: Millis,
    /// `inbound-rtp` (audio): `packetsReceived`, `packetsLost`, `jitter`.
    pub packets_received: Option<u64>,
    pub packets_lost: Option<i64>,
    pub jitter_us: Option<u32>,
    /// `inbound-rtp`: `concealedSamples`, `totalSamplesReceived`.
    pub concealed_samples: Option<u64>,
    pub total_samples: Option<u64>,
    /// `outbound-rtp` (audio): `packetsSent`.
    pub packets_sent: Option<u64>,
    /// `remote-inbound-rtp`: `fractionLost` (in 1/1,000), `jitter`, `roundTripTime`.
    pub remote_loss_permille: Option<u32>,
    pub remote_jitter_us: Option<u32>,
    pub remote_rtt_us: Option<u32>,
    /// `remote-inbound-rtp.timestamp` in ms: when that receiver report arrived (a new
    /// value is a new report; media servers send one every few seconds, Asterisk 5 s).
    pub remote_report_at: Option<u64>,
    /// The selected `candidate-pair`'s `currentRoundTripTime`.
    pub pair_rtt_us: Option<u32>,
    /// `media-source` (audio): `audioLevel` in 1/10,000, `totalAudioEnergy` in
    /// 1/1,000,000,000 and `totalSamplesDuration` in ms.
    pub audio_level: Option<u32>,
    pub audio_energy: Option<u64>,
    pub audio_duration_ms: Option<u64>,
    /// The agent muted the call in the gadget.
    pub muted: bool,
    /// The codec's name (`PCMU`, `opus`: the `codec` stats' `mimeType` after `audio/`).
    pub codec: Option<String>,
    /// The selected pair's local and remote `candidateType` (`host`, `srflx`, `relay`, …).
    pub local_candidate: Option<String>,
    pub remote_candidate: Option<String>,
    /// The `transport`'s `iceLocalUsernameFragment`: a new one is an ICE restart.
    pub ice_ufrag: Option<String>,
}

/// Figures over the last window. Loss and concealment in 0.1 %.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Loss of what we receive; None while nothing was expected (no audio coming).
    pub loss: Option<u32>,
    /// Loss of what we send, as the media server reports it.
    pub remote_loss: Option<u32>,
    pub jitter_ms: Option<u32>,
    pub remote_jitter_ms: Option<u32>,
    pub rtt_ms: Option<u32>,
    pub concealed: Option<u32>,
    /// MOS in tenths (43 = 4.3); None until there is a loss figure.
    pub mos: Option<u8>,
}

/// What the bar warns about, in plain words with a next step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QualityWarning {
    /// The agent's microphone sends digital silence though the gadget is not muted.
    SilentMicrophone,
    /// The agent's network loses audio (`loss` in whole %, the worse direction).
    NetworkLoss { loss: u32 },
    /// The agent's network delays audio (high jitter or RTT).
    NetworkDelay { jitter_ms: u32, rtt_ms: u32 },
    /// Audio is lost before it reaches the phone's media path: phone system or caller.
    FarSideLoss { loss: u32 },
}

impl QualityWarning {
    /// A stable name for tests, the trace and the collector.
    pub fn code(self) -> &'static str {
        match self {
            Self::SilentMicrophone => "silent-microphone",
            Self::NetworkLoss { .. } => "network-loss",
            Self::NetworkDelay { .. } => "network-delay",
            Self::FarSideLoss { .. } => "far-side-loss",
        }
    }

    pub fn title(self) -> String {
        match self {
            Self::SilentMicrophone => "Your microphone is silent.".into(),
            Self::NetworkLoss { loss } => {
                format!("Your network is losing audio ({loss} % lost).")
            }
            Self::NetworkDelay { jitter_ms, rtt_ms } => format!(
                "Your network is delaying audio ({rtt_ms} ms round trip, {jitter_ms} ms jitter)."
            ),
            Self::FarSideLoss { loss } => format!(
                "The phone system or the caller's side is losing audio ({loss} % lost); your network is fine."
            ),
        }
    }

    pub fn next_step(self) -> &'static str {
        match self {
            Self::SilentMicrophone => "Check it is not muted on the headset or its cable.",
            Self::NetworkLoss { .. } => "Move closer to Wi-Fi or use a cable.",
            Self::NetworkDelay { .. } => {
                "Pause downloads and video, or use a cable; a VPN may add delay."
            }
            Self::FarSideLoss { .. } => {
                "Ask the caller to move to better coverage; if it happens on many calls, tell your supervisor."
            }
        }
    }
}

/// The live quality the bar shows: all integers, so the store stays `Eq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveQuality {
    /// MOS in tenths (43 = 4.3); None with no audio to measure (e.g. a held call).
    pub mos: Option<u8>,
    pub warning: Option<QualityWarning>,
}

impl LiveQuality {
    /// Signal-style bars, 1–4, from the MOS: 4 from 4.0 (good), 3 from 3.6 (fair),
    /// 2 from 3.1 (poor), else 1 (bad): the usual MOS bands; 0 with no MOS (no audio
    /// in either direction, e.g. a held call).
    pub fn bars(&self) -> u8 {
        match self.mos {
            None => 0,
            Some(40..) => 4,
            Some(36..=39) => 3,
            Some(31..=35) => 2,
            Some(_) => 1,
        }
    }

    /// One word for the bars.
    pub fn word(&self) -> &'static str {
        ["unknown", "bad", "poor", "fair", "good"][usize::from(self.bars())]
    }

    /// "Call quality good, MOS 4.3" (what a screen reader says).
    pub fn label(&self) -> String {
        match self.mos {
            Some(mos) => format!(
                "Call quality {}, MOS {}",
                self.word(),
                tenths(u32::from(mos))
            ),
            None => "Call quality unknown: no audio to measure".into(),
        }
    }
}

/// `43` → `"4.3"` (no float formatting in the wasm).
pub fn tenths(value: u32) -> String {
    format!("{}.{}", value / 10, value % 10)
}

/// Ie and Bpl for a codec name (see the module documentation for the source).
pub fn codec_impairment(codec: Option<&str>) -> (f64, f64) {
    match codec.map(str::to_ascii_uppercase).as_deref() {
        Some("G729" | "G729A") => (11.0, 19.0),
        _ => (0.0, 25.1),
    }
}

/// The E-model's R factor for a latency `ta_ms` (effective, one way) and a loss `ppl` in %.
pub fn r_factor(ta_ms: f64, ppl: f64, codec: Option<&str>) -> f64 {
    let id = 0.024 * ta_ms
        + if ta_ms > 177.3 {
            0.11 * (ta_ms - 177.3)
        } else {
            0.0
        };
    let (ie, bpl) = codec_impairment(codec);
    let ie_eff = ie + (95.0 - ie) * ppl / (ppl + bpl);
    93.2 - id - ie_eff
}

/// G.107 Annex B: MOS from R.
pub fn mos_from_r(r: f64) -> f64 {
    if r < 0.0 {
        1.0
    } else if r > 100.0 {
        4.5
    } else {
        1.0 + 0.035 * r + 7.0e-6 * r * (r - 60.0) * (100.0 - r)
    }
}

/// The estimated MOS, in tenths (rounded), for RTT, jitter (ms) and loss (0.1 %).
pub fn mos_tenths(rtt_ms: u32, jitter_ms: u32, loss_tenths: u32, codec: Option<&str>) -> u8 {
    let ta = f64::from(rtt_ms) / 2.0 + 2.0 * f64::from(jitter_ms) + 10.0;
    let mos = mos_from_r(r_factor(ta, f64::from(loss_tenths) / 10.0, codec));
    (mos * 10.0 + 0.5) as u8
}

/// One warning's hysteresis: raised after `raise` samples over, cleared after
/// [`CLEAR_AFTER`] samples under (samples in between keep it as it is).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Latch {
    active: bool,
    count: u8,
}

impl Latch {
    /// `over`: the raising condition; `under`: the clearing one.
    fn step(&mut self, over: bool, under: bool, raise: u8) -> bool {
        let counting = if self.active { under } else { over };
        self.count = if counting {
            self.count.saturating_add(1)
        } else {
            0
        };
        let needed = if self.active { CLEAR_AFTER } else { raise };
        if self.count >= needed {
            self.active = !self.active;
            self.count = 0;
        }
        self.active
    }
}

/// A figure's running minimum, maximum and average over the call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Running {
    min: Option<u32>,
    max: u32,
    sum: u64,
    count: u32,
}

impl Running {
    fn add(&mut self, value: Option<u32>) {
        if let Some(v) = value {
            self.min = Some(self.min.map_or(v, |m| m.min(v)));
            self.max = self.max.max(v);
            self.sum += u64::from(v);
            self.count += 1;
        }
    }

    fn avg(&self) -> Option<u32> {
        (self.count > 0).then(|| (self.sum / u64::from(self.count)) as u32)
    }
}

/// Running totals for the end-of-call summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Totals {
    samples: u32,
    mos: Running,
    jitter: Running,
    rtt: Running,
    remote_loss: Running,
    ice_restarts: u32,
    warnings: Vec<&'static str>,
}

/// The estimator of one call: feed it one [`StatsSample`] a second.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QualityEstimator {
    /// The newest samples, oldest first, at most `KEPT`.
    recent: Vec<StatsSample>,
    /// The first sample's time and inbound counters (for the call's duration and loss).
    first: Option<(Millis, Option<u64>, Option<i64>)>,
    figures: Figures,
    silent_for: u8,
    microphone: bool,
    loss: Latch,
    /// The side the current loss warning blames (true: the agent's network).
    loss_ours: bool,
    /// ...on firm evidence (loss of what we send, or a troubled path): kept for the rest
    /// of the warning. Without it the blame rests on not knowing yet.
    loss_ours_firm: bool,
    /// When the current loss began (the sample whose loss first reached the raising
    /// threshold), and when the media server's latest receiver report was first seen:
    /// a report from before the loss says nothing about it.
    loss_began: Option<Millis>,
    report_seen_at: Option<Millis>,
    delay: Latch,
    totals: Totals,
}

fn ms(us: Option<u32>) -> Option<u32> {
    us.map(|us| us.saturating_add(500) / 1000)
}

/// `part / whole` in 0.1 %, rounded; None for an empty whole.
fn per_mille(part: u64, whole: u64) -> Option<u32> {
    (whole > 0).then(|| ((part.min(whole).saturating_mul(1000) + whole / 2) / whole) as u32)
}

impl QualityEstimator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one sample; returns the live quality once there is a MOS.
    pub fn push(&mut self, sample: StatsSample) -> Option<LiveQuality> {
        if let (Some(last), Some(ufrag)) = (self.recent.last(), &sample.ice_ufrag) {
            if last.ice_ufrag.as_ref().is_some_and(|old| old != ufrag) {
                self.totals.ice_restarts += 1;
            }
        }
        if self.first.is_none() {
            self.first = Some((sample.at, sample.packets_received, sample.packets_lost));
        }
        let last = self.recent.last();
        if sample.remote_report_at.is_some()
            && last.is_none_or(|last| last.remote_report_at != sample.remote_report_at)
        {
            self.report_seen_at = Some(sample.at);
        }
        let sending = last
            .and_then(|last| Some(sample.packets_sent? > last.packets_sent?))
            .unwrap_or(false);
        // Silent over the interval: its energy, where the browser counts it; else the
        // level at this instant.
        let energy = last.and_then(|last| {
            let energy = sample.audio_energy?.checked_sub(last.audio_energy?)?;
            let duration = sample
                .audio_duration_ms?
                .checked_sub(last.audio_duration_ms?)?;
            (duration > 0).then_some(energy.saturating_mul(100) < duration)
        });
        let silent = sending
            && !sample.muted
            && energy
                .or(sample.audio_level.map(|l| l < SILENT_LEVEL))
                .unwrap_or(false);
        self.recent.push(sample);
        if self.recent.len() > KEPT {
            self.recent.remove(0);
        }
        self.figures = self.window();
        self.totals.samples += 1;
        self.step_warnings(silent);
        self.add_to_totals();
        self.live()
    }

    fn window(&self) -> Figures {
        let (Some(old), Some(new)) = (self.recent.first(), self.recent.last()) else {
            return Figures::default();
        };
        let delta = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?));
        let received = delta(old.packets_received, new.packets_received);
        let lost = old
            .packets_lost
            .zip(new.packets_lost)
            .map(|(a, b)| b.saturating_sub(a).max(0) as u64);
        let loss = match (received, lost) {
            (Some(r), Some(l)) if self.recent.len() > 1 => per_mille(l, r + l),
            _ => None,
        };
        let concealed = delta(old.concealed_samples, new.concealed_samples)
            .zip(delta(old.total_samples, new.total_samples))
            .and_then(|(c, t)| per_mille(c, t));
        let jitter_ms = ms(new.jitter_us);
        let remote_jitter_ms = ms(new.remote_jitter_us);
        let rtt_ms = ms(new.remote_rtt_us.or(new.pair_rtt_us));
        let remote_loss = new.remote_loss_permille.map(|p| p.min(1000));
        let worst_loss = loss.max(remote_loss);
        let mos = worst_loss.map(|l| {
            mos_tenths(
                rtt_ms.unwrap_or(0),
                jitter_ms.max(remote_jitter_ms).unwrap_or(0),
                l,
                new.codec.as_deref(),
            )
        });
        Figures {
            loss,
            remote_loss,
            jitter_ms,
            remote_jitter_ms,
            rtt_ms,
            concealed,
            mos,
        }
    }

    /// `silent`: the microphone sent silence over the last interval (while we send and
    /// the agent has not muted).
    fn step_warnings(&mut self, silent: bool) {
        let f = self.figures;
        self.silent_for = if silent {
            self.silent_for.saturating_add(1)
        } else {
            0
        };
        if self.silent_for >= SILENT_AFTER {
            self.microphone = true;
        } else if !silent {
            self.microphone = false; // any sound (or a mute, or a hold) clears it at once
        }
        let jitter = f.jitter_ms.unwrap_or(0);
        let rtt = f.rtt_ms.unwrap_or(0);
        let delayed = self.delay.step(
            jitter >= JITTER_RAISE_MS || rtt >= RTT_RAISE_MS,
            jitter < JITTER_CLEAR_MS && rtt < RTT_CLEAR_MS,
            RAISE_AFTER,
        );
        let worst = f.loss.max(f.remote_loss).unwrap_or(0);
        let was_lossy = self.loss.active;
        let at = self.recent.last().map_or(0, |s| s.at);
        if worst >= LOSS_RAISE_PCT_TENTHS && self.loss_began.is_none() {
            self.loss_began = Some(at);
        }
        let lossy = self.loss.step(
            worst >= LOSS_RAISE_PCT_TENTHS,
            worst < LOSS_CLEAR_PCT_TENTHS,
            RAISE_AFTER,
        );
        if lossy {
            // What we send is known only from a report that came after the loss began.
            let fresh = self.report_seen_at > self.loss_began;
            let sent = f.remote_loss.filter(|_| fresh);
            let firm = sent.is_some_and(|l| l >= CLEAN_PCT_TENTHS)
                || jitter >= JITTER_CLEAR_MS
                || rtt >= RTT_CLEAR_MS
                || delayed;
            // Firm evidence blames our network for the rest of the warning. Not knowing
            // yet blames it too (the commoner cause) until a report from during the loss
            // says what we send arrives intact: then the far side.
            self.loss_ours_firm = firm || (was_lossy && self.loss_ours_firm);
            self.loss_ours = self.loss_ours_firm || sent.is_none();
        } else if worst < LOSS_RAISE_PCT_TENTHS {
            self.loss_began = None;
        }
        if let Some(warning) = self.warning() {
            if !self.totals.warnings.contains(&warning.code()) {
                self.totals.warnings.push(warning.code());
            }
        }
    }

    fn add_to_totals(&mut self) {
        let f = self.figures;
        let t = &mut self.totals;
        t.mos.add(f.mos.map(u32::from));
        t.jitter.add(f.jitter_ms);
        t.rtt.add(f.rtt_ms);
        t.remote_loss.add(f.remote_loss);
    }

    /// The current warning, the most urgent of the active ones: a silent microphone
    /// (the caller hears nothing), then loss, then delay. None when the call is fine.
    pub fn warning(&self) -> Option<QualityWarning> {
        let f = self.figures;
        let loss = (f.loss.max(f.remote_loss).unwrap_or(0) + 5) / 10;
        if self.microphone {
            Some(QualityWarning::SilentMicrophone)
        } else if self.loss.active && self.loss_ours {
            Some(QualityWarning::NetworkLoss { loss })
        } else if self.loss.active {
            Some(QualityWarning::FarSideLoss { loss })
        } else if self.delay.active {
            Some(QualityWarning::NetworkDelay {
                jitter_ms: f.jitter_ms.unwrap_or(0),
                rtt_ms: f.rtt_ms.unwrap_or(0),
            })
        } else {
            None
        }
    }

    /// The figures over the last window.
    pub fn figures(&self) -> Figures {
        self.figures
    }

    /// What the bar shows now: None until a MOS or a warning exists (from the
    /// second sample on).
    pub fn live(&self) -> Option<LiveQuality> {
        let warning = self.warning();
        (self.figures.mos.is_some() || warning.is_some()).then_some(LiveQuality {
            mos: self.figures.mos,
            warning,
        })
    }

    /// The call so far, for the diagnostics and the collector.
    pub fn summary(&self) -> CallSummary {
        let last = self.recent.last();
        let t = &self.totals;
        let field = |f: fn(&StatsSample) -> Option<String>| last.and_then(f);
        let (duration_s, loss) = match (self.first, last) {
            (Some((at, received, lost)), Some(b)) => (
                (b.at.saturating_sub(at) / 1000) as u32,
                b.packets_received
                    .zip(received)
                    .zip(b.packets_lost.zip(lost))
                    .and_then(|((r1, r0), (l1, l0))| {
                        let lost = l1.saturating_sub(l0).max(0) as u64;
                        per_mille(lost, r1.saturating_sub(r0) + lost)
                    }),
            ),
            _ => (0, None),
        };
        CallSummary {
            duration_s,
            samples: t.samples,
            mos_min: t.mos.min.map(|m| m as u8),
            mos_avg: t.mos.avg().map(|m| m as u8),
            loss,
            remote_loss_max: t.remote_loss.max,
            jitter_avg_ms: t.jitter.avg(),
            jitter_max_ms: t.jitter.max,
            rtt_avg_ms: t.rtt.avg(),
            rtt_max_ms: t.rtt.max,
            codec: field(|s| s.codec.clone()),
            local_candidate: field(|s| s.local_candidate.clone()),
            remote_candidate: field(|s| s.remote_candidate.clone()),
            ice_restarts: t.ice_restarts,
            warnings: t.warnings.clone(),
        }
    }
}

/// A call's quality, for the diagnostics trace and the collector (both get it as
/// [`collector_record`]'s JSON). Loss in 0.1 %, MOS in tenths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallSummary {
    pub duration_s: u32,
    pub samples: u32,
    pub mos_min: Option<u8>,
    pub mos_avg: Option<u8>,
    /// Loss of what we received over the whole call.
    pub loss: Option<u32>,
    /// The highest loss of what we sent that the media server reported.
    pub remote_loss_max: u32,
    pub jitter_avg_ms: Option<u32>,
    pub jitter_max_ms: u32,
    pub rtt_avg_ms: Option<u32>,
    pub rtt_max_ms: u32,
    pub codec: Option<String>,
    pub local_candidate: Option<String>,
    pub remote_candidate: Option<String>,
    pub ice_restarts: u32,
    /// Codes of the warnings shown during the call, in order of first appearance.
    pub warnings: Vec<&'static str>,
}

/// What a collector record says about the call besides its quality.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordContext<'a> {
    /// The SIP Call-ID.
    pub call_id: &'a str,
    /// The phone's SIP user (its line: the WebRTC number on most systems).
    pub line: &'a str,
    /// The agent's WebRTC number as Finesse gives it (what the supervisor board
    /// knows the agent by; on Wazo the line's SIP user is another name).
    pub number: &'a str,
    /// Seconds between this call's records (`qualityCollectorIntervalS`): the collector
    /// takes a line as ended when no record came for twice this plus 10 s.
    pub interval_s: u32,
    /// Wall-clock ms (Unix epoch) when the call's sampling began, and now.
    pub started_at: u64,
    pub sent_at: u64,
    /// True for the end-of-call record, false for the ones every `interval_s`.
    pub last: bool,
    /// The caller's number, only when `qualityCollectorCallerNumber` is on.
    pub caller_number: Option<&'a str>,
}

/// One value of a collector record, written by one piece of code ([`collector_record`]).
enum Value<'a> {
    Number(Option<u64>),
    /// In tenths, written with one decimal (`43` → `4.3`).
    Tenths(Option<u32>),
    Text(Option<&'a str>),
    Bool(bool),
    List(&'a [&'static str]),
}

/// The collector's JSON record (schema `ttecphone.call-quality/1`, doc/operations.md),
/// also the end-of-call line of the diagnostics. No secrets: figures, the Call-ID, the
/// line and, only when configured, the caller.
pub fn collector_record(
    summary: &CallSummary,
    live: Option<&LiveQuality>,
    cx: &RecordContext,
) -> String {
    use Value::*;
    let s = summary;
    let mos = |v: Option<u8>| Tenths(v.map(u32::from));
    let count = |v: Option<u32>| Number(v.map(u64::from));
    let fields = [
        ("final", Bool(cx.last)),
        ("callId", Text(Some(cx.call_id))),
        ("line", Text(Some(cx.line))),
        ("number", Text(Some(cx.number))),
        ("intervalS", count(Some(cx.interval_s))),
        ("startedAt", Number(Some(cx.started_at))),
        ("sentAt", Number(Some(cx.sent_at))),
        ("durationS", count(Some(s.duration_s))),
        ("mosMin", mos(s.mos_min)),
        ("mosAvg", mos(s.mos_avg)),
        ("mosNow", mos(live.and_then(|l| l.mos))),
        ("lossPct", Tenths(s.loss)),
        ("sentLossMaxPct", Tenths(Some(s.remote_loss_max))),
        ("jitterAvgMs", count(s.jitter_avg_ms)),
        ("jitterMaxMs", count(Some(s.jitter_max_ms))),
        ("rttAvgMs", count(s.rtt_avg_ms)),
        ("rttMaxMs", count(Some(s.rtt_max_ms))),
        ("codec", Text(s.codec.as_deref())),
        ("localCandidate", Text(s.local_candidate.as_deref())),
        ("remoteCandidate", Text(s.remote_candidate.as_deref())),
        ("iceRestarts", count(Some(s.ice_restarts))),
        (
            "warningNow",
            Text(live.and_then(|l| l.warning).map(QualityWarning::code)),
        ),
        ("warnings", List(&s.warnings)),
        // The caller's number only when configured: no key at all otherwise.
        ("callerNumber", Text(cx.caller_number)),
    ];
    let mut out = String::from(r#"{"schema":"ttecphone.call-quality/1""#);
    for (key, value) in fields {
        let text = match value {
            Text(None) if key == "callerNumber" => continue,
            Number(Some(n)) => n.to_string(),
            Tenths(Some(n)) => tenths(n),
            Number(None) | Tenths(None) => "null".into(),
            Text(text) => Json::optional(text).to_string(),
            Bool(b) => Json::Bool(b).to_string(),
            List(items) => {
                Json::Array(items.iter().map(|w| Json::string(*w)).collect()).to_string()
            }
        };
        out.push_str(",\"");
        out.push_str(key);
        out.push_str("\":");
        out.push_str(&text);
    }
    out.push('}');
    out
}
