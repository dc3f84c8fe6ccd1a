//! Broker capacity load generator: N agents, each TTECPhone's own sans-IO SIP core
//! (`ttecphone_sip::UserAgent`, the code the gadget runs in the browser) driven natively
//! over a WebSocket (RFC 7118), registered and kept registered through refreshes and
//! keep-alives, auto-answering the calls sipp ("CUCM") places to a fraction of them.
//!
//! It prints a status line every few seconds and a final `loadgen result:` line.
//! A capacity measurement, not a test. Usually run by `unit_testing/loadgen/run.sh`,
//! which starts the bed with enough generated users and runs this inside it.
//!
//! ```text
//! ttecphone-loadgen --agents 2000 --first 4000 --expires 60 --hold-s 150 \
//!     --call-rates 10,20,40 --step-s 20 --call-fraction 0.1
//! ```
//! Passwords follow the bed's generated-user rule: `test-password-<number>`.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use tokio::time::{sleep, sleep_until};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use ttecphone_sip::{
    AgentState, Command, Config, EndReason, Event, Instant, KeepAlive, MediaFailure, MediaRequest,
    MediaResult, Random, RegistrationState, UserAgent,
};

const USAGE: &str = "\
ttecphone-loadgen: N agents on TTECPhone's SIP core over WebSocket (capacity planning)

  --url URL            SIP WebSocket [ws://127.0.0.1:8080/]
  --domain D           SIP domain [127.0.0.1]
  --first N            first agent number [4000]; password test-password-<number>
  --agents N           agents to register [100]
  --expires S          requested registration expiry, seconds [60]
  --keepalive-s S      CRLF keep-alive interval, 0 = off [30] (the gadget's default)
  --ramp-per-s N       new WebSocket connections per second [200]
  --hold-s S           seconds to hold all agents after the ramp [120]
  --sip HOST:PORT      the broker's SIP/UDP side, where sipp sends calls [127.0.0.1:5060]
  --sipp-scenario F    sipp scenario with [field0] as callee [uac_load.xml beside Cargo.toml]
  --call-rates R,R..   call steps, calls per second; empty = no calls []
  --step-s S           seconds per call step [20]
  --call-fraction F    share of agents that get calls [0.1]
  --talk-ms MS         call length [1000]
  --kamailio-pid PID   process group to report CPU for (the bed's run/kamailio.pid)
  --rtpengine-pid PID  the same for rtpengine (run/rtpengine.pid)
  --work-dir DIR       sipp files [/tmp]
";

#[derive(Clone, Debug)]
struct Options {
    url: String,
    domain: String,
    first: u32,
    agents: u32,
    expires: u32,
    keepalive_s: u32,
    ramp_per_s: u32,
    hold_s: u64,
    sip: String,
    sipp_scenario: String,
    call_rates: Vec<u32>,
    step_s: u64,
    call_fraction: f64,
    talk_ms: u64,
    kamailio_pid: Option<u32>,
    rtpengine_pid: Option<u32>,
    work_dir: String,
}

impl Options {
    fn parse(args: impl Iterator<Item = String>) -> Result<Options, String> {
        let mut o = Options {
            url: "ws://127.0.0.1:8080/".into(),
            domain: "127.0.0.1".into(),
            first: 4000,
            agents: 100,
            expires: 60,
            keepalive_s: 30,
            ramp_per_s: 200,
            hold_s: 120,
            sip: "127.0.0.1:5060".into(),
            sipp_scenario: concat!(env!("CARGO_MANIFEST_DIR"), "/uac_load.xml").into(),
            call_rates: Vec::new(),
            step_s: 20,
            call_fraction: 0.1,
            talk_ms: 1000,
            kamailio_pid: None,
            rtpengine_pid: None,
            work_dir: "/tmp".into(),
        };
        let mut args = args.peekable();
        while let Some(flag) = args.next() {
            if flag == "-h" || flag == "--help" {
                return Err(String::new());
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let num = |v: &str| -> Result<u64, String> {
                v.parse::<u64>()
                    .map_err(|_| format!("{flag}: not a number: {v}"))
            };
            let small = |v: &str| -> Result<u32, String> {
                u32::try_from(num(v)?).map_err(|_| format!("{flag}: too large: {v}"))
            };
            match flag.as_str() {
                "--url" => o.url = value,
                "--domain" => o.domain = value,
                "--first" => o.first = small(&value)?,
                "--agents" => o.agents = small(&value)?,
                "--expires" => o.expires = small(&value)?,
                "--keepalive-s" => o.keepalive_s = small(&value)?,
                "--ramp-per-s" => o.ramp_per_s = small(&value)?.max(1),
                "--hold-s" => o.hold_s = num(&value)?,
                "--sip" => o.sip = value,
                "--sipp-scenario" => o.sipp_scenario = value,
                "--call-rates" => {
                    o.call_rates = value
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(&small)
                        .collect::<Result<_, _>>()?
                }
                "--step-s" => o.step_s = num(&value)?.max(1),
                "--call-fraction" => {
                    o.call_fraction = value
                        .parse::<f64>()
                        .ok()
                        .filter(|f| (0.0..=1.0).contains(f))
                        .ok_or_else(|| format!("{flag}: a share between 0 and 1: {value}"))?
                }
                "--talk-ms" => o.talk_ms = num(&value)?,
                "--kamailio-pid" => o.kamailio_pid = Some(small(&value)?),
                "--rtpengine-pid" => o.rtpengine_pid = Some(small(&value)?),
                "--work-dir" => o.work_dir = value,
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        if o.agents == 0 {
            return Err("--agents must be at least 1".into());
        }
        Ok(o)
    }
}

/// Counters shared by every agent task (one thread: `Cell`s are enough).
#[derive(Default)]
struct Stats {
    registered_now: Cell<u32>,
    register_ok: Cell<u64>,
    refreshes: Cell<u64>,
    registration_failures: Cell<u64>,
    disconnects: Cell<u64>,
    connect_errors: Cell<u64>,
    incoming: Cell<u64>,
    answered: Cell<u64>,
    ended_by_caller: Cell<u64>,
    call_failures: Cell<u64>,
    warnings: Cell<u64>,
    notes: RefCell<Vec<String>>,
}

impl Stats {
    fn bump(cell: &Cell<u64>) {
        cell.set(cell.get() + 1);
    }

    fn note(&self, text: String) {
        let mut notes = self.notes.borrow_mut();
        if notes.len() < 10 {
            notes.push(text);
        }
    }

    fn failures(&self) -> u64 {
        self.registration_failures.get()
            + self.disconnects.get()
            + self.connect_errors.get()
            + self.call_failures.get()
    }
}

/// xorshift64*, seeded per agent from the clock: tags, branches and cnonces only.
struct XorShift(u64);

impl Random for XorShift {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let mut x = self.0.max(1);
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            for (dst, src) in chunk
                .iter_mut()
                .zip(x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes())
            {
                *dst = src;
            }
        }
    }
}

fn seed(salt: u64) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9E37_79B9_7F4A_7C15);
    nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The clock every agent shares: milliseconds since the run started.
#[derive(Clone, Copy)]
struct Clock(tokio::time::Instant);

impl Clock {
    fn now(self) -> Instant {
        Instant(u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    fn at(self, instant: Instant) -> tokio::time::Instant {
        self.0 + Duration::from_millis(instant.0)
    }
}

fn agent_config(number: u32, o: &Options) -> Config {
    let mut config = Config {
        aor_user: number.to_string(),
        auth_user: number.to_string(),
        password: format!("test-password-{number}"),
        domain: o.domain.clone(),
        display_name: None,
        instance_id: format!("urn:uuid:00000000-0000-4000-8000-{number:012}"),
        register_expires: o.expires,
        keepalive: match o.keepalive_s {
            0 => KeepAlive::Off,
            s => KeepAlive::Crlf {
                interval_ms: u64::from(s) * 1000,
                timeout_ms: 10_000,
            },
        },
        user_agent: "TTECPhone-loadgen/0.1".into(),
        ..Config::default()
    };
    config.auto_answer.delay_ms = 0;
    config
}

/// A Chrome-shaped WebRTC answer to the broker's offer (signalling only: no DTLS follows).
fn answer_sdp(offer: &str, random: &mut XorShift) -> String {
    let mid = offer
        .lines()
        .find_map(|l| l.trim().strip_prefix("a=mid:"))
        .unwrap_or("0");
    let mut bytes = [0u8; 48];
    random.fill(&mut bytes);
    let hex = |b: &[u8]| {
        b.iter().fold(String::new(), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
    };
    let (ufrag, rest) = bytes.split_at(4);
    let (pwd, fp) = rest.split_at(12);
    let fingerprint = fp
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    format!(
        "v=0\r\no=- {session} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
         m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 127.0.0.1\r\n\
         a=candidate:1 1 udp 2122260223 127.0.0.1 9 typ host\r\n\
         a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\na=fingerprint:sha-256 {fingerprint}\r\n\
         a=setup:active\r\na=mid:{mid}\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:0 PCMU/8000\r\n",
        session = random.0 >> 1,
        ufrag = hex(ufrag),
        pwd = hex(pwd),
    )
}

/// One agent: the same `UserAgent` across reconnects, as the gadget's driver keeps it.
async fn agent(number: u32, o: Rc<Options>, stats: Rc<Stats>, clock: Clock) {
    let mut random = XorShift(seed(u64::from(number)));
    let mut ua = UserAgent::new(
        agent_config(number, &o),
        Box::new(XorShift(seed(u64::from(number) + 1))),
    );
    ua.handle_agent_state(AgentState::Ready, clock.now());
    ua.handle_command(Command::Register, clock.now());
    let mut registered = false;
    let mut backoff_ms = 1000;
    loop {
        match session(&mut ua, &mut random, &o, &stats, clock, &mut registered).await {
            SessionEnd::ConnectFailed(e) => {
                Stats::bump(&stats.connect_errors);
                stats.note(format!("agent {number}: cannot connect: {e}"));
            }
            SessionEnd::Lost(e) => {
                Stats::bump(&stats.disconnects);
                stats.note(format!("agent {number}: connection lost: {e}"));
                backoff_ms = 1000;
            }
        }
        ua.handle_disconnected(clock.now());
        set_registered(&stats, &mut registered, false);
        sleep(Duration::from_millis(backoff_ms)).await;
        backoff_ms = (backoff_ms * 2).min(30_000);
    }
}

enum SessionEnd {
    ConnectFailed(String),
    Lost(String),
}

fn set_registered(stats: &Stats, registered: &mut bool, now: bool) {
    if *registered != now {
        *registered = now;
        let n = stats.registered_now.get();
        stats
            .registered_now
            .set(if now { n + 1 } else { n.saturating_sub(1) });
    }
}

async fn session(
    ua: &mut UserAgent,
    random: &mut XorShift,
    o: &Options,
    stats: &Stats,
    clock: Clock,
    registered: &mut bool,
) -> SessionEnd {
    let mut request = match o.url.as_str().into_client_request() {
        Ok(r) => r,
        Err(e) => return SessionEnd::ConnectFailed(e.to_string()),
    };
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
    let ws = match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => ws,
        Err(e) => return SessionEnd::ConnectFailed(e.to_string()),
    };
    let (mut sink, mut stream) = ws.split();
    ua.handle_connected(clock.now());
    loop {
        // Everything the core produced: frames out, events handled (which may produce more).
        let mut flow_dead = false;
        loop {
            let mut progressed = false;
            while let Some(frame) = ua.poll_transmit() {
                progressed = true;
                if let Err(e) = sink.feed(Message::text(frame)).await {
                    return SessionEnd::Lost(e.to_string());
                }
            }
            while let Some(event) = ua.poll_event() {
                progressed = true;
                flow_dead |= on_event(event, ua, random, stats, clock, registered);
            }
            if !progressed {
                break;
            }
        }
        if let Err(e) = sink.flush().await {
            return SessionEnd::Lost(e.to_string());
        }
        if flow_dead {
            let _ = sink.close().await;
            return SessionEnd::Lost("keep-alive answer missing".into());
        }
        let deadline = ua.poll_timeout().map_or_else(
            || tokio::time::Instant::now() + Duration::from_secs(3600),
            |at| clock.at(at),
        );
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => ua.handle_message(text.as_str(), clock.now()),
                Some(Ok(Message::Close(_))) | None => return SessionEnd::Lost("closed by the server".into()),
                Some(Ok(_)) => {} // pings are answered by tungstenite
                Some(Err(e)) => return SessionEnd::Lost(e.to_string()),
            },
            () = sleep_until(deadline) => ua.handle_timeout(clock.now()),
        }
    }
}

/// Returns true when the flow is dead (keep-alive unanswered).
fn on_event(
    event: Event,
    ua: &mut UserAgent,
    random: &mut XorShift,
    stats: &Stats,
    clock: Clock,
    registered: &mut bool,
) -> bool {
    match event {
        Event::Registration(RegistrationState::Registered { .. }) => {
            Stats::bump(&stats.register_ok);
            if *registered {
                Stats::bump(&stats.refreshes);
            } else {
                set_registered(stats, registered, true);
            }
        }
        Event::Registration(RegistrationState::Registering) => {}
        Event::Registration(state) => {
            Stats::bump(&stats.registration_failures);
            stats.note(format!("registration: {state:?}"));
            set_registered(stats, registered, false);
        }
        Event::FlowDead => return true,
        Event::IncomingCall { .. } => Stats::bump(&stats.incoming),
        Event::Media(MediaRequest::CreateAnswer { call, offer_sdp }) => {
            let sdp = answer_sdp(&offer_sdp, random);
            ua.handle_media(MediaResult::LocalSdp { call, sdp }, clock.now());
        }
        Event::Media(
            MediaRequest::CreateOffer { call }
            | MediaRequest::RestartIce { call }
            | MediaRequest::ApplyAnswer { call, .. },
        ) => {
            ua.handle_media(
                MediaResult::Failed {
                    call,
                    reason: MediaFailure::Other("the load generator only answers".into()),
                },
                clock.now(),
            );
        }
        Event::Media(MediaRequest::Release { .. }) => {}
        Event::CallAnswered { .. } => Stats::bump(&stats.answered),
        Event::CallEnded {
            reason: EndReason::RemoteBye,
            ..
        } => Stats::bump(&stats.ended_by_caller),
        Event::CallEnded { call, reason } => {
            Stats::bump(&stats.call_failures);
            stats.note(format!("call {call} ended: {reason:?}"));
        }
        // No real media here: the audio path is never lost or restored.
        Event::CallHeld { .. } | Event::Dtmf { .. } | Event::MediaPath { .. } => {}
        Event::Warning(_) => Stats::bump(&stats.warnings),
        // Load-test agents watch nobody (supervisor preview only).
        Event::PeerState { .. } => {}
    }
    false
}

/// utime + stime (fields 14 and 15 of /proc/PID/stat) in seconds, and the process group.
fn proc_cpu(stat: &str) -> Option<(u32, f64)> {
    // Fields after the ")" of the command name: state ppid pgrp ... utime stime.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let pgrp = fields.get(2)?.parse().ok()?;
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((pgrp, ticks as f64 / 100.0))
}

/// CPU seconds (user + system) of a process group, from /proc (Linux).
fn group_cpu_s(pgid: u32) -> Option<f64> {
    let mut total = 0.0;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some((group, seconds)) = proc_cpu(&stat).filter(|(g, _)| *g == pgid) {
            found = group == pgid;
            total += seconds;
        }
    }
    found.then_some(total)
}

fn self_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| proc_cpu(&s))
        .map_or(0.0, |(_, s)| s)
}

