//! The answer tone: a short, soft two-note chime generated in code as a
//! 16-bit mono WAV (no asset to ship). The app plays it through an audio
//! element on the agent's chosen speaker when a call is answered.

/// Sample rate of the generated WAVs.
pub const RATE: u32 = 16_000;

/// `(frequency Hz, duration ms)` notes, silence where the frequency is 0.
const CHIME: &[(f64, u32)] = &[(660.0, 110), (0.0, 40), (880.0, 160)];

/// Peak amplitude: about -12 dBFS, calm rather than alarming.
const PEAK: f64 = 0.25 * 32767.0;

/// Linear fade in/out per note, so notes start and end without a click.
const FADE_MS: u32 = 8;

fn samples_of(ms: u32) -> usize {
    (RATE * ms / 1000) as usize
}

/// `(sin x, cos x)` for the small angles of one sample step (|x| < 0.5), by
/// their Taylor series: exact to far below one 16-bit step, and it keeps libm's
/// trigonometry (about 6 KB of wasm) out of the gadget.
fn sin_cos_small(x: f64) -> (f64, f64) {
    let (mut sin, mut cos, mut term_s, mut term_c) = (x, 1.0, x, 1.0);
    for k in 1..8 {
        let k = f64::from(k);
        term_s *= -x * x / ((2.0 * k) * (2.0 * k + 1.0));
        term_c *= -x * x / ((2.0 * k - 1.0) * (2.0 * k));
        sin += term_s;
        cos += term_c;
    }
    (sin, cos)
}

/// The answer tone as a complete WAV file.
pub fn answer_tone_wav() -> Vec<u8> {
    let mut pcm: Vec<i16> = Vec::new();
    for &(freq, ms) in CHIME {
        let n = samples_of(ms);
        let fade = samples_of(FADE_MS).max(1);
        // sin(w·i) by rotating a phasor one step of w per sample.
        let (step_sin, step_cos) =
            sin_cos_small(2.0 * std::f64::consts::PI * freq / f64::from(RATE));
        let (mut sin, mut cos) = (0.0f64, 1.0f64);
        for i in 0..n {
            let envelope = (i.min(n - 1 - i) as f64 / fade as f64).min(1.0);
            pcm.push((sin * PEAK * envelope).round() as i16);
            (sin, cos) = (
                sin * step_cos + cos * step_sin,
                cos * step_cos - sin * step_sin,
            );
        }
    }
    wav(&pcm)
}

/// `ms` of silence as a WAV: used to probe whether the browser lets the page play sound.
pub fn silence_wav(ms: u32) -> Vec<u8> {
    wav(&vec![0; samples_of(ms)])
}

/// RIFF/WAVE, PCM 16-bit mono at [`RATE`].
pub fn wav(pcm: &[i16]) -> Vec<u8> {
    let data_len = (pcm.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + pcm.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in pcm {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}
