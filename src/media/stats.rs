//! Call quality sampling: during a call, `getStats()` once a second, read into a
//! [`StatsSample`] and fed to the call's [`QualityEstimator`] (pure code in
//! `components/src/quality.rs`); the live result goes to the store
//! ([`Action::Quality`]). When the call's media is released the summary goes to the
//! diagnostics trace, and to the configured collector (`qualityCollector`) as the
//! call's last record; the collector also gets one every `qualityCollectorIntervalS`
//! samples (30 by default: one a second).
//!
//! The stats report is read with `Reflect` (no web-sys stats dictionaries): a
//! missing or odd figure is a `None`, never a panic.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use gloo::timers::callback::Interval;
use js_sys::{Map, Reflect};
use ttecphone_components::quality::{
    collector_record, QualityEstimator, RecordContext, StatsSample,
};
use ttecphone_components::store::{Action, TraceEntry, TraceKind};
use ttecphone_sip::CallId;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{CallMedia, Media};

/// One sample a second.
const SAMPLE_MS: u32 = 1_000;

/// Where calls' quality goes: the store, and the collector if one is configured.
pub struct QualitySink {
    pub report: Rc<dyn Fn(Action)>,
    /// `qualityCollector`: the URL that gets the JSON records by `sendBeacon`.
    pub collector: Option<String>,
    /// The phone's SIP user, named in the records.
    pub line: String,
    /// The agent's WebRTC number, named in the records (the supervisor board's key).
    pub number: String,
    /// `qualityCollectorIntervalS`: a record every this many samples during the call.
    pub interval_s: u32,
}

/// Samples one call while it lives; dropping it (the call's media released) stops the
/// interval and reports the call's summary.
pub struct Sampler {
    _interval: Interval,
    sampling: Rc<Sampling>,
}

struct Sampling {
    call: String,
    sink: Rc<QualitySink>,
    /// The caller's number, only when `qualityCollectorCallerNumber` is on.
    caller_number: Option<String>,
    media: Weak<CallMedia>,
    estimator: RefCell<QualityEstimator>,
    /// Wall-clock ms when sampling began (for the records).
    started_at: u64,
    /// A getStats is under way (a slow one is not stacked up).
    busy: Cell<bool>,
    count: Cell<u32>,
}

impl Media {
    /// The call is answered and its connection coming up: sample its quality until
    /// its media is released (at most one sampler per call).
    pub fn sample_quality(
        &self,
        call: &CallId,
        sink: Rc<QualitySink>,
        caller_number: Option<String>,
    ) {
        let Some(media) = self.existing(call) else {
            return;
        };
        if media.quality.borrow().is_some() {
            return;
        }
        let sampling = Rc::new(Sampling {
            call: call.to_string(),
            sink,
            caller_number,
            media: Rc::downgrade(&media),
            estimator: RefCell::default(),
            started_at: js_sys::Date::now() as u64,
            busy: Cell::new(false),
            count: Cell::new(0),
        });
        let tick = Rc::downgrade(&sampling);
        let interval = Interval::new(SAMPLE_MS, move || {
            if let Some(sampling) = tick.upgrade() {
                sampling.sample();
            }
        });
        *media.quality.borrow_mut() = Some(Sampler {
            _interval: interval,
            sampling,
        });
    }
}

impl Sampling {
    fn sample(self: Rc<Self>) {
        let Some(media) = self.media.upgrade() else {
            return;
        };
        if self.busy.replace(true) {
            return;
        }
        let promise = media.pc.get_stats();
        let muted = media.muted.get();
        drop(media);
        let weak = Rc::downgrade(&self);
        drop(self);
        wasm_bindgen_futures::spawn_local(async move {
            let report = JsFuture::from(promise).await;
            // The call may have ended while the browser gathered the report.
            let Some(this) = weak.upgrade() else {
                return;
            };
            this.busy.set(false);
            let Ok(report) = report else {
                return;
            };
            let mut sample = read_report(&report);
            sample.at = crate::clock::now();
            sample.muted = muted;
            let live = this.estimator.borrow_mut().push(sample);
            (this.sink.report)(Action::Quality {
                id: this.call.clone(),
                live,
            });
            let count = this.count.get() + 1;
            this.count.set(count);
            if count % this.sink.interval_s.max(1) == 0 && this.sink.collector.is_some() {
                this.beacon(&this.record(false));
            }
        });
    }

    /// The collector's JSON record of the call so far (`last`: the end-of-call one).
    fn record(&self, last: bool) -> String {
        let estimator = self.estimator.borrow();
        collector_record(
            &estimator.summary(),
            estimator.live().as_ref(),
            &RecordContext {
                call_id: &self.call,
                line: &self.sink.line,
                number: &self.sink.number,
                interval_s: self.sink.interval_s,
                started_at: self.started_at,
                sent_at: js_sys::Date::now() as u64,
                last,
                caller_number: self.caller_number.as_deref(),
            },
        )
    }

