/*
 * sqlml evaluation page: reads the model's evaluation.json and draws it with Chart.js.
 * Binary models get a threshold control that recomputes the held-out figures in the
 * browser from the stored per-threshold counts (exact at every step of the control).
 * Everything from the model (names, class labels) is written with textContent, never
 * as HTML.
 */
(function () {
  'use strict';

  var root = document.getElementById('evaluation');
  var status = document.getElementById('status');
  if (!root) return;

  var COLORS = {
    positive: '#d9480f',
    negative: '#1c7ed6',
    train: '#1c7ed6',
    heldOut: '#d9480f',
    marker: '#111827',
    diagonal: '#9aa4b2',
  };

  // ---- small DOM helpers (text only: no HTML strings anywhere) ----

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    if (attributes) {
      Object.keys(attributes).forEach(function (key) {
        if (key === 'text') node.textContent = attributes[key];
        else node.setAttribute(key, attributes[key]);
      });
    }
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) node.appendChild(child);
    });
    return node;
  }

  function format(value) {
    if (value === null || value === undefined || typeof value !== 'number' || !isFinite(value)) return '–';
    return Number.isInteger(value) ? String(value) : value.toFixed(4);
  }

  function section(title, className) {
    var node = el('section', className ? { class: className } : null, [el('h2', { text: title })]);
    root.appendChild(node);
    return node;
  }

  function chartBox(parent, id) {
    var canvas = el('canvas', { id: id });
    parent.appendChild(el('div', { class: 'chart' }, [canvas]));
    return canvas;
  }

  /** One metric: a label and a value that carries its unrounded figure in data-value. */
  function metricItem(name, key, value) {
    var dd = el('dd', { class: 'value', 'data-metric': key });
    setMetric(dd, value);
    return el('div', { class: 'metric' }, [el('dt', { class: 'name', text: name }), dd]);
  }

  function setMetric(node, value) {
    node.textContent = format(value);
    node.setAttribute('data-value', value === null || value === undefined ? '' : String(value));
  }

  var METRIC_NAMES = {
    auc: 'AUC',
    accuracy: 'Accuracy',
    precision: 'Precision',
    recall: 'Recall',
    f1: 'F1',
    log_loss: 'Log loss',
    threshold: 'Threshold',
    rows: 'Held-out rows',
    macro_f1: 'Macro F1',
    rmse: 'RMSE',
    mae: 'MAE',
    r2: 'R²',
    baseline_rmse: 'Baseline RMSE',
  };

  /** The metrics that do not move with the threshold (binary) or all of them (others). */
  function headlineMetrics(evaluation, keys) {
    var box = section('Held-out evaluation', 'metrics headline');
    var dl = el('dl');
    keys.forEach(function (key) {
      if (key in evaluation.metrics) dl.appendChild(metricItem(METRIC_NAMES[key] || key, key, evaluation.metrics[key]));
    });
    box.appendChild(dl);
  }

  function baseOptions(xTitle, yTitle) {
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom' } },
      scales: {
        x: { type: 'linear', title: { display: true, text: xTitle } },
        y: { title: { display: true, text: yTitle } },
      },
    };
  }

  // ---- binary ----

  /**
   * Figures at threshold step k from the stored counts: rows with score >= k/steps are
   * predicted positive, the same rule and the same formulas as the engine's metrics.
   */
  function thresholdModel(table) {
    var steps = table.steps;
    var posAtOrAbove = new Array(steps + 2).fill(0);
    var negAtOrAbove = new Array(steps + 2).fill(0);
    for (var k = steps; k >= 0; k--) {
      posAtOrAbove[k] = posAtOrAbove[k + 1] + table.positive[k];
      negAtOrAbove[k] = negAtOrAbove[k + 1] + table.negative[k];
    }
    var positives = posAtOrAbove[0];
    var negatives = negAtOrAbove[0];
    return {
      steps: steps,
      at: function (step) {
        var tp = posAtOrAbove[step];
        var fp = negAtOrAbove[step];
        var fn = positives - tp;
        var tn = negatives - fp;
        var precision = tp + fp === 0 ? 0 : tp / (tp + fp);
        var recall = tp + fn === 0 ? 0 : tp / (tp + fn);
        var sum = precision + recall;
        return {
          tp: tp, fp: fp, tn: tn, fn: fn,
          accuracy: (tp + tn) / (positives + negatives),
          precision: precision,
          recall: recall,
          f1: sum === 0 ? 0 : (2 * precision * recall) / sum,
          fpr: negatives === 0 ? 0 : fp / negatives,
          tpr: positives === 0 ? 0 : tp / positives,
        };
      },
    };
  }

  /** Draws a vertical line at the current threshold on the score histogram. */
  function thresholdLinePlugin(state) {
    return {
      id: 'thresholdLine',
      afterDatasetsDraw: function (chart) {
        var x = chart.scales.x.getPixelForValue(state.threshold);
        var area = chart.chartArea;
        var ctx = chart.ctx;
        ctx.save();
        ctx.strokeStyle = COLORS.marker;
        ctx.lineWidth = 2;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(x, area.top);
        ctx.lineTo(x, area.bottom);
        ctx.stroke();
        ctx.restore();
      },
    };
  }

  function renderBinary(doc) {
    var evaluation = doc.evaluation;
    var details = evaluation.details || {};
    var table = details.threshold_table;
    var stored = evaluation.metrics.threshold;
    var state = { threshold: typeof stored === 'number' ? stored : 0.5 };
    headlineMetrics(evaluation, ['auc', 'log_loss', 'threshold', 'rows']);

    // The threshold control and the figures it moves.
    var box = section('Threshold', 'metrics threshold');
    var steps = table ? table.steps : 1000;
    var input = el('input', {
      type: 'range', id: 'threshold', min: '0', max: '1', step: String(1 / steps),
      value: String(state.threshold), 'aria-label': 'score threshold',
    });
    var output = el('output', { id: 'threshold-value', for: 'threshold' });
    var reset = el('button', { type: 'button', id: 'threshold-reset', text: 'Model threshold (' + format(stored) + ')' });
    box.appendChild(el('div', { class: 'threshold-control' }, [el('label', { for: 'threshold', text: 'Score threshold' }), input, output, reset]));
    var dl = el('dl');
    var live = {};
    ['accuracy', 'precision', 'recall', 'f1'].forEach(function (key) {
      var item = metricItem(METRIC_NAMES[key], key, evaluation.metrics[key]);
      live[key] = item.querySelector('dd');
      dl.appendChild(item);
    });
    box.appendChild(dl);
    var cells = {};
    function cell(key) {
      cells[key] = el('td', { 'data-confusion': key });
      return cells[key];
    }
    box.appendChild(el('table', { class: 'confusion', id: 'binary-confusion' }, [
      el('caption', { class: 'note', text: 'Held-out rows; predicted positive when score ≥ threshold' }),
      el('thead', null, [el('tr', null, [el('th'), el('th', { scope: 'col', text: 'Predicted positive' }), el('th', { scope: 'col', text: 'Predicted negative' })])]),
      el('tbody', null, [
        el('tr', null, [el('th', { scope: 'row', text: 'Actual positive' }), cell('tp'), cell('fn')]),
        el('tr', null, [el('th', { scope: 'row', text: 'Actual negative' }), cell('fp'), cell('tn')]),
      ]),
    ]));
    if (!table) {
      input.disabled = true;
      box.appendChild(el('p', { class: 'note', text: 'This version was stored without per-threshold counts; RETRAIN MODEL stores them.' }));
    }

    var model = table ? thresholdModel(table) : null;
    var charts = el('div', { class: 'grid' });
    root.appendChild(charts);

    // ROC curve with the current threshold's point.
    var roc = details.roc || { fpr: [], tpr: [] };
    var rocBox = el('section', null, [el('h2', { text: 'ROC curve (AUC ' + format(evaluation.metrics.auc) + ')' })]);
    charts.appendChild(rocBox);
    var rocOptions = baseOptions('False positive rate', 'True positive rate');
    rocOptions.scales.x.min = 0;
    rocOptions.scales.x.max = 1;
    rocOptions.scales.y.min = 0;
    rocOptions.scales.y.max = 1;
    var rocChart = new Chart(chartBox(rocBox, 'roc-chart'), {
      type: 'scatter',
      data: {
        datasets: [
          { label: 'ROC', data: roc.fpr.map(function (f, i) { return { x: f, y: roc.tpr[i] }; }), showLine: true, pointRadius: 0, borderColor: COLORS.negative, borderWidth: 2 },
          { label: 'Chance', data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], showLine: true, pointRadius: 0, borderColor: COLORS.diagonal, borderDash: [4, 4], borderWidth: 1 },
          { label: 'At threshold', data: [], pointRadius: 6, backgroundColor: COLORS.marker, borderColor: COLORS.marker },
        ],
      },
      options: rocOptions,
    });

    // Score histogram: the fine counts when stored (50 bins), else the stored 20 bins.
    var bins = 50;
    var positive = [];
    var negative = [];
    if (table) {
      var per = Math.ceil((table.steps + 1) / bins);
      for (var b = 0; b < bins; b++) { positive.push(0); negative.push(0); }
      for (var k = 0; k <= table.steps; k++) {
        var bin = Math.min(bins - 1, Math.floor(k / per));
        positive[bin] += table.positive[k];
        negative[bin] += table.negative[k];
      }
    } else if (details.histogram) {
      bins = details.histogram.bins;
      positive = details.histogram.positive;
      negative = details.histogram.negative;
    }
    function centers(counts) {
      return counts.map(function (count, i) { return { x: (i + 0.5) / bins, y: count }; });
    }
    var histBox = el('section', null, [el('h2', { text: 'Scores of held-out rows' })]);
    charts.appendChild(histBox);
    var histOptions = baseOptions('Score', 'Rows');
    histOptions.scales.x.min = 0;
    histOptions.scales.x.max = 1;
    histOptions.scales.x.offset = false;
    histOptions.datasets = { bar: { barPercentage: 1, categoryPercentage: 0.9 } };
    var histogram = new Chart(chartBox(histBox, 'histogram-chart'), {
      type: 'bar',
      data: {
        datasets: [
          { label: 'Actual positive', data: centers(positive), backgroundColor: COLORS.positive },
          { label: 'Actual negative', data: centers(negative), backgroundColor: COLORS.negative },
        ],
      },
      options: histOptions,
      plugins: [thresholdLinePlugin(state)],
    });

    function showFigures(figures) {
      ['accuracy', 'precision', 'recall', 'f1'].forEach(function (key) { setMetric(live[key], figures[key]); });
      ['tp', 'fp', 'tn', 'fn'].forEach(function (key) {
        cells[key].textContent = String(figures[key]);
        cells[key].setAttribute('data-value', String(figures[key]));
      });
    }

    function showThreshold(value, figures) {
      state.threshold = value;
      output.textContent = value.toFixed(3);
      output.setAttribute('data-value', String(value));
      showFigures(figures);
      rocChart.data.datasets[2].data = figures.fpr === undefined ? [] : [{ x: figures.fpr, y: figures.tpr }];
      rocChart.update('none');
      histogram.update('none');
    }

    /** The stored figures at the model's own threshold (exact even off the control's steps). */
    function showStored() {
      var c = details.confusion || {};
      var figures = {
        accuracy: evaluation.metrics.accuracy, precision: evaluation.metrics.precision,
        recall: evaluation.metrics.recall, f1: evaluation.metrics.f1,
        tp: c.tp, fp: c.fp, tn: c.tn, fn: c.fn,
      };
      var positives = c.tp + c.fn;
      var negatives = c.fp + c.tn;
      figures.tpr = positives ? c.tp / positives : 0;
      figures.fpr = negatives ? c.fp / negatives : 0;
      input.value = String(state.threshold = typeof stored === 'number' ? stored : 0.5);
      showThreshold(state.threshold, figures);
    }

    input.addEventListener('input', function () {
      if (!model) return;
      var step = Math.min(model.steps, Math.max(0, Math.round(Number(input.value) * model.steps)));
      showThreshold(step / model.steps, model.at(step));
    });
    reset.addEventListener('click', showStored);
    showStored();
  }

  // ---- multiclass ----

  function renderMulticlass(doc) {
    var evaluation = doc.evaluation;
    var details = evaluation.details || {};
    var classes = (details.classes || []).map(function (c) { return String(c); });
    var confusion = details.confusion || [];
    headlineMetrics(evaluation, ['accuracy', 'macro_f1', 'log_loss', 'rows']);

    var box = section('Confusion matrix (held-out rows)', 'confusion-matrix');
    var headRow = el('tr', null, [el('th', { text: 'Actual ↓ / Predicted →' })]);
    classes.forEach(function (label) { headRow.appendChild(el('th', { scope: 'col', text: label })); });
    var body = el('tbody');
    confusion.forEach(function (counts, actual) {
      var total = counts.reduce(function (a, b) { return a + b; }, 0);
      var row = el('tr', null, [el('th', { scope: 'row', text: classes[actual] })]);
      counts.forEach(function (count, predicted) {
        // Shade by the share of the actual class, so rare classes read as clearly as common ones.
        var share = total ? count / total : 0;
        var td = el('td', { 'data-actual': String(actual), 'data-predicted': String(predicted), title: (Math.round(share * 1000) / 10) + '% of actual ' + classes[actual], text: String(count) });
        td.style.backgroundColor = 'hsl(215, 80%, ' + Math.round(97 - share * 55) + '%)';
        if (share > 0.5) td.className = 'strong';
        row.appendChild(td);
      });
      body.appendChild(row);
    });
    box.appendChild(el('table', { class: 'confusion heatmap', id: 'confusion-matrix' }, [el('thead', null, [headRow]), body]));

    var perBox = section('Per class', 'per-class');
    var perBody = el('tbody');
    (details.per_class || []).forEach(function (c, i) {
      perBody.appendChild(el('tr', { 'data-class': String(i) }, [
        el('th', { scope: 'row', text: String(c.label) }),
        el('td', { text: format(c.precision) }),
        el('td', { text: format(c.recall) }),
        el('td', { text: format(c.f1) }),
        el('td', { text: format(c.support) }),
      ]));
    });
    perBox.appendChild(el('table', { class: 'per-class', id: 'per-class' }, [
      el('thead', null, [el('tr', null, ['Class', 'Precision', 'Recall', 'F1', 'Rows'].map(function (h) { return el('th', { scope: 'col', text: h }); }))]),
      perBody,
    ]));
  }

  // ---- regression ----

  function renderRegression(doc) {
    var evaluation = doc.evaluation;
    var details = evaluation.details || {};
    headlineMetrics(evaluation, ['rmse', 'mae', 'r2', 'baseline_rmse', 'rows']);
    var charts = el('div', { class: 'grid' });
    root.appendChild(charts);

    var residuals = details.residuals;
    var resBox = el('section', null, [el('h2', { text: 'Residuals (actual − predicted)' })]);
    charts.appendChild(resBox);
    if (residuals && residuals.counts.length) {
      var width = residuals.edges[1] - residuals.edges[0];
      var resOptions = baseOptions('Residual', 'Rows');
      resOptions.scales.x.offset = false;
      resOptions.datasets = { bar: { barPercentage: 1, categoryPercentage: 0.95 } };
      resOptions.plugins.legend.display = false;
      new Chart(chartBox(resBox, 'residual-chart'), {
        type: 'bar',
        data: { datasets: [{ label: 'Rows', data: residuals.counts.map(function (count, i) { return { x: residuals.edges[i] + width / 2, y: count }; }), backgroundColor: COLORS.negative }] },
        options: resOptions,
      });
    } else {
      resBox.appendChild(el('p', { class: 'note', text: 'This version was stored without residuals; RETRAIN MODEL stores them.' }));
    }

    var sample = details.sample;
    var scatterBox = el('section', null, [el('h2', { text: 'Predicted vs actual' })]);
    charts.appendChild(scatterBox);
    if (sample && sample.actual.length) {
      var lo = Math.min(Math.min.apply(null, sample.actual), Math.min.apply(null, sample.predicted));
      var hi = Math.max(Math.max.apply(null, sample.actual), Math.max.apply(null, sample.predicted));
      new Chart(chartBox(scatterBox, 'scatter-chart'), {
        type: 'scatter',
        data: {
          datasets: [
            { label: 'Held-out rows', data: sample.actual.map(function (a, i) { return { x: a, y: sample.predicted[i] }; }), pointRadius: 2, backgroundColor: 'rgba(28, 126, 214, 0.5)' },
            { label: 'Perfect prediction', data: [{ x: lo, y: lo }, { x: hi, y: hi }], showLine: true, pointRadius: 0, borderColor: COLORS.diagonal, borderDash: [4, 4] },
          ],
        },
        options: baseOptions('Actual', 'Predicted'),
      });
      if (sample.rows > sample.actual.length) {
        scatterBox.appendChild(el('p', { class: 'note', text: sample.actual.length + ' of ' + sample.rows + ' held-out rows, evenly spaced' }));
      }
    } else {
      scatterBox.appendChild(el('p', { class: 'note', text: 'This version was stored without a prediction sample; RETRAIN MODEL stores one.' }));
    }
  }

  // ---- every task ----

  function renderTrainingCurve(training) {
    var curve = (training && training.curve) || [];
    var box = section('Training curve', 'training');
    if (!curve.length) {
      box.appendChild(el('p', { class: 'note', text: 'No training curve was stored.' }));
      return;
    }
    var options = baseOptions('Pass', 'Loss');
    options.scales.x.ticks = { precision: 0 };
    new Chart(chartBox(box, 'training-chart'), {
      type: 'line',
      data: {
        datasets: [
          { label: 'Training loss', data: curve.map(function (p) { return { x: p.pass, y: p.train_loss }; }), borderColor: COLORS.train, backgroundColor: COLORS.train },
          { label: 'Validation loss (rows held out of training)', data: curve.map(function (p) { return { x: p.pass, y: p.validation_loss }; }), borderColor: COLORS.heldOut, backgroundColor: COLORS.heldOut },
        ],
      },
      options: options,
    });
  }

  // ---- versions, data alerts, drift ----

  var HEADLINE = { binary: 'auc', multiclass: 'accuracy', regression: 'rmse' };

  /** Every version with its headline metric; the others get an Activate button (POST with the token header). */
  function renderVersions(doc) {
    var box = section('Versions', 'versions');
    box.id = 'versions';
    var metric = HEADLINE[doc.model.type];
    var tokenRequired = root.getAttribute('data-token-required') === 'true';
    var tokenInput = null;
    if (tokenRequired) {
      tokenInput = el('input', { type: 'password', id: 'activate-token', autocomplete: 'off', 'aria-label': 'Token', placeholder: 'token (needed to activate)' });
      box.appendChild(el('p', null, [el('label', { for: 'activate-token', text: 'Token: ' }), tokenInput]));
    }
    var message = el('p', { id: 'activate-status', role: 'status' });
    var tbody = el('tbody');
    (doc.versions || []).slice().reverse().forEach(function (v) {
      var action = el('td');
      if (v.active) action.appendChild(el('strong', { text: 'active' }));
      else {
        var button = el('button', { type: 'button', 'data-version': String(v.version), text: 'Activate' });
        button.addEventListener('click', function () { activate(v.version, tokenInput, message); });
        action.appendChild(button);
      }
      tbody.appendChild(el('tr', { 'data-version': String(v.version) }, [
        el('td', { class: 'number', text: String(v.version) }),
        el('td', { text: v.created_at }),
        el('td', { class: 'number', text: format(v.metrics && metric ? v.metrics[metric] : null) }),
        action,
      ]));
    });
    box.appendChild(el('table', null, [
      el('thead', null, [el('tr', null, [el('th', { text: 'Version' }), el('th', { text: 'Created (UTC)' }), el('th', { text: (METRIC_NAMES[metric] || metric) + ' (held-out)' }), el('th', { text: '' })])]),
      tbody,
    ]));
    box.appendChild(message);
  }

  function activate(version, tokenInput, message) {
    var headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (tokenInput) headers.authorization = 'Bearer ' + tokenInput.value;
    message.textContent = 'Activating version ' + version + '…';
    fetch(root.getAttribute('data-activate'), { method: 'POST', headers: headers, body: JSON.stringify({ version: version }), credentials: 'omit' })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error((body && body.error && body.error.message) || 'HTTP ' + response.status);
          window.location.reload();
        });
      })
      .catch(function (error) { message.textContent = 'Could not activate: ' + error.message; });
  }

  function renderAlerts(training) {
    var alerts = (training && training.data_alerts) || [];
    var box = section('Data alerts', 'alerts');
    box.id = 'alerts';
    if (alerts.length === 0) {
      box.appendChild(el('p', { text: 'No alerts on the training data (constant, mostly NULL, identifier-like or leaking columns).' }));
      return;
    }
    box.appendChild(el('ul', null, alerts.map(function (alert) { return el('li', { text: alert }); })));
  }

  /** The largest weights by |weight|, named as SHOW WEIGHTS names them, then the bias. */
  function renderWeights(doc) {
    var weights = doc.weights;
    var box = section('Weights', 'weights');
    box.id = 'weights';
    if (!weights) return;
    var multiclass = doc.model.type === 'multiclass';
    box.appendChild(el('p', { text: 'The ' + weights.shown + ' largest of ' + weights.non_zero + ' weights that are not zero, by |weight| (on the standardized feature, as stored); SHOW WEIGHTS ' + doc.model.name + ' lists them all.' }));
    function row(w, isBias) {
      var cells = [
        el('td', { text: w.feature }),
        el('td', { text: w.value === null ? '' : w.value }),
      ];
      if (multiclass) cells.push(el('td', { text: w.class === null ? '' : w.class }));
      cells.push(el('td', { class: 'number', text: format(w.weight) }));
      return el('tr', isBias ? { class: 'bias' } : null, cells);
    }
    var head = ['Feature', 'Value'];
    if (multiclass) head.push('Class');
    head.push('Weight');
    box.appendChild(el('table', { class: 'weights-table' }, [
      el('thead', null, [el('tr', null, head.map(function (h) { return el('th', { scope: 'col', text: h }); }))]),
      el('tbody', null, weights.top.map(function (w) { return row(w, false); }).concat(weights.bias.map(function (w) { return row(w, true); }))),
    ]));
  }

  var DRIFT_COLORS = ['#1c7ed6', '#d9480f', '#2b8a3e', '#7048e8', '#e67700', '#c2255c', '#0b7285', '#5c940d', '#862e9c', '#495057'];

  /** The latest MONITOR run as a table, and each feature's PSI over the runs as a chart. */
  function renderDrift(doc) {
    var runs = doc.drift || [];
    var box = section('Drift', 'drift');
    box.id = 'drift';
    if (runs.length === 0) {
      box.appendChild(el('p', { text: 'No MONITOR MODEL runs yet: MONITOR MODEL ' + doc.model.name + ' ON (…) compares new rows with the training data.' }));
      return;
    }
    var last = runs[runs.length - 1];
    box.appendChild(el('p', { text: 'Latest run ' + last.run_at + ' on ' + last.rows + ' rows (version ' + last.version + ').' }));
    var tbody = el('tbody');
    last.results.forEach(function (r) {
      tbody.appendChild(el('tr', { 'data-feature': r.feature, 'data-drift': r.drift }, [
        el('td', { text: r.feature }),
        el('td', { class: 'number', text: format(r.psi) }),
        el('td', { text: r.drift }),
        el('td', { class: 'number', text: format(r.trainingNullShare) + ' → ' + format(r.currentNullShare) }),
        el('td', { text: r.kind === 'number' ? format(r.trainingMean) + ' → ' + format(r.currentMean) : String(r.trainingTop) + ' → ' + String(r.currentTop) }),
      ]));
    });
    box.appendChild(el('table', { class: 'drift-table' }, [
      el('thead', null, [el('tr', null, ['Feature', 'PSI', 'Drift', 'NULL share', 'Mean or top category'].map(function (h) { return el('th', { text: h }); }))]),
      tbody,
    ]));
    var features = last.results.map(function (r) { return r.feature; });
    var options = baseOptions('Run', 'PSI');
    options.scales.x = { type: 'category', title: { display: true, text: 'Run (UTC)' } };
    new Chart(chartBox(box, 'drift-chart'), {
      type: 'line',
      data: {
        labels: runs.map(function (run) { return run.run_at; }),
        datasets: features.map(function (feature, i) {
          var color = DRIFT_COLORS[i % DRIFT_COLORS.length];
          return {
            label: feature,
            data: runs.map(function (run) {
              var hit = run.results.filter(function (r) { return r.feature === feature; })[0];
              return hit ? hit.psi : null;
            }),
            borderColor: color,
            backgroundColor: color,
          };
        }),
      },
      options: options,
    });
  }

  function render(doc) {
    if (!doc.evaluation || !doc.evaluation.metrics) {
      section('Held-out evaluation').appendChild(el('p', { text: 'This version has no held-out evaluation (trained with split = none); EVALUATE MODEL … ON (…) scores other rows.' }));
    } else if (doc.model.type === 'binary') renderBinary(doc);
    else if (doc.model.type === 'multiclass') renderMulticlass(doc);
    else if (doc.model.type === 'regression') renderRegression(doc);
    renderTrainingCurve(doc.training);
    renderVersions(doc);
    renderWeights(doc);
    renderAlerts(doc.training);
    renderDrift(doc);
    status.textContent = '';
    status.hidden = true;
    root.setAttribute('data-ready', 'true');
  }

  function fail(message) {
    status.textContent = message;
    status.className = 'error';
    root.setAttribute('data-ready', 'error');
  }

  if (typeof Chart === 'undefined') {
    fail('The charting library did not load.');
    return;
  }
  fetch(root.getAttribute('data-source'), { headers: { accept: 'application/json' }, credentials: 'same-origin' })
    .then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error((body && body.error && body.error.message) || 'HTTP ' + response.status);
        return body;
      });
    })
    .then(render)
    .catch(function (error) { fail('Could not load the evaluation: ' + error.message); });
})();