fn status(stats: &Stats, o: &Options, clock: Clock, what: &str) -> String {
    format!(
        "t={:>4}s {what}: registered {}/{}, REGISTER 200 OK {} (refreshes {}), calls in {} answered {} ended {}, failures {}",
        clock.0.elapsed().as_secs(),
        stats.registered_now.get(),
        o.agents,
        stats.register_ok.get(),
        stats.refreshes.get(),
        stats.incoming.get(),
        stats.answered.get(),
        stats.ended_by_caller.get(),
        stats.failures(),
    )
}

/// Counters from sipp's final screen.
fn sipp_counter(screen: &str, name: &str) -> Option<u64> {
    screen
        .lines()
        .rev()
        .filter(|l| l.trim_start().starts_with(name))
        .find_map(|l| l.split('|').nth(2).and_then(|v| v.trim().parse().ok()))
}

struct Step {
    rate: u32,
    placed: u64,
    ok: u64,
    failed: u64,
    seconds: f64,
    cpu: String,
}

/// CPU use of the broker's processes between two samples, as "kamailio N%, rtpengine M%".
struct CpuSample(std::time::Instant, Option<f64>, Option<f64>);

impl CpuSample {
    fn take(o: &Options) -> CpuSample {
        CpuSample(
            std::time::Instant::now(),
            o.kamailio_pid.and_then(group_cpu_s),
            o.rtpengine_pid.and_then(group_cpu_s),
        )
    }

