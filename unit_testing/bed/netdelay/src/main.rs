//! `netdelay --queue N --delay-ms D [--jitter-ms J] [--seed S]`: holds every packet that
//! nftables queues to NFQUEUE `N` for `D` ms, plus or minus up to `J` ms drawn uniformly
//! per packet (so packets may be reordered, as on a real jittery path), then lets it go
//! (verdict ACCEPT). Prints `bound` once it listens; when its stdin closes (the test
//! ends the impairment, or went away) it prints `netdelay: held N packets, mean M ms`
//! and exits.
//! Test-only: the bed's stand-in for `tc qdisc … netem delay D J` (this kernel has no
//! sch_netem). Packets still held when it exits are accepted first, never dropped.

use std::collections::BinaryHeap;
use std::cmp::Reverse;
use std::io::{ErrorKind, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nfq::{Queue, Verdict};

struct Args {
    queue: u16,
    delay_ms: u64,
    jitter_ms: u64,
    seed: u64,
}

fn parse() -> Result<Args, String> {
    let mut args = Args { queue: 0, delay_ms: 0, jitter_ms: 0, seed: 0x9e37_79b9_7f4a_7c15 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|_| format!("{flag}: not a number: {value}"));
        match flag.as_str() {
            "--queue" => args.queue = u16::try_from(number()?).map_err(|_| "--queue: 0-65535".to_string())?,
            "--delay-ms" => args.delay_ms = number()?,
            "--jitter-ms" => args.jitter_ms = number()?,
            "--seed" => args.seed = number()?.max(1),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.jitter_ms > args.delay_ms {
        return Err("--jitter-ms must not exceed --delay-ms".into());
    }
    Ok(args)
}

/// xorshift64*: the jitter's draws, reproducible from the seed.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

fn main() {
    let args = match parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("netdelay: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&args) {
        eprintln!("netdelay: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> std::io::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut sink = [0u8; 64];
            while matches!(std::io::stdin().read(&mut sink), Ok(n) if n > 0) {}
            stop.store(true, Ordering::SeqCst);
        });
    }

    let mut queue = Queue::open()?;
    queue.bind(args.queue)?;
    queue.set_nonblocking(true);
    println!("bound");

    let mut rng = args.seed;
    let mut held: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
    let mut waiting: std::collections::HashMap<u64, nfq::Message> = Default::default();
    let (mut seq, mut count, mut total_ms) = (0u64, 0u64, 0u64);
    while !stop.load(Ordering::SeqCst) {
        let mut idle = true;
        loop {
            match queue.recv() {
                Ok(msg) => {
                    idle = false;
                    let spread = if args.jitter_ms == 0 { 0 } else { next(&mut rng) % (2 * args.jitter_ms + 1) };
                    let ms = args.delay_ms + spread - args.jitter_ms;
                    count += 1;
                    total_ms += ms;
                    seq += 1;
                    held.push(Reverse((Instant::now() + Duration::from_millis(ms), seq)));
                    waiting.insert(seq, msg);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        let now = Instant::now();
        while let Some(Reverse((due, id))) = held.peek().copied() {
            if due > now {
                break;
            }
            held.pop();
            if let Some(mut msg) = waiting.remove(&id) {
                msg.set_verdict(Verdict::Accept);
                queue.verdict(msg)?;
            }
            idle = false;
        }
        if idle {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
    for (_, mut msg) in waiting.drain() {
        msg.set_verdict(Verdict::Accept);
        let _ = queue.verdict(msg);
    }
    let mean = if count == 0 { 0 } else { total_ms / count };
    println!("netdelay: held {count} packets, mean {mean} ms");
    Ok(())
}
