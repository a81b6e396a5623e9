/* The query page's chart: a YASR plugin of the project's own that draws a numeric column of an
   answer as bars or a line, in inline SVG (no chart library, nothing fetched). Each bar or point
   carries its value (data-value, as the answer wrote it) and its row's label (data-label).
   `window.cskgChart(texts, numeric)` gives the plugin for `Yasr.registerPlugin`: `texts` are the
   page's words, `numeric` the XSD datatypes that are numbers (cskg.query.results.NUMERIC). */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var MAX_ROWS = 500; // more bars than this would not be read one by one
  var WIDTH = 900;
  var HEIGHT = 420;
  var MARGIN = { top: 16, right: 16, bottom: 130, left: 72 };
  var COLOUR = "#4a78c2";
  // presentation attributes rather than a stylesheet, so that a saved chart looks the same
  var LOOK = {
    grid: { stroke: "#e3e3e3" },
    axis: { stroke: "#888" },
    tick: { "text-anchor": "end", "font-size": 12, fill: "#555", "font-family": "sans-serif" },
    label: { "text-anchor": "end", "font-size": 12, fill: "#333", "font-family": "sans-serif" },
    bar: { fill: COLOUR },
    point: { fill: COLOUR },
    line: { fill: "none", stroke: COLOUR, "stroke-width": 2 },
  };

  function element(name, attributes, parent) {
    var node = document.createElementNS(SVG, name);
    var look = LOOK[attributes.class] || {};
    [look, attributes].forEach(function (set) {
      Object.keys(set).forEach(function (key) {
        node.setAttribute(key, set[key]);
      });
    });
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(name, content, attributes, parent) {
    var node = element(name, attributes, parent);
    node.textContent = content;
    return node;
  }

  // The columns whose every value is a number (and that have at least one).
  function numericColumns(variables, bindings, numeric) {
    return variables.filter(function (v) {
      var seen = false;
      var all = bindings.every(function (b) {
        if (!b[v]) return true;
        seen = true;
        return b[v].type !== "uri" && numeric.has(b[v].datatype) && isFinite(parseFloat(b[v].value));
      });
      return seen && all;
    });
  }

  // A row's label: its other literal columns, else its first IRI (as a prefixed name).
  function rowLabel(binding, others, prefixes) {
    var literals = others.filter(function (v) {
      return binding[v] && binding[v].type !== "uri";
    });
    if (literals.length) {
      return literals
        .map(function (v) {
          return binding[v].value;
        })
        .join(" · ");
    }
    var iri = others.map(function (v) {
      return binding[v];
    })[0];
    if (!iri) return "";
    for (var prefix in prefixes) {
      if (iri.value.indexOf(prefixes[prefix]) === 0) return prefix + ":" + iri.value.slice(prefixes[prefix].length);
    }
    return iri.value;
  }

  // The axis from `low` to `high` in about five round steps, widened to whole steps.
  function axis(low, high) {
    var span = high - low || 1;
    var step = Math.pow(10, Math.floor(Math.log10(span / 5)));
    if (span / step > 25) step *= 5;
    else if (span / step > 10) step *= 2;
    var first = Math.floor(low / step);
    var last = Math.ceil(high / step);
    var ticks = [];
    for (var i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
    return { low: first * step, high: last * step, ticks: ticks };
  }

  function short(label) {
    return label.length > 28 ? label.slice(0, 27) + "…" : label;
  }

  // The chart of `rows` ({label, value, lexical}) as an <svg> element.
  function drawChart(rows, column, shape) {
    var svg = element("svg", {
      class: "cskg-chart",
      viewBox: "0 0 " + WIDTH + " " + HEIGHT,
      role: "img",
      "aria-label": column,
      "data-column": column,
      "data-shape": shape,
      translate: "no", // the answer's data: its labels, numbers and column
    });
    var values = rows.map(function (r) {
      return r.value;
    });
    var scale = axis(Math.min(0, Math.min.apply(null, values)), Math.max(0, Math.max.apply(null, values)));
    var low = scale.low;
    var high = scale.high === low ? low + 1 : scale.high;
    var plotWidth = WIDTH - MARGIN.left - MARGIN.right;
    var plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    function y(value) {
      return MARGIN.top + plotHeight * (1 - (value - low) / (high - low));
    }
    var band = plotWidth / rows.length;
    scale.ticks.forEach(function (tick) {
      element("line", { class: "grid", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(tick), y2: y(tick) }, svg);
      text("text", String(tick), { class: "tick", x: MARGIN.left - 6, y: y(tick) + 4 }, svg);
    });
    element("line", { class: "axis", x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y(0), y2: y(0) }, svg);
    var middle = MARGIN.top + plotHeight / 2;
    var title = { class: "tick", x: 14, y: middle, transform: "rotate(-90 14 " + middle + ")" };
    text("text", column, Object.assign(title, { "text-anchor": "middle" }), svg);
    var points = [];
    rows.forEach(function (row, i) {
      var x = MARGIN.left + band * (i + 0.5);
      var mark;
      if (shape === "line") {
        points.push(x + "," + y(row.value));
        mark = element("circle", { class: "point", cx: x, cy: y(row.value), r: 4 }, svg);
      } else {
        var top = Math.min(y(row.value), y(0));
        var height = Math.abs(y(row.value) - y(0));
        mark = element("rect", { class: "bar", x: x - band * 0.4, y: top, width: band * 0.8, height: height }, svg);
      }
      mark.setAttribute("data-value", row.lexical);
      mark.setAttribute("data-label", row.label);
      text("title", row.label + ": " + row.lexical, {}, mark);
      var at = "translate(" + x + "," + (HEIGHT - MARGIN.bottom + 12) + ") rotate(-40)";
      text("text", short(row.label), { class: "label", transform: at }, svg);
    });
    if (points.length) {
      svg.insertBefore(element("polyline", { class: "line", points: points.join(" ") }), svg.querySelector(".point"));
    }
    return svg;
  }

  function select(options, chosen, onChange) {
    var node = document.createElement("select");
    options.forEach(function (option) {
      var item = document.createElement("option");
      item.value = option[0];
      item.textContent = option[1];
      item.selected = option[0] === chosen;
      node.appendChild(item);
    });
    node.addEventListener("change", function () {
      onChange(node.value);
    });
    return node;
  }

  function labelled(caption, control) {
    var label = document.createElement("label");
    label.textContent = caption + " ";
    label.appendChild(control);
    return label;
  }

  window.cskgChart = function (texts, numericTypes) {
    var numeric = new Set(numericTypes);

    function Chart(yasr) {
      this.yasr = yasr;
      this.priority = 5;
      this.label = texts.chart;
      this.settings = {};
    }

    Chart.prototype.columns = function () {
      var results = this.yasr.results;
      if (!results || results.getType() !== "json" || !results.getBindings()) return [];
      return numericColumns(results.getVariables(), results.getBindings(), numeric);
    };

    Chart.prototype.canHandleResults = function () {
      return this.columns().length > 0;
    };

    Chart.prototype.getIcon = function () {
      var icon = element("svg", { viewBox: "0 0 16 16", width: "16", height: "16", class: "chart-icon" });
      [
        [1, 9, 3, 6],
        [6, 4, 3, 11],
        [11, 7, 3, 8],
      ].forEach(function (b) {
        element("rect", { x: b[0], y: b[1], width: b[2], height: b[3] }, icon);
      });
      return icon;
    };

    Chart.prototype.draw = function () {
      var self = this;
      var columns = this.columns();
      var column = columns.indexOf(this.settings.column) >= 0 ? this.settings.column : columns[0];
      var shape = this.settings.shape || "bars";
      var variables = this.yasr.results.getVariables();
      var others = variables.filter(function (v) {
        return columns.indexOf(v) < 0;
      });
      var prefixes = this.yasr.getPrefixes();
      var rows = this.yasr.results.getBindings().filter(function (b) {
        return b[column];
      });
      var drawn = rows.slice(0, MAX_ROWS).map(function (b) {
        return { label: rowLabel(b, others, prefixes), value: parseFloat(b[column].value), lexical: b[column].value };
      });
      function redraw(key) {
        return function (value) {
          self.settings[key] = value;
          self.draw();
        };
      }
      var controls = document.createElement("div");
      controls.className = "chart-controls";
      var columnOptions = columns.map(function (c) {
        return [c, c];
      });
      var columnSelect = select(columnOptions, column, redraw("column"));
      columnSelect.setAttribute("translate", "no"); // the answer's column names
      controls.appendChild(labelled(texts.values, columnSelect));
      var shapes = [
        ["bars", texts.bars],
        ["line", texts.line],
      ];
      controls.appendChild(labelled(texts.chart, select(shapes, shape, redraw("shape"))));
      if (rows.length > MAX_ROWS) {
        var note = document.createElement("span");
        note.textContent = texts.cut.replace("{n}", MAX_ROWS);
        controls.appendChild(note);
      }
      this.svg = drawChart(drawn, column, shape);
      var holder = this.yasr.resultsEl;
      while (holder.firstChild) holder.removeChild(holder.firstChild);
      holder.appendChild(controls);
      holder.appendChild(this.svg);
    };

    Chart.prototype.download = function () {
      var svg = this.svg;
      if (!svg) return undefined;
      return {
        contentType: "image/svg+xml",
        filename: "chart.svg",
        title: texts.saveChart,
        getData: function () {
          var copy = svg.cloneNode(true);
          copy.setAttribute("xmlns", SVG);
          return new XMLSerializer().serializeToString(copy);
        },
      };
    };

    return Chart;
  };
})();