    fn since(&self, o: &Options) -> String {
        let now = CpuSample::take(o);
        let secs = now.0.duration_since(self.0).as_secs_f64().max(1e-3);
        let pct = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => format!("{:.1}%", (b - a) / secs * 100.0),
            _ => "n/a".into(),
        };
        format!(
            "kamailio {}, rtpengine {} of one core",
            pct(self.1, now.1),
            pct(self.2, now.2)
        )
    }
}

async fn call_step(o: &Options, rate: u32, callees: &str, step_no: usize) -> Result<Step, String> {
    let calls = u64::from(rate) * o.step_s;
    let out = format!(
        "{}/loadgen-sipp-{}-{step_no}.out",
        o.work_dir,
        std::process::id()
    );
    let file = std::fs::File::create(&out).map_err(|e| format!("{out}: {e}"))?;
    let limit = (u64::from(rate) * (o.talk_ms + 2000) / 1000 + 10).to_string();
    let started = std::time::Instant::now();
    let cpu = CpuSample::take(o);
    let status = tokio::process::Command::new("sipp")
        .arg(&o.sip)
        .args(["-sf", &o.sipp_scenario, "-inf", callees])
        .args([
            "-key",
            "caller",
            "0611223344",
            "-i",
            "127.0.0.1",
            "-mi",
            "127.0.0.1",
        ])
        .args([
            "-r",
            &rate.to_string(),
            "-rp",
            "1000",
            "-m",
            &calls.to_string(),
            "-l",
            &limit,
        ])
        .args([
            "-d",
            &o.talk_ms.to_string(),
            "-nostdin",
            "-timeout",
            "600s",
            "-timeout_error",
        ])
        .stdout(file.try_clone().map_err(|e| e.to_string())?)
        .stderr(file)
        .status()
        .await
        .map_err(|e| format!("cannot run sipp: {e}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = cpu.since(o);
    let screen = std::fs::read_to_string(&out).unwrap_or_default();
    let ok = sipp_counter(&screen, "Successful call").unwrap_or(0);
    let failed =
        sipp_counter(&screen, "Failed call").unwrap_or(if status.success() { 0 } else { calls });
    if status.success() && failed == 0 {
        let _ = std::fs::remove_file(&out);
    } else {
        eprintln!("loadgen: sipp step {rate}/s exited {status}; its screen: {out}");
    }
    Ok(Step {
        rate,
        placed: calls,
        ok,
        failed,
        seconds,
        cpu,
    })
}

fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

async fn run(o: Options) -> u64 {
    let o = Rc::new(o);
    let stats = Rc::new(Stats::default());
    let clock = Clock(tokio::time::Instant::now());
    let cpu0 = (self_cpu_s(), CpuSample::take(&o));
    println!(
        "loadgen: {} agents {}..{} -> {} (expires {} s, keep-alive {} s, ramp {}/s)",
        o.agents,
        o.first,
        o.first + o.agents - 1,
        o.url,
        o.expires,
        o.keepalive_s,
        o.ramp_per_s
    );

    // Ramp: a steady rate of new connections, as agents logging in at shift start.
    let ramp_started = std::time::Instant::now();
    let gap = Duration::from_secs_f64(1.0 / f64::from(o.ramp_per_s));
    for i in 0..o.agents {
        tokio::task::spawn_local(agent(o.first + i, o.clone(), stats.clone(), clock));
        if i % 500 == 499 {
            println!("{}", status(&stats, &o, clock, "ramp"));
        }
        sleep(gap).await;
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while stats.registered_now.get() < o.agents && std::time::Instant::now() < deadline {
        sleep(Duration::from_millis(100)).await;
    }
    let ramp_s = ramp_started.elapsed().as_secs_f64();
    println!("{}", status(&stats, &o, clock, "all up"));
    let all_up = stats.registered_now.get() == o.agents;

    // Hold: refreshes and keep-alives; call steps run meanwhile.
    let hold_end = tokio::time::Instant::now() + Duration::from_secs(o.hold_s);
    let ticker = {
        let (stats, o) = (stats.clone(), o.clone());
        tokio::task::spawn_local(async move {
            loop {
                sleep(Duration::from_secs(10)).await;
                println!("{}", status(&stats, &o, clock, "hold"));
            }
        })
    };
    let mut min_registered = stats.registered_now.get();
    let watch = {
        let stats = stats.clone();
        let min = Rc::new(Cell::new(min_registered));
        let m = min.clone();
        let h = tokio::task::spawn_local(async move {
            loop {
                sleep(Duration::from_millis(200)).await;
                m.set(m.get().min(stats.registered_now.get()));
            }
        });
        (h, min)
    };
    let mut steps = Vec::new();
    if !o.call_rates.is_empty() {
        let every = ((1.0 / o.call_fraction.max(1e-6)).round() as u32).max(1);
        let chosen: Vec<u32> = (0..o.agents)
            .filter(|i| i % every == 0)
            .map(|i| o.first + i)
            .collect();
        let callees = format!("{}/loadgen-callees-{}.csv", o.work_dir, std::process::id());
        let mut text = String::from("SEQUENTIAL\n");
        for n in &chosen {
            let _ = writeln!(text, "{n};");
        }
        if let Err(e) = std::fs::write(&callees, text) {
            eprintln!("loadgen: {callees}: {e}");
        } else {
            println!(
                "loadgen: calls to {} agents (every {every}th)",
                chosen.len()
            );
            for (n, rate) in o.call_rates.iter().enumerate() {
                let answered0 = stats.answered.get();
                match call_step(&o, *rate, &callees, n).await {
                    Ok(step) => {
                        println!(
                            "loadgen: call step {}/s: {} placed, {} successful, {} failed in {:.1} s ({:.1} calls/s); answered by agents {}; CPU {}",
                            step.rate,
                            step.placed,
                            step.ok,
                            step.failed,
                            step.seconds,
                            step.ok as f64 / step.seconds,
                            stats.answered.get() - answered0,
                            step.cpu
                        );
                        steps.push(step);
                    }
                    Err(e) => eprintln!("loadgen: {e}"),
                }
            }
            let _ = std::fs::remove_file(&callees);
        }
    }
    sleep_until(hold_end).await;
    ticker.abort();
    watch.0.abort();
    min_registered = min_registered.min(watch.1.get());
    let elapsed = clock.0.elapsed().as_secs_f64();
    let cpu_self = self_cpu_s() - cpu0.0;
    let cpu_broker = cpu0.1.since(&o);
    println!("{}", status(&stats, &o, clock, "end"));
    for note in stats.notes.borrow().iter() {
        println!("loadgen: note: {note}");
    }
    let best = steps
        .iter()
        .filter(|s| s.failed == 0 && s.ok == s.placed)
        .map(|s| s.rate)
        .max();
    let failures =
        stats.failures() + steps.iter().map(|s| s.failed).sum::<u64>() + u64::from(!all_up);
    println!(
        "loadgen result: agents {} held {} (lowest while holding {}), ramp {:.1} s, {:.0} s in all; \
         REGISTER 200 OK {} ({} refreshes, {:.1}/s); calls answered {}, best clean step {} calls/s; \
         CPU (whole run): {cpu_broker}, loadgen {:.1}%; failures {failures}",
        o.agents,
        stats.registered_now.get(),
        min_registered,
        ramp_s,
        elapsed,
        stats.register_ok.get(),
        stats.refreshes.get(),
        stats.register_ok.get() as f64 / elapsed,
        stats.answered.get(),
        best.map_or_else(|| "none".to_string(), |b| b.to_string()),
        cpu_self / elapsed * 100.0,
    );
    failures
}

fn main() {
    let o = match Options::parse(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            if e.is_empty() {
                print!("{USAGE}");
                return;
            }
            eprintln!("loadgen: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Some(limit) = open_files_limit() {
        if limit < u64::from(o.agents) + 64 {
            eprintln!(
                "loadgen: {} agents need {} open files, the limit is {limit}: raise it (ulimit -n {})",
                o.agents,
                o.agents + 64,
                o.agents * 2 + 256
            );
            std::process::exit(2);
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let failures = tokio::task::LocalSet::new().block_on(&runtime, run(o));
    std::process::exit(i32::from(failures > 0));
}