    /// One record to the collector, if one is configured. A string body goes as
    /// text/plain: a CORS-safelisted type, so no preflight.
    fn beacon(&self, record: &str) {
        if let (Some(url), Some(window)) = (&self.sink.collector, web_sys::window()) {
            let _ = window
                .navigator()
                .send_beacon_with_opt_str(url, Some(record));
        }
    }
}

/// The call's end: its summary (the collector's last record) to the collector and
/// the diagnostics trace.
impl Drop for Sampler {
    fn drop(&mut self) {
        let sampling = &self.sampling;
        if sampling.count.get() == 0 {
            return; // ended before the first sample: nothing measured
        }
        let record = sampling.record(true);
        sampling.beacon(&record);
        (sampling.sink.report)(Action::Trace(TraceEntry {
            at: js_sys::Date::now() as u64,
            kind: TraceKind::State,
            text: format!("Call quality: {record}"),
        }));
    }
}

fn number(stat: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(stat, &JsValue::from_str(key))
        .ok()?
        .as_f64()
        .filter(|n| n.is_finite())
}

fn text(stat: &JsValue, key: &str) -> Option<String> {
    Reflect::get(stat, &JsValue::from_str(key))
        .ok()?
        .as_string()
}

/// A count (`as` saturates: negative and NaN become 0).
fn count(stat: &JsValue, key: &str) -> Option<u64> {
    number(stat, key).map(|n| n as u64)
}

/// Seconds to microseconds.
fn micros(stat: &JsValue, key: &str) -> Option<u32> {
    number(stat, key).map(|s| (s * 1e6) as u32)
}

/// A 0..1 fraction scaled by `scale`.
fn scaled(stat: &JsValue, key: &str, scale: f64) -> Option<u32> {
    number(stat, key).map(|f| (f * scale) as u32)
}

/// The audio figures of one `RTCStatsReport` (a maplike of id → stats object).
fn read_report(report: &JsValue) -> StatsSample {
    let mut stats: Vec<(String, JsValue)> = Vec::new();
    report
        .unchecked_ref::<Map>()
        .for_each(&mut |value, key| stats.push((key.as_string().unwrap_or_default(), value)));
    let by_id = |id: Option<String>| {
        let id = id?;
        stats.iter().find(|(k, _)| *k == id).map(|(_, v)| v)
    };
    let mut sample = StatsSample::default();
    let (mut codec, mut pair_id, mut nominated) = (None, None, None);
    for (_, stat) in &stats {
        if text(stat, "kind").is_some_and(|kind| kind != "audio") {
            continue;
        }
        match text(stat, "type").as_deref().unwrap_or_default() {
            "inbound-rtp" => {
                sample.packets_received = count(stat, "packetsReceived");
                sample.packets_lost = number(stat, "packetsLost").map(|n| n as i64);
                sample.jitter_us = micros(stat, "jitter");
                sample.concealed_samples = count(stat, "concealedSamples");
                sample.total_samples = count(stat, "totalSamplesReceived");
                codec = text(stat, "codecId");
            }
            "outbound-rtp" => sample.packets_sent = count(stat, "packetsSent"),
            "remote-inbound-rtp" => {
                sample.remote_loss_permille = scaled(stat, "fractionLost", 1000.0);
                sample.remote_jitter_us = micros(stat, "jitter");
                sample.remote_rtt_us = micros(stat, "roundTripTime");
                // When this receiver report arrived (webrtc-stats): a new one, a new value.
                sample.remote_report_at = number(stat, "timestamp").map(|t| t as u64);
            }
            "media-source" => {
                sample.audio_level = scaled(stat, "audioLevel", 10_000.0);
                sample.audio_energy = number(stat, "totalAudioEnergy").map(|e| (e * 1e9) as u64);
                sample.audio_duration_ms =
                    number(stat, "totalSamplesDuration").map(|d| (d * 1e3) as u64);
            }
            "transport" => {
                sample.ice_ufrag = text(stat, "iceLocalUsernameFragment");
                pair_id = text(stat, "selectedCandidatePairId");
            }
            // Without a transport's word for it: the nominated pair that succeeded.
            "candidate-pair"
                if text(stat, "state").as_deref() == Some("succeeded")
                    && Reflect::get(stat, &JsValue::from_str("nominated"))
                        .is_ok_and(|n| n.is_truthy()) =>
            {
                nominated = Some(stat);
            }
            _ => {}
        }
    }
    sample.codec = by_id(codec)
        .and_then(|c| text(c, "mimeType"))
        .map(|mime| mime.trim_start_matches("audio/").to_string());
    if let Some(pair) = by_id(pair_id).or(nominated) {
        sample.pair_rtt_us = micros(pair, "currentRoundTripTime");
        let candidate_type = |key| by_id(text(pair, key)).and_then(|c| text(c, "candidateType"));
        sample.local_candidate = candidate_type("localCandidateId");
        sample.remote_candidate = candidate_type("remoteCandidateId");
    }
    sample
}
