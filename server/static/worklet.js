// EchoStream capture worklet: the audio thread's side of the page's capture path.
//
// The page sends the AudioContext's native rate (f32le) and the server resamples to 16 kHz
// (torchaudio's windowed sinc, streaming-exact). That filter's transition band is soft (Hann
// window, 6 zero crossings, cut-off at 0.99 x 8 kHz): input at 8-9 kHz would still fold back
// below 8 kHz at -10 to -23 dB. So, when the native rate is above 16 kHz, this worklet first
// applies a steep linear-phase low-pass (Kaiser-windowed sinc: flat to 7 kHz, >= 70 dB down
// from 7.9 kHz on, ~2.5 ms delay) at the native rate; it never decimates. See docs/page.md.
//
// It packs the filtered mono input into frames of `frameSamples` float32 samples for the page.
// Messages from the page: "flush" (emit the filter's tail and what is buffered, then
// {flushed: true}), "stop".
const PASS_HZ = 7000, STOP_HZ = 7900, ATTEN_DB = 70;

function besselI0(x) {
  let sum = 1, term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

// Kaiser-window design (odd length, unity gain at DC).
function kaiserLowpass(rate, passHz, stopHz, attenDb) {
  const fc = (passHz + stopHz) / 2 / rate; // cycles per sample
  const dw = (2 * Math.PI * (stopHz - passHz)) / rate;
  let n = Math.ceil((attenDb - 7.95) / (2.285 * dw)) + 1;
  if (n % 2 === 0) n++;
  const beta = attenDb > 50 ? 0.1102 * (attenDb - 8.7) : 0.5842 * Math.pow(attenDb - 21, 0.4) + 0.07886 * (attenDb - 21);
  const m = (n - 1) / 2, h = new Float64Array(n), i0b = besselI0(beta);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = i - m;
    const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
    const r = x / m;
    h[i] = sinc * (besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0b);
    sum += h[i];
  }
  for (let i = 0; i < n; i++) h[i] /= sum;
  return h;
}

class EchoStreamCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const o = (options && options.processorOptions) || {};
    this.frameSamples = o.frameSamples || 2048;
    this.buf = new Float32Array(this.frameSamples);
    this.n = 0;
    this.peak = 0;
    this.running = true;
    // the anti-alias low-pass (none when the native rate is 16 kHz or less: nothing to fold)
    const rate = o.sampleRate || sampleRate; // sampleRate: the AudioWorkletGlobalScope's
    this.h = rate > 16000 && o.lowpass !== false ? kaiserLowpass(rate, PASS_HZ, STOP_HZ, ATTEN_DB) : null;
    this.hist = this.h ? new Float64Array(this.h.length - 1) : null; // the last n-1 inputs
    this.port.onmessage = (e) => {
      if (e.data === "flush") {
        if (this.h) { // the filter's tail: its delay's worth of zeros in, then a fresh start
          this.push(new Float32Array((this.h.length - 1) / 2));
          this.hist.fill(0);
        }
        this.post();
        this.port.postMessage({ flushed: true });
      } else if (e.data === "stop") {
        this.post();
        this.running = false;
      }
    };
  }

  post() {
    if (!this.n) return;
    const samples = this.buf.slice(0, this.n);
    this.port.postMessage({ samples, peak: this.peak }, [samples.buffer]);
    this.n = 0;
    this.peak = 0;
  }

  filter(x) {
    const h = this.h, hist = this.hist, n = h.length, k = n - 1, len = x.length;
    const buf = new Float64Array(k + len);
    buf.set(hist);
    for (let i = 0; i < len; i++) buf[k + i] = x[i];
    const y = new Float32Array(len);
    for (let i = 0; i < len; i++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += h[j] * buf[i + k - j];
      y[i] = acc;
    }
    hist.set(buf.subarray(len));
    return y;
  }

  push(x) {
    const ch = this.h ? this.filter(x) : x;
    let i = 0;
    while (i < ch.length) {
      const k = Math.min(ch.length - i, this.frameSamples - this.n);
      for (let j = 0; j < k; j++) {
        const v = ch[i + j];
        this.buf[this.n + j] = v;
        const a = v < 0 ? -v : v;
        if (a > this.peak) this.peak = a;
      }
      this.n += k;
      i += k;
      if (this.n === this.frameSamples) this.post();
    }
  }

  process(inputs) {
    const input = inputs[0];
    const ch = input && input[0]; // the node down-mixes to one channel (channelCountMode "explicit")
    if (ch) this.push(ch);
    return this.running;
  }
}

registerProcessor("echostream-capture", EchoStreamCapture);
