// The Robot page: plain JavaScript, no library, nothing fetched from outside the robot.
(function () {
  'use strict';
  var HISTORY_SECONDS = 10;
  var COLORS = { setpoint: '#1f5fbf', measurement: '#1a8f2a', output: '#e07000' };
  var page = null;           // robot/data: token, loops, channels, configurations
  var loops = {};            // name -> { t: [], setpoint: [], measurement: [], output: [], canvas, ... }
  var messages = 0;
  var rateWindow = { start: performance.now(), count: 0 };
  var drawPending = false;

  function $(id) { return document.getElementById(id); }

  function say(text, bad) {
    var m = $('message');
    m.textContent = text;
    m.style.color = bad ? '#c00' : '#080';
  }

  function post(path, body) {
    return send(path, 'application/json', JSON.stringify(body));
  }

  function send(path, type, body) {
    var headers = { 'Content-Type': type };
    headers[page.csrfHeader] = page.token;
    return fetch('robot/' + path, { method: 'POST', headers: headers, body: body, credentials: 'same-origin' })
      .then(function (r) {
        return r.json().then(function (j) {
          if (!r.ok) { throw new Error(j.error || ('HTTP ' + r.status)); }
          return j;
        });
      });
  }

  function getJson(path) {
    return fetch('robot/' + path, { credentials: 'same-origin' }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error(j.error || ('HTTP ' + r.status)); }
        return j;
      });
    });
  }

  // Bundles and features: a swap or an apply blocks until the health gate decided; one at a time.
  // Meanwhile the page polls the deployer's progress and lists each step as it is done.
  var deploying = false;

  function showSteps(progress) {
    var list = $('deploy-steps');
    list.textContent = '';
    (progress.steps || []).forEach(function (s) { list.appendChild(el('li', {}, s)); });
  }

  function deployed(what, request) {
    if (deploying) { return; }
    deploying = true;
    var out = $('deploy-result');
    out.style.color = '';
    out.textContent = what + ': installing and waiting for the health gate...';
    $('deploy-steps').textContent = '';
    var poll = setInterval(function () {
      getJson('api/deployment').then(function (p) { if (deploying && p.running) { showSteps(p); } }, function () { /* the answer says */ });
    }, 250);
    request.then(function (r) {
      out.textContent = r.outcome + ': ' + r.message;
      out.style.color = '#080';
    }, function (e) {
      out.textContent = e.message;
      out.style.color = '#c00';
    }).then(function () {
      clearInterval(poll);
      deploying = false;
      getJson('api/deployment').then(function (p) { if (!p.running) { showSteps(p); } }, function () { /* none */ });
      loadBundles();
    });
  }

  // Recording: start, stop, how it goes, and the files to download.
  function describeRecording(r) {
    if (!r.recording) { return 'nothing recorded since the start'; }
    var x = r.recording;
    var streams = Object.keys(x.messages).map(function (n) { return n + ' ' + x.messages[n] + ' messages, ' + x.lost[n] + ' lost'; });
    return (x.running ? 'recording ' : 'recorded ') + x.name + ': ' + x.seconds.toFixed(1) + ' s, ' + x.bytes + ' bytes; '
      + streams.join('; ') + (x.error ? '; ' + x.error : '');
  }

  function loadRecordings() {
    getJson('api/recording').then(function (r) {
      $('recording-status').textContent = describeRecording(r);
      $('recording-status').style.color = r.recording && r.recording.error ? '#c00' : '';
    }, function (e) { $('recording-status').textContent = e.message; });
    getJson('api/recordings').then(function (list) {
      var ul = $('recordings');
      ul.textContent = '';
      list.recordings.forEach(function (f) {
        var li = el('li');
        li.appendChild(el('a', { href: 'robot/api/recordings/' + encodeURIComponent(f.name), download: f.name }, f.name));
        li.appendChild(document.createTextNode(' (' + f.bytes + ' bytes)'));
        ul.appendChild(li);
      });
    }, function () { /* no recorder: the status says so */ });
  }

  function recordingControls() {
    $('recording-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      post('api/recording/start', { streams: $('recording-streams').value || 'all', seconds: Number($('recording-seconds').value) || 0 })
        .then(function (r) { say('recording started: ' + r.recording.name); }, function (e) { say(e.message, true); })
        .then(loadRecordings);
    });
    $('recording-stop').addEventListener('click', function () {
      post('api/recording/stop', {}).then(function (r) { say(describeRecording(r)); }, function (e) { say(e.message, true); })
        .then(loadRecordings);
    });
    setInterval(loadRecordings, 1000);
  }

  function loadBundles() {
    getJson('api/bundles').then(function (b) {
      $('installed-feature').textContent = b.installed || 'unknown';
      var body = $('bundles').tBodies[0];
      body.textContent = '';
      b.bundles.filter(function (x) { return x.id !== 0; }).forEach(function (x) {
        var tr = el('tr', { 'data-bundle': x.symbolicName });
        [x.id, x.symbolicName, x.version, x.state].forEach(function (v) { tr.appendChild(el('td', {}, v)); });
        var td = el('td');
        var file = el('input', { type: 'file', accept: '.jar', 'aria-label': 'jar for ' + x.symbolicName });
        var swap = el('button', { type: 'button', 'class': 'ar-swap' }, 'Swap');
        swap.addEventListener('click', function () {
          if (!file.files.length) { say('choose the new jar of ' + x.symbolicName + ' first', true); return; }
          deployed('swap ' + x.symbolicName, file.files[0].arrayBuffer().then(function (jar) {
            return send('api/bundles/' + encodeURIComponent(x.symbolicName) + '/swap', 'application/java-archive', jar);
          }));
        });
        td.appendChild(file);
        td.appendChild(swap);
        tr.appendChild(td);
        body.appendChild(tr);
      });
    }, function (e) { $('installed-feature').textContent = e.message; });
    getJson('api/features').then(function (f) {
      var body = $('features').tBodies[0];
      body.textContent = '';
      f.features.forEach(function (x) {
        var tr = el('tr', { 'data-feature': x.name });
        tr.appendChild(el('td', {}, x.name + (x.installed ? ' (installed)' : '')));
        tr.appendChild(el('td', {}, x.error ? x.error : x.changes.length === 0 ? 'nothing: it is the running set'
          : x.changes.map(function (c) { return c.kind.toLowerCase() + ' ' + c.bundle + ' ' + (c.from && c.to ? c.from + ' -> ' + c.to : c.to || c.from); }).join('; ')));
        var td = el('td');
        var apply = el('button', { type: 'button', 'class': 'ar-apply' }, 'Apply');
        apply.addEventListener('click', function () {
          deployed('apply ' + x.name, post('api/features/' + encodeURIComponent(x.name) + '/apply', {}));
        });
        td.appendChild(apply);
        tr.appendChild(td);
        body.appendChild(tr);
      });
    }, function () { /* no deployer: the bundles table says so */ });
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function buildLoop(name) {
    var box = el('section', { 'class': 'ar-loop', id: 'loop-' + name });
    var left = el('div');
    left.appendChild(el('h3', {}, 'Loop ' + name));
    var legend = el('div', { 'class': 'ar-legend ar-small' });
    ['setpoint', 'measurement', 'output'].forEach(function (k) {
      var s = el('span', {}, k + (k === 'output' ? ' (right axis, -1..1)' : ''));
      s.style.color = COLORS[k];
      legend.appendChild(s);
    });
    left.appendChild(legend);
    var canvas = el('canvas', { id: 'plot-' + name, width: 640, height: 220 });
    left.appendChild(canvas);
    var now = el('div', { 'class': 'ar-small', id: 'now-' + name });
    left.appendChild(now);
    box.appendChild(left);

    var right = el('div');
    right.appendChild(el('h4', {}, 'Wake-up lateness'));
    var hist = el('canvas', { id: 'histogram-' + name, width: 320, height: 120 });
    right.appendChild(hist);
    var stats = el('div', { 'class': 'ar-small', id: 'stats-' + name });
    right.appendChild(stats);
    right.appendChild(el('h4', {}, 'Tuning'));
    var form = el('form', { id: 'gains-' + name });
    ['kp', 'ki', 'kd', 'ks', 'kv'].forEach(function (k) {
      form.appendChild(document.createTextNode(' ' + k + ' '));
      form.appendChild(el('input', { name: k, type: 'number', step: 'any', min: '0' }));
    });
    form.appendChild(document.createTextNode(' '));
    form.appendChild(el('button', { type: 'submit', id: 'apply-' + name }, 'Apply'));
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var body = {};
      ['kp', 'ki', 'kd', 'ks', 'kv'].forEach(function (k) {
        var v = form.elements[k].value;
        if (v !== '') { body[k] = Number(v); }
      });
      post('api/loops/' + encodeURIComponent(name) + '/gains', body).then(function (l) {
        say('loop ' + name + ': gains ' + JSON.stringify(l.gains) + ' in force from the next cycle');
        fillGains(name, l.gains);
      }, function (e) { say(e.message, true); });
    });
    right.appendChild(form);
    var sp = el('form', { id: 'setpoint-' + name });
    sp.appendChild(document.createTextNode('setpoint '));
    sp.appendChild(el('input', { name: 'setpoint', type: 'number', step: 'any' }));
    sp.appendChild(el('button', { type: 'submit' }, 'Set'));
    sp.addEventListener('submit', function (ev) {
      ev.preventDefault();
      post('api/loops/' + encodeURIComponent(name) + '/setpoint', { setpoint: Number(sp.elements.setpoint.value) })
        .then(function (l) { say('loop ' + name + ': setpoint ' + l.setpoint); }, function (e) { say(e.message, true); });
    });
    right.appendChild(sp);
    box.appendChild(right);
    $('loops').appendChild(box);
    $('step-loop').appendChild(el('option', { value: name }, name));
    return { t: [], setpoint: [], measurement: [], output: [], canvas: canvas, hist: hist, stats: stats, now: now, form: form };
  }

  function fillGains(name, gains) {
    var form = loops[name] && loops[name].form;
    if (!form || !gains) { return; }
    Object.keys(gains).forEach(function (k) {
      if (form.elements[k]) { form.elements[k].value = gains[k]; }
    });
  }

  function loadGains() {
    fetch('robot/api/loops', { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (all) {
      all.forEach(function (l) { ensureLoop(l.name); fillGains(l.name, l.gains); });
    });
  }

  function ensureLoop(name) {
    if (!loops[name]) { loops[name] = buildLoop(name); }
    return loops[name];
  }

  function onTelemetry(m) {
    messages++;
    rateWindow.count++;
    $('telemetry-count').textContent = messages;
    var s = m.safety;
    var state = $('safety-state');
    state.textContent = s.state;
    state.className = s.mayMove === false ? 'ar-tripped' : 'ar-ok';
    $('trip-reason').textContent = s.trip ? (s.trip.source + ': ' + s.trip.reason) : '';
    $('unhealthy').textContent = s.unhealthy && s.unhealthy.length ? 'reset waits for: ' + s.unhealthy.join('; ') : '';
    m.loops.forEach(function (l) {
      var d = ensureLoop(l.name);
      d.t.push(m.t);
      d.setpoint.push(l.setpoint);
      d.measurement.push(l.measurement);
      d.output.push(l.output);
      while (d.t.length && d.t[0] < m.t - HISTORY_SECONDS) {
        d.t.shift(); d.setpoint.shift(); d.measurement.shift(); d.output.shift();
      }
      d.now.textContent = 'setpoint ' + fmt(l.setpoint) + ', measurement ' + fmt(l.measurement) + ', output ' + fmt(l.output)
        + ', cycles ' + l.cycles + ', overruns ' + l.overruns;
    });
    if (!drawPending) {
      drawPending = true;
      requestAnimationFrame(drawPlots);
    }
  }

  function fmt(v) { return v === null || v === undefined ? '-' : Number(v).toFixed(3); }

  function drawPlots() {
    drawPending = false;
    Object.keys(loops).forEach(function (name) { drawLoop(loops[name]); });
  }

  function drawSeries(ctx, t, ys, x0, x1, y0, y1, w, h, color, dash) {
    ctx.strokeStyle = color;
    ctx.setLineDash(dash || []);
    ctx.beginPath();
    var started = false;
    for (var i = 0; i < t.length; i++) {
      if (ys[i] === null) { started = false; continue; }
      var x = (t[i] - x0) / (x1 - x0) * w;
      var y = h - (ys[i] - y0) / (y1 - y0) * h;
      if (started) { ctx.lineTo(x, y); } else { ctx.moveTo(x, y); started = true; }
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }

  function range(arrays) {
    var lo = Infinity, hi = -Infinity;
    arrays.forEach(function (a) { a.forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }); });
    if (!isFinite(lo)) { lo = -1; hi = 1; }
    if (hi - lo < 1e-6) { lo -= 1; hi += 1; }
    var pad = (hi - lo) * 0.1;
    return [lo - pad, hi + pad];
  }

  function drawLoop(d) {
    var c = d.canvas, ctx = c.getContext('2d'), w = c.width, h = c.height;
    ctx.clearRect(0, 0, w, h);
    if (!d.t.length) { return; }
    var x1 = d.t[d.t.length - 1], x0 = x1 - HISTORY_SECONDS;
    var r = range([d.setpoint, d.measurement]);
    ctx.strokeStyle = '#eee';
    ctx.beginPath();
    var zero = h - (0 - r[0]) / (r[1] - r[0]) * h;
    ctx.moveTo(0, zero); ctx.lineTo(w, zero);
    ctx.stroke();
    drawSeries(ctx, d.t, d.output, x0, x1, -1.1, 1.1, w, h, COLORS.output);
    drawSeries(ctx, d.t, d.setpoint, x0, x1, r[0], r[1], w, h, COLORS.setpoint, [6, 3]);
    drawSeries(ctx, d.t, d.measurement, x0, x1, r[0], r[1], w, h, COLORS.measurement);
    ctx.fillStyle = '#333';
    ctx.fillText(r[1].toFixed(2), 2, 10);
    ctx.fillText(r[0].toFixed(2), 2, h - 2);
  }

  function drawHistogram(d, l) {
    var c = d.hist, ctx = c.getContext('2d'), w = c.width, h = c.height;
    ctx.clearRect(0, 0, w, h);
    if (!l.lateness) { return; }
    var n = l.lateness.length, bar = w / n;
    // log scale: the tail is what matters and has few counts
    var top = Math.log10(1 + Math.max.apply(null, l.lateness));
    ctx.fillStyle = '#1f5fbf';
    l.lateness.forEach(function (count, i) {
      var bh = top > 0 ? Math.log10(1 + count) / top * (h - 12) : 0;
      ctx.fillRect(i * bar, h - 12 - bh, Math.max(1, bar - 1), bh);
    });
    ctx.fillStyle = '#333';
    ctx.fillText('0', 0, h - 1);
    ctx.fillText('>= ' + ((n - 1) * l.bucketMicros) + ' us', w - 60, h - 1);
    d.stats.textContent = 'p99 ' + l.latenessP99Micros.toFixed(1) + ' us, p99.9 ' + l.latenessP999Micros.toFixed(1)
      + ' us, max ' + l.latenessMaxMicros.toFixed(1) + ' us; overruns ' + l.overruns + ' of ' + l.cycles + ' cycles. '
      + lateCauses(l.lateDeadlines);
  }

  /** Why deadlines were late, in one sentence. */
  function lateCauses(c) {
    if (!c || c.total === 0) { return 'No deadline met late.'; }
    return c.total + ' deadlines late: ' + c.cycleOverran + ' after the loop\'s own cycle ran past them, ' + c.jvmSafepoint + ' in JVM safepoints (' + c.gcPause + ' in GC pauses), '
      + c.outsideJvm + ' outside the JVM (kernel, hypervisor, hardware)' + (c.lost > 0 ? ', ' + c.lost + ' lost' : '') + (c.pending > 0 ? ', ' + c.pending + ' not yet attributed' : '')
      + ' (' + c.method + ').';
  }

  function refreshPage() {
    return fetch('robot/data', { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (p) {
      page = p;
      p.loops.forEach(function (l) { drawHistogram(ensureLoop(l.name), l); });
      var body = $('channels').tBodies[0];
      body.textContent = '';
      p.channels.forEach(function (ch) {
        var tr = el('tr', { 'data-channel': ch.name });
        [ch.board, ch.name, ch.type, ch.value, ch.safeState].forEach(function (v, i) {
          tr.appendChild(el('td', i === 3 ? { 'class': 'ar-value' } : {}, v));
        });
        body.appendChild(tr);
      });
      var list = $('configurations');
      if (!list.children.length) {
        p.configurations.forEach(function (c) {
          var li = el('li');
          li.appendChild(el('a', { href: 'configMgr/' + encodeURIComponent(c.pid) }, c.title));
          list.appendChild(li);
        });
      }
      return p;
    });
  }

  function connect() {
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host
      + '/armature/ws?token=' + encodeURIComponent(page.token));
    ws.onopen = function () { $('telemetry-rate').textContent = 'connected'; };
    ws.onmessage = function (ev) { onTelemetry(JSON.parse(ev.data)); };
    ws.onclose = function (ev) {
      $('telemetry-rate').textContent = 'closed (' + ev.code + (ev.reason ? ': ' + ev.reason : '') + '), reconnecting';
      setTimeout(connect, 2000);
    };
  }

  function drawStep(r) {
    var c = $('step-plot'), ctx = c.getContext('2d'), w = c.width, h = c.height;
    ctx.clearRect(0, 0, w, h);
    var x1 = r.t[r.t.length - 1] || 1;
    var yr = range([r.y, [r.from, r.to]]);
    var target = r.t.map(function () { return r.to; });
    drawSeries(ctx, r.t, target, 0, x1, yr[0], yr[1], w, h, COLORS.setpoint, [6, 3]);
    drawSeries(ctx, r.t, r.y, 0, x1, yr[0], yr[1], w, h, COLORS.measurement);
  }

  function secs(v) { return v === null ? 'not reached' : (v * 1000).toFixed(0) + ' ms'; }

  $('estop').addEventListener('click', function () {
    post('api/estop', { reason: 'e-stop from the Robot page' }).then(function (s) { say('e-stop: ' + s.state); }, function (e) { say(e.message, true); });
  });
  $('reset').addEventListener('click', function () {
    post('api/reset', {}).then(function (s) {
      say('reset: ' + s.state + (s.state === 'OK' ? '; the wheels stay stopped: send a new setpoint to move' : ''));
    }, function (e) { say(e.message, true); });
  });
  $('step-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = ev.target;
    $('step-run').disabled = true;
    say('recording a step of loop ' + f.elements.loop.value + '...');
    post('step', { loop: f.elements.loop.value, setpoint: Number(f.elements.setpoint.value), seconds: Number(f.elements.seconds.value) })
      .then(function (r) {
        var out = $('step-result');
        out.textContent = 'loop ' + r.loop + ' from ' + r.from + ' to ' + r.to + ': rise time ' + secs(r.riseSeconds)
          + ', overshoot ' + fmt(r.overshootPercent) + ' %, settling time ' + secs(r.settlingSeconds)
          + ', final value ' + fmt(r.finalValue) + ', steady-state error ' + fmt(r.steadyStateErrorPercent) + ' %';
        ['riseSeconds', 'overshootPercent', 'settlingSeconds', 'finalValue', 'steadyStateErrorPercent'].forEach(function (k) {
          out.setAttribute('data-' + k.toLowerCase(), r[k] === null ? '' : r[k]);
        });
        drawStep(r);
        say('step recorded');
      }, function (e) { say(e.message, true); })
      .then(function () { $('step-run').disabled = false; });
  });

  refreshPage().then(function () {
    loadGains();
    loadBundles();
    loadRecordings();
    recordingControls();
    connect();
    setInterval(refreshPage, 1000);
    setInterval(function () {
      var now = performance.now();
      var hz = rateWindow.count / ((now - rateWindow.start) / 1000);
      rateWindow = { start: now, count: 0 };
      $('telemetry-rate').textContent = hz.toFixed(0) + ' messages/s';
    }, 2000);
  }, function (e) { say('cannot load the page data: ' + e.message, true); });
})();
