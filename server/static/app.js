// EchoStream page: capture (microphone or a file) -> /v1/s2st (echostream.s2st.v1) -> transcript,
// translation and gapless playback of the translated speech. No framework, no external resource.
// Choices (capture path, jitter buffer, reconnect) are explained in docs/page.md.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const SPEECH_RATE = 16000; // the protocol's speech: pcm_s16le 16 kHz mono
  const FRAME_MS = 40; // capture frame sent to the server
  const LEAD_S = 0.08; // playback scheduling lead (first frame, after an underrun, after a catch-up)
  const MAX_RECORD_S = 3600; // translated speech kept for the download
  const MAX_TIMELINE = 200000; // timeline entries kept for the download
  const TRANSIENT_CLOSES = new Set([1001, 1006, 1011, 1012, 1013, 1014, 4017]); // reconnect after these
  const ADVICE = {
    unauthorized: "Enter the server's token in Settings (or open the page as /?token=…), then start again.",
    origin_not_allowed: "Open the page from the server's own address, or start the server with --allowed-origin.",
    too_many_sessions: "Every session of the server is in use: try again in a moment.",
    idle_timeout: "Nothing reached the server for too long.",
    backlog_overflow: "The server could not keep up with the audio: try a larger segment, or a less loaded server.",
    slow_consumer: "This page did not read the results fast enough (a busy tab or a slow network).",
    server_shutdown: "The server is restarting: the page reconnects by itself.",
    internal_error: "The server failed on this stream: the page reconnects by itself.",
  };
  const PAGE_BUG = "The page sent something the server refused: please report it (with the downloaded timeline).";
  // the documented meaning of every error code (server/protocol.py, docs/protocol.md), from /v1/errors
  let ERRORS = {};

  // ------------------------------------------------------------------------------- counters (tests)
  const es = (window.echostream = {
    state: "idle", wordsShown: 0, sourceWordsShown: 0, audioFramesReceived: 0, audioFramesPlayed: 0,
    audioFramesSkipped: 0, catchUps: 0, underruns: 0, framesSent: 0, sessions: 0, reconnects: 0,
    utterances: 0, errors: [], lastError: null, notices: [], latencies: [], textLatencies: [],
    stats: null, done: null, sampleRate: null, muted: false, lostMs: 0, loaded: false,
  });

  const params = new URLSearchParams(location.search);
  let ctx = null; // one AudioContext: capture and playback (echo cancellation sees what it plays)
  let out = null; // playback gain (mute)
  let run = null; // the current run: one press of Start, one or more WebSocket sessions (reconnects)
  let lastRun = null; // kept for the download
  let pickedFile = null;

  // ------------------------------------------------------------------------------- small helpers
  const now = () => performance.now();
  const fmtMs = (ms) => (ms == null || !isFinite(ms) ? "–" : ms >= 10000 ? (ms / 1000).toFixed(1) + " s" : Math.round(ms) + " ms");
  const median = (xs, q = 0.5) => {
    if (!xs.length) return null;
    const s = xs.slice().sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))];
  };
  const wsBase = () => (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/v1/s2st";
  const token = () => $("token").value.trim();

  function setState(s) {
    es.state = s;
    const el = $("conn");
    el.textContent = s;
    el.className = "conn " + s;
    const active = run && run.active;
    $("mic").disabled = !!active;
    $("filestart").disabled = !!active || !pickedFile;
    $("stop").disabled = !active;
    $("flush").disabled = !(active && run.sess && run.sess.ready);
    $("download").disabled = !lastRun;
  }

  function notice(text) {
    es.notices.push(text);
    const el = $("notice");
    el.textContent = text;
    el.hidden = false;
  }

  function clearMessages() {
    $("notice").hidden = true;
    $("error").hidden = true;
  }

  function showError(text, entry) {
    const e = Object.assign({ shown: text, t: Date.now() }, entry || {});
    es.errors.push(e);
    es.lastError = e;
    const el = $("error");
    el.textContent = text;
    el.hidden = false;
  }

  // A protocol `error` (or a handshake refusal explained by /v1/preflight): its code, name, documented
  // meaning and the server's own message, and what to do.
  function showServerError(m) {
    const doc = ERRORS[m.code] ? ERRORS[m.code].description : "";
    const advice = ADVICE[m.name] || (m.code >= 4001 && m.code <= 4010 ? PAGE_BUG : "");
    const text = `Server error ${m.code} ${m.name}: ${doc || m.message}` +
      (doc && m.message ? `\n(${m.message})` : "") + (advice ? `\n${advice}` : "");
    showError(text, { code: m.code, name: m.name, message: m.message });
  }

  // ------------------------------------------------------------------------------- settings
  // The model's pair (/v1/info `languages`, codes from its data config) in the page's header, named
  // in English by the browser (Intl.DisplayNames); unknown codes stay as they are.
  function showLanguages(langs) {
    let names = null;
    try { names = new Intl.DisplayNames(["en"], { type: "language" }); } catch (e) { /* old browser */ }
    const name = (code) => { try { return (names && names.of(code)) || code; } catch (e) { return code; } };
    for (const [side, id] of [["source", "srclang"], ["target", "tgtlang"]]) {
      if (langs[side]) $(id).textContent = name(langs[side]);
    }
    if (langs.source && langs.target) {
      document.title = `EchoStream — live ${name(langs.source)} → ${name(langs.target)} speech translation`;
      $("mic").title = `speak ${name(langs.source)} into the microphone`;
    }
  }

  async function loadServerInfo() {
    try {
      const errs = await (await fetch("/v1/errors")).json();
      ERRORS = errs;
    } catch (e) { /* shown when a connection fails */ }
    try {
      const info = await (await fetch("/v1/info")).json();
      showLanguages(info.languages || {});
      const sel = $("policy");
      if (info.policies && info.policies.length) {
        const def = (info.defaults && info.defaults.policy) || "word";
        sel.innerHTML = "";
        for (const p of info.policies) {
          const o = document.createElement("option");
          o.value = p;
          o.textContent = p === def ? `${p} (default)` : p;
          o.selected = p === def;
          sel.appendChild(o);
        }
      }
      if (info.defaults && info.defaults.segment_ms) $("segment").value = String(info.defaults.segment_ms);
    } catch (e) { /* the server may be down: a connection attempt says so */ }
    // URL overrides (links, tests): ?token= ?policy= ?segment= ?vad=0|1 ?aec=0 ?ns=0 ?agc=1 ?maxdelay=
    if (params.has("token")) $("token").value = params.get("token");
    if (params.has("policy")) $("policy").value = params.get("policy");
    if (params.has("segment")) {
      const v = params.get("segment");
      if (![...$("segment").options].some((o) => o.value === v)) $("segment").add(new Option(v, v));
      $("segment").value = v;
    }
    // ?lowpass=0 turns the worklet's anti-alias low-pass off (to measure what it does; docs/page.md)
    for (const k of ["vad", "aec", "ns", "agc"]) if (params.has(k)) $(k).checked = params.get(k) !== "0";
    if (params.has("maxdelay")) $("maxdelay").value = params.get("maxdelay");
  }

  function settings() {
    return {
      policy: $("policy").value, segment_ms: parseInt($("segment").value, 10), vad: $("vad").checked,
      echoCancellation: $("aec").checked, noiseSuppression: $("ns").checked, autoGainControl: $("agc").checked,
      maxDelayMs: Math.max(500, parseInt($("maxdelay").value, 10) || 3000),
    };
  }

  // ------------------------------------------------------------------------------- audio graph
  async function ensureContext() {
    if (!ctx) {
      ctx = new AudioContext({ latencyHint: "interactive" });
      es.sampleRate = ctx.sampleRate;
      out = ctx.createGain();
      out.gain.value = es.muted ? 0 : 1;
      out.connect(ctx.destination);
      await ctx.audioWorklet.addModule("/static/worklet.js");
    }
    if (ctx.state !== "running") await ctx.resume();
    return ctx;
  }

  async function openMic(s) {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showError("The microphone is not available: browsers allow it only on https:// or http://localhost pages, " +
        `and this page is ${location.origin}.\nServe it over https (python -m server --ssl-certfile … --ssl-keyfile …), ` +
        "open it through localhost (ssh -L 8000:localhost:8000 …), or stream a file instead.",
        { name: "microphone_unavailable" });
      return null;
    }
    try {
      return await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: s.echoCancellation, noiseSuppression: s.noiseSuppression,
                 autoGainControl: s.autoGainControl },
      });
    } catch (e) {
      const texts = {
        NotAllowedError: "Microphone access was denied. Allow the microphone for this site (the icon at the left " +
          "of the address bar, or the browser's site settings), then press Start again — or stream a file instead.",
        SecurityError: "Microphone access was denied by the browser's security policy. Allow it for this site, " +
          "or stream a file instead.",
        NotFoundError: "No microphone was found. Plug one in, or stream a file instead.",
        NotReadableError: "The microphone could not be opened (another application may be using it).",
        OverconstrainedError: "The microphone does not support the requested settings.",
      };
      showError(texts[e.name] || `The microphone could not be opened: ${e.name}: ${e.message}`,
        { name: e.name === "NotAllowedError" || e.name === "SecurityError" ? "microphone_denied" : "microphone_error",
          message: String(e.message || e.name) });
      return null;
    }
  }

  async function decodeFile(file) {
    try {
      const data = await file.arrayBuffer();
      return await ctx.decodeAudioData(data); // at the context's rate, all channels
    } catch (e) {
      showError(`This browser cannot decode ${file.name}: ${e.message || e.name}. Try a WAV, MP3, OGG or FLAC file.`,
        { name: "decode_error" });
      return null;
    }
  }

  // ------------------------------------------------------------------------------- a run
  async function start(mode) {
    if (run && run.active) return;
    clearMessages();
    const s = settings();
    try {
      await ensureContext();
    } catch (e) {
      showError(`Audio could not start in this browser: ${e.message || e}`, { name: "audio_error" });
      return;
    }
    let stream = null, buffer = null;
    if (mode === "mic") {
      stream = await openMic(s);
      if (!stream) return;
    } else {
      if (!pickedFile) return;
      buffer = await decodeFile(pickedFile);
      if (!buffer) return;
    }
    $("transcript").innerHTML = "";
    const rate = ctx.sampleRate;
    const node = new AudioWorkletNode(ctx, "echostream-capture", {
      numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1], channelCount: 1,
      channelCountMode: "explicit", channelInterpretation: "speakers",
      processorOptions: { frameSamples: Math.round((rate * FRAME_MS) / 1000), sampleRate: rate,
                          lowpass: params.get("lowpass") !== "0" }, // ?lowpass=0: measurements only
    });
    const sink = ctx.createGain(); // keeps the worklet pulled by the graph; silent
    sink.gain.value = 0;
    node.connect(sink).connect(ctx.destination);
    run = {
      mode, settings: s, token: token(), rate, node, sink, stream, buffer, source: null, active: true,
      fileName: mode === "file" ? pickedFile.name : null, startedAt: new Date().toISOString(), t0: now(),
      ctxT0: ctx.currentTime, sessions: [], sess: null, attempt: 0, inputEnded: false, captureStarted: false,
      nextTime: 0, queue: [], pieces: [], recordedS: 0, timeline: [], words: [], blocks: new Map(),
      playedAny: false,
    };
    lastRun = run;
    node.port.onmessage = (e) => onCapture(run, e.data);
    connect(run);
  }

  function beginCapture(r) {
    if (r.captureStarted) return;
    r.captureStarted = true;
    if (r.mode === "mic") {
      r.source = ctx.createMediaStreamSource(r.stream);
      r.source.connect(r.node);
    } else {
      const src = ctx.createBufferSource();
      src.buffer = r.buffer;
      src.connect(r.node);
      src.onended = () => { if (r.active && !r.inputEnded) endInput(r); };
      src.start();
      r.source = src;
    }
  }

  function onCapture(r, data) {
    if (data.flushed) {
      if (r.onFlushed) r.onFlushed();
      return;
    }
    $("level").value = Math.min(1, data.peak || 0);
    const sess = r.sess;
    const n = data.samples.length;
    if (!r.active || r.inputEnded) return;
    if (sess && sess.ready && !sess.ended && sess.ws.readyState === WebSocket.OPEN) {
      sess.ws.send(data.samples.buffer); // f32le: typed arrays are little-endian on every platform browsers run on
      sess.sent += n;
      sess.frames.push([(1000 * sess.sent) / r.rate, now()]);
      es.framesSent++;
      if (sess.frames.length > 4000) { // bounded: drop frames older than the last answered source time
        const keep = sess.lastSourceMs - 2000;
        let i = 0;
        while (i < sess.frames.length - 1 && sess.frames[i][0] < keep) i++;
        sess.frames.splice(0, i);
      }
    } else {
      es.lostMs += (1000 * n) / r.rate; // captured while (re)connecting: not translated
    }
  }

  function connect(r) {
    const sess = {
      index: r.sessions.length, ws: null, opened: false, ready: false, ended: false, error: null, done: null,
      sent: 0, frames: [], lastSourceMs: 0, pendingHeader: null, pendingWords: [], id: null,
    };
    r.sessions.push(sess);
    r.sess = sess;
    setState(sess.index ? "reconnecting" : "connecting");
    const url = wsBase() + (r.token ? "?token=" + encodeURIComponent(r.token) : "");
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      showError(`Cannot open ${url}: ${e.message}`, { name: "connect_error" });
      finish(r, "error");
      return;
    }
    ws.binaryType = "arraybuffer";
    sess.ws = ws;
    ws.onopen = () => {
      sess.opened = true;
      const s = r.settings;
      ws.send(JSON.stringify({
        type: "start", version: 1, audio: { encoding: "f32le", sample_rate: r.rate, channels: 1 },
        policy: s.policy, segment_ms: s.segment_ms, vad: s.vad, outputs: ["asr", "text", "speech"],
      }));
    };
    ws.onmessage = (e) => onMessage(r, sess, e.data);
    ws.onclose = (e) => onClose(r, sess, e);
  }

  function endInput(r) {
    // the file ended or Stop was pressed: send what the worklet holds, then `end`; results keep coming until `done`
    if (r.inputEnded) return;
    r.inputEnded = true;
    stopCapture(r, false);
    r.onFlushed = () => {
      r.onFlushed = null;
      const sess = r.sess;
      if (sess && sess.ready && sess.ws.readyState === WebSocket.OPEN && !sess.ended) {
        sess.ended = true;
        sess.ws.send(JSON.stringify({ type: "end" }));
        setState("ending");
      } else {
        finish(r, "done");
      }
    };
    r.node.port.postMessage("flush");
  }

  function stopCapture(r, hard) {
    try {
      if (r.source) {
        if (r.mode === "file" && r.source.stop) r.source.onended = null, r.source.stop();
        r.source.disconnect();
      }
    } catch (e) { /* already stopped */ }
    if (r.stream) r.stream.getTracks().forEach((t) => t.stop());
    if (hard) {
      r.node.port.postMessage("stop");
      r.node.disconnect();
    }
  }

  function finish(r, state) {
    if (!r.active) return;
    r.active = false;
    clearTimeout(r.retryTimer);
    stopCapture(r, true);
    for (const sess of r.sessions) {
      if (sess.ws && sess.ws.readyState <= WebSocket.OPEN) sess.ws.close(1000);
    }
    $("level").value = 0;
    if (run === r) setState(state);
  }

  // ------------------------------------------------------------------------------- messages
  function logTimeline(r, sess, m) {
    if (r.timeline.length >= MAX_TIMELINE && m.type === "stats") return;
    if (r.timeline.length >= MAX_TIMELINE * 1.1) return;
    r.timeline.push(Object.assign({ t_ms: Math.round(now() - r.t0), session: sess.index }, m));
  }

  function frameWall(sess, sourceMs) {
    // wall time at which the frame holding source time `sourceMs` was sent (as echostream-client measures)
    const f = sess.frames;
    let lo = 0, hi = f.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (f[mid][0] < sourceMs - 1e-6) lo = mid + 1; else hi = mid;
    }
    return lo < f.length ? f[lo][1] : null;
  }

  function onMessage(r, sess, data) {
    if (r.sess !== sess) return;
    if (data instanceof ArrayBuffer) {
      const h = sess.pendingHeader;
      sess.pendingHeader = null;
      if (h) playSpeech(r, sess, h, data);
      return;
    }
    let m;
    try { m = JSON.parse(data); } catch (e) { return; }
    logTimeline(r, sess, m);
    if (typeof m.source_ms === "number") sess.lastSourceMs = Math.max(sess.lastSourceMs, m.source_ms);
    switch (m.type) {
      case "ready":
        sess.ready = true;
        sess.id = m.session_id;
        sess.readyMsg = m;
        es.sessions++;
        if (sess.index) {
          es.reconnects++;
          notice(`Reconnected (new session ${m.session_id}); ${fmtMs(es.lostMs)} of audio captured while ` +
            "disconnected was not translated.");
        }
        r.attempt = 0;
        setState("streaming");
        if (r.inputEnded) { // the file ended while reconnecting
          sess.ended = true;
          sess.ws.send(JSON.stringify({ type: "end" }));
          setState("ending");
        } else {
          beginCapture(r);
        }
        break;
      case "vad":
        if (m.event === "start") block(r, sess, m.utterance);
        else closeBlock(r, sess, m.utterance, m.reason, m.source_ms);
        break;
      case "asr": {
        const b = block(r, sess, m.utterance);
        for (const w of m.words) {
          const span = document.createElement("span");
          span.className = "w";
          span.textContent = w;
          span.title = `source word, audio up to ${(m.source_ms / 1000).toFixed(2)} s`;
          b.src.append(span, " ");
        }
        es.sourceWordsShown += m.words.length;
        if (m.final) b.el.classList.add("src-final"), b.src.classList.replace("partial", "final");
        break;
      }
      case "translation": {
        const b = block(r, sess, m.utterance);
        const sentAt = frameWall(sess, m.source_ms);
        const t = now();
        for (const w of m.words) {
          const span = document.createElement("span");
          span.className = "w";
          span.textContent = w;
          b.tgt.append(span, " ");
          const textLat = sentAt == null ? null : t - sentAt;
          const word = { word: w, session: sess.index, utterance: m.utterance, source_ms: m.source_ms,
            text_latency_ms: textLat == null ? null : Math.round(textLat), speech_latency_ms: null, span, sentAt };
          span.title = `answers the source audio up to ${(m.source_ms / 1000).toFixed(2)} s; shown ${fmtMs(textLat)} after it was captured`;
          r.words.push(word);
          sess.pendingWords.push(word);
          if (textLat != null) es.textLatencies.push(textLat);
        }
        es.wordsShown += m.words.length;
        if (m.final) {
          b.el.classList.add("final");
          es.utterances++;
        }
        updateLatency();
        break;
      }
      case "speech":
        sess.pendingHeader = m;
        break;
      case "stats":
        es.stats = m;
        $("backlog").textContent = fmtMs(m.backlog_ms);
        $("rtf").textContent = m.rtf.toFixed(2);
        $("dropped").textContent = fmtMs(m.dropped_ms);
        break;
      case "warning":
        notice(`Server: ${m.message}`);
        break;
      case "error":
        sess.error = m;
        showServerError(m);
        break;
      case "done":
        sess.done = m.summary;
        es.done = m.summary;
        break;
      default:
        break;
    }
  }

  async function onClose(r, sess, e) {
    if (r.sess !== sess || !r.active) return;
    if (sess.done || (e.code === 1000 && sess.ended)) {
      finish(r, "done");
      return;
    }
    if (!sess.opened) { // the handshake failed: a browser cannot read why, /v1/preflight says
      const why = await preflight(r.token);
      if (!r.active) return;
      if (why && why.type === "error") {
        showServerError(why);
        finish(r, "error");
        return;
      }
      if (why && why.ok) {
        const doc = ERRORS[4012] ? ERRORS[4012].description : "the Origin header is not allowed";
        showServerError({ code: 4012, name: "origin_not_allowed", message: `refused for origin ${location.origin} (${doc})` });
        finish(r, "error");
        return;
      }
      reconnectLater(r, `Cannot reach the server at ${location.host}`);
      return;
    }
    const err = sess.error;
    const code = err ? err.code : e.code;
    if (TRANSIENT_CLOSES.has(code)) {
      reconnectLater(r, err ? `The server closed the stream (${err.code} ${err.name})` : `Connection lost (close code ${e.code})`);
      return;
    }
    if (!err) showError(`The connection closed unexpectedly (close code ${e.code}${e.reason ? ": " + e.reason : ""}).`,
      { code: e.code, name: "closed" });
    finish(r, "error");
  }

  async function preflight(tok) {
    try {
      const res = await fetch("/v1/preflight" + (tok ? "?token=" + encodeURIComponent(tok) : ""), { cache: "no-store" });
      return await res.json();
    } catch (e) {
      return null; // unreachable
    }
  }

  function reconnectLater(r, why) {
    const delay = Math.min(5000, 500 * 2 ** r.attempt);
    r.attempt++;
    setState("reconnecting");
    notice(`${why}: reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${r.attempt}); audio captured meanwhile is not translated.`);
    r.retryTimer = setTimeout(async () => {
      if (!r.active) return;
      try {
        const res = await fetch("/healthz", { cache: "no-store" });
        if (!res.ok) throw new Error(String(res.status));
      } catch (e) {
        reconnectLater(r, `Cannot reach the server at ${location.host}`);
        return;
      }
      if (r.active) connect(r);
    }, delay);
  }

  // ------------------------------------------------------------------------------- transcript blocks
  function block(r, sess, utterance) {
    const key = sess.index + ":" + utterance;
    let b = r.blocks.get(key);
    if (b) return b;
    const el = document.createElement("div");
    el.className = "utt";
    el.dataset.utterance = utterance;
    const meta = document.createElement("div");
    meta.className = "meta";
    meta.textContent = `utterance ${utterance + 1}` + (sess.index ? ` · session ${sess.index + 1}` : "");
    const src = document.createElement("div");
    src.className = "src partial";
    const tgt = document.createElement("div");
    tgt.className = "tgt";
    el.append(meta, src, tgt);
    $("transcript").appendChild(el);
    b = { el, src, tgt };
    r.blocks.set(key, b);
    el.scrollIntoView({ block: "end", behavior: "smooth" });
    return b;
  }

  function closeBlock(r, sess, utterance, reason, sourceMs) {
    const b = block(r, sess, utterance);
    const why = { silence: "pause", max_length: "maximum length", flush: "cut", end: "end of stream" }[reason] || reason || "";
    b.el.dataset.end = `ended at ${(sourceMs / 1000).toFixed(2)} s (${why})`;
  }

  function updateLatency() {
    const l = es.latencies, t = es.textLatencies;
    $("latency").textContent = l.length ? `${fmtMs(median(l))} / ${fmtMs(median(l, 0.95))}` : "–";
    $("textlatency").textContent = t.length ? `${fmtMs(median(t))} / ${fmtMs(median(t, 0.95))}` : "–";
  }

  // ------------------------------------------------------------------------------- playback (jitter buffer)
  // Frames are scheduled back to back on the AudioContext clock (gapless). A frame that arrives after
  // the previous one ended starts LEAD_S from now (an underrun, counted). When the audio queued ahead
  // would exceed the max delay, the frames not yet started are skipped and playback restarts at the
  // newest frame: the delay stays bounded and the page says so.
  function playSpeech(r, sess, h, buf) {
    es.audioFramesReceived++;
    const pcm = new Int16Array(buf);
    const n = pcm.length;
    if (!n) return;
    const f32 = new Float32Array(n);
    for (let i = 0; i < n; i++) f32[i] = pcm[i] / 32768;
    const t = ctx.currentTime;
    const dur = n / SPEECH_RATE;
    let startAt = r.nextTime;
    if (startAt < t + 0.005) {
      if (r.playedAny) es.underruns++;
      startAt = t + LEAD_S;
    }
    const maxDelay = r.settings.maxDelayMs / 1000;
    if (startAt + dur - t > maxDelay) {
      let skipped = 0;
      for (const q of r.queue) {
        if (q.start > t && !q.skipped) {
          q.skipped = true;
          skipped += q.end - q.start;
          es.audioFramesSkipped++;
          try { q.src.stop(); } catch (e) { /* not started */ }
        }
      }
      es.catchUps++;
      notice(`Playback was falling ${(startAt + dur - t).toFixed(1)} s behind (limit ${maxDelay.toFixed(1)} s): ` +
        `skipped ${skipped.toFixed(1)} s of queued speech to catch up.`);
      r.timeline.push({ t_ms: Math.round(now() - r.t0), type: "page.catch_up", skipped_ms: Math.round(skipped * 1000) });
      startAt = t + LEAD_S;
    }
    const ab = ctx.createBuffer(1, n, SPEECH_RATE);
    ab.copyToChannel(f32, 0);
    const src = ctx.createBufferSource();
    src.buffer = ab;
    src.connect(out);
    const item = { src, start: startAt, end: startAt + dur, skipped: false };
    src.onended = () => {
      if (!item.skipped) es.audioFramesPlayed++;
      const i = r.queue.indexOf(item);
      if (i >= 0) r.queue.splice(i, 1);
    };
    src.start(startAt);
    r.queue.push(item);
    r.nextTime = item.end;
    r.playedAny = true;
    if (r.recordedS < MAX_RECORD_S) {
      r.pieces.push({ at: startAt - r.ctxT0, pcm });
      r.recordedS += dur;
    }
    // per-word latency: the words this frame speaks (answering source times up to its source_ms)
    const playWall = now() + (startAt - t + (ctx.outputLatency || 0)) * 1000;
    while (sess.pendingWords.length && sess.pendingWords[0].source_ms <= h.source_ms + 1e-6) {
      const w = sess.pendingWords.shift();
      if (w.sentAt == null) continue;
      const lat = playWall - w.sentAt;
      w.speech_latency_ms = Math.round(lat);
      es.latencies.push(lat);
      w.span.classList.add("spoken");
      const sub = document.createElement("sub");
      sub.textContent = (lat / 1000).toFixed(1);
      w.span.appendChild(sub);
      w.span.title += `; its speech plays ${fmtMs(lat)} after`;
    }
    updateLatency();
  }

  setInterval(() => {
    if (ctx && lastRun) $("buffered").textContent = fmtMs(Math.max(0, lastRun.nextTime - ctx.currentTime) * 1000);
  }, 250);

  // ------------------------------------------------------------------------------- download
  function wavBytes(pieces) {
    let total = 0;
    for (const p of pieces) total = Math.max(total, Math.round(p.at * SPEECH_RATE) + p.pcm.length);
    const data = new Int16Array(total);
    for (const p of pieces) data.set(p.pcm, Math.max(0, Math.round(p.at * SPEECH_RATE)));
    const buf = new ArrayBuffer(44 + data.byteLength);
    const v = new DataView(buf);
    const str = (o, s) => { for (let i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
    str(0, "RIFF"); v.setUint32(4, 36 + data.byteLength, true); str(8, "WAVE");
    str(12, "fmt "); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
    v.setUint32(24, SPEECH_RATE, true); v.setUint32(28, SPEECH_RATE * 2, true); v.setUint16(32, 2, true);
    v.setUint16(34, 16, true); str(36, "data"); v.setUint32(40, data.byteLength, true);
    new Int16Array(buf, 44).set(data);
    return new Uint8Array(buf);
  }

  const CRC_TABLE = (() => {
    const t = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      t[n] = c >>> 0;
    }
    return t;
  })();
  function crc32(bytes) {
    let c = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }

  function zip(files) { // [{name, bytes}] -> Blob of an uncompressed (stored) zip
    const enc = new TextEncoder();
    const parts = [], central = [];
    let offset = 0;
    const d = new Date();
    const dosTime = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1);
    const dosDate = ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
    for (const f of files) {
      const name = enc.encode(f.name), crc = crc32(f.bytes), size = f.bytes.length;
      const local = new DataView(new ArrayBuffer(30));
      local.setUint32(0, 0x04034b50, true); local.setUint16(4, 20, true); local.setUint16(6, 0x0800, true);
      local.setUint16(8, 0, true); local.setUint16(10, dosTime, true); local.setUint16(12, dosDate, true);
      local.setUint32(14, crc, true); local.setUint32(18, size, true); local.setUint32(22, size, true);
      local.setUint16(26, name.length, true); local.setUint16(28, 0, true);
      parts.push(local.buffer, name, f.bytes);
      const c = new DataView(new ArrayBuffer(46));
      c.setUint32(0, 0x02014b50, true); c.setUint16(4, 20, true); c.setUint16(6, 20, true); c.setUint16(8, 0x0800, true);
      c.setUint16(10, 0, true); c.setUint16(12, dosTime, true); c.setUint16(14, dosDate, true);
      c.setUint32(16, crc, true); c.setUint32(20, size, true); c.setUint32(24, size, true);
      c.setUint16(28, name.length, true); c.setUint32(42, offset, true);
      central.push(c.buffer, name);
      offset += 30 + name.length + size;
    }
    const csize = central.reduce((s, p) => s + p.byteLength, 0);
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true); end.setUint16(8, files.length, true); end.setUint16(10, files.length, true);
    end.setUint32(12, csize, true); end.setUint32(16, offset, true);
    return new Blob([...parts, ...central, end.buffer], { type: "application/zip" });
  }

  function download() {
    const r = lastRun;
    if (!r) return;
    const enc = new TextEncoder();
    // the texts without the latency subscripts
    const texts = { tgt: [], src: [] };
    for (const b of r.blocks.values()) {
      texts.tgt.push([...b.tgt.querySelectorAll(".w")].map((s) => s.firstChild.textContent).join(" "));
      texts.src.push(b.src.textContent.replace(/\s+/g, " ").trim());
    }
    const words = r.words.map(({ span, sentAt, ...w }) => w);
    const timeline = {
      protocol: "echostream.s2st.v1", page: { user_agent: navigator.userAgent, sample_rate: r.rate, capture: "f32le native rate",
              lowpass: params.get("lowpass") !== "0" },
      started_at: r.startedAt, mode: r.mode, file: r.fileName, settings: r.settings,
      sessions: r.sessions.map((s) => ({ session_id: s.id, ready: s.readyMsg || null, done: s.done, error: s.error })),
      counters: Object.fromEntries(Object.entries(es).filter(([, v]) => typeof v === "number")),
      latency_ms: { speech: { p50: median(es.latencies), p95: median(es.latencies, 0.95), n: es.latencies.length },
                    text: { p50: median(es.textLatencies), p95: median(es.textLatencies, 0.95), n: es.textLatencies.length } },
      words, messages: r.timeline,
    };
    const stamp = r.startedAt.replace(/[:.]/g, "-");
    const blob = zip([
      { name: "translation.wav", bytes: wavBytes(r.pieces) },
      { name: "translation.txt", bytes: enc.encode(texts.tgt.filter(Boolean).join("\n") + "\n") },
      { name: "source.txt", bytes: enc.encode(texts.src.filter(Boolean).join("\n") + "\n") },
      { name: "timeline.json", bytes: enc.encode(JSON.stringify(timeline, null, 1)) },
    ]);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `echostream-${stamp}.zip`;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // ------------------------------------------------------------------------------- wiring
  function pick(file) {
    if (!file) return;
    pickedFile = file;
    $("filename").textContent = file.name;
    setState(es.state);
  }

  $("mic").onclick = () => start("mic");
  $("filestart").onclick = () => start("file");
  $("file").onchange = (e) => pick(e.target.files[0]);
  $("stop").onclick = () => {
    if (!run || !run.active) return;
    if (!run.inputEnded && run.sess && run.sess.ready) endInput(run); // graceful: the rest still arrives
    else finish(run, "done"); // second press, or not connected: stop now
  };
  $("flush").onclick = () => {
    const sess = run && run.sess;
    if (sess && sess.ready && !sess.ended) sess.ws.send(JSON.stringify({ type: "flush", id: Date.now() }));
  };
  $("mute").onclick = () => {
    es.muted = !es.muted;
    if (out) out.gain.value = es.muted ? 0 : 1;
    $("mute").setAttribute("aria-pressed", String(es.muted));
    $("mute").textContent = es.muted ? "Unmute" : "Mute";
  };
  $("download").onclick = download;
  document.addEventListener("dragover", (e) => { e.preventDefault(); document.body.classList.add("dragging"); });
  document.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    document.body.classList.remove("dragging");
    if (e.dataTransfer && e.dataTransfer.files.length) pick(e.dataTransfer.files[0]);
  });

  loadServerInfo().then(() => { es.loaded = true; setState("idle"); });
})();
