/* The interactive graph page: search, class filter, details with evidence.
 * Every value from the data is put into the page with textContent, never as markup. */
(function () {
  'use strict';

  var data = JSON.parse(document.getElementById('cskg-data').textContent);
  var lang = data.lang === 'zh' ? 'zh' : 'en';
  var ui = data.ui;  // the page's words in its language (interactive.py)
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return String(values[name]); });
  }
  var classById = {};
  data.classes.forEach(function (c) { classById[c.id] = c; });
  var nodeById = {};
  data.nodes.forEach(function (n) { nodeById[n.id] = n; });
  var hiddenClasses = {};
  var hiddenModalities = {};
  // an edge without a causal claim behind it: a plain statement (interactive.py's STATED_KEY)
  var STATED = 'stated';
  var modalityById = {};
  data.modalities.forEach(function (m) { modalityById[m.id] = m; });

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // A seeded generator, so the layout (and a screenshot of it) is the same on every load.
  function mulberry32(seed) {
    return function () {
      seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
      var t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  var random = mulberry32(20160406);

  // Node captions are cut at a word boundary; the details panel shows the whole label.
  function shorten(text, max) {
    if (text.length <= max) return text;
    var cut = text.lastIndexOf(' ', max - 1);
    return text.slice(0, cut > max / 2 ? cut : max - 1) + '…';
  }

  // -- elements -----------------------------------------------------------------------------
  var degree = {};
  data.edges.forEach(function (e) {
    degree[e.s] = (degree[e.s] || 0) + 1;
    degree[e.t] = (degree[e.t] || 0) + 1;
  });
  var elements = [];
  data.nodes.forEach(function (n) {
    var d = degree[n.id] || 0;
    elements.push({
      group: 'nodes',
      data: {
        id: n.id, label: n.label, short: shorten(n.label, 64), cls: n.cls,
        colour: (classById[n.cls] || {}).colour || '#999',
        size: Math.round(14 + 6 * Math.sqrt(d))
      },
      position: { x: 1000 * random(), y: 700 * random() }
    });
  });
  data.edges.forEach(function (e, i) {
    elements.push({
      group: 'edges',
      data: { id: 'e' + i, source: e.s, target: e.t, label: e.p, modality: e.m || STATED }
    });
  });

  // Each modality's line as the payload gives it (cskg.style): colour, and a dash pattern in
  // multiples of the line's width, which cytoscape takes in pixels.
  var EDGE_WIDTH = 1.2;
  function modalityStyles() {
    return data.modalities.map(function (m) {
      var style = { 'line-color': m.colour, 'target-arrow-color': m.colour };
      if (m.dash.length) {
        style['line-style'] = 'dashed';
        style['line-dash-pattern'] = m.dash.map(function (d) { return d * EDGE_WIDTH; });
      }
      return { selector: 'edge[modality = "' + m.id + '"]', style: style };
    });
  }

  var cy = cytoscape({
    container: document.getElementById('graph'),
    elements: elements,
    minZoom: 0.05,
    maxZoom: 4,
    style: [
      { selector: 'node', style: {
        'background-color': 'data(colour)', 'width': 'data(size)', 'height': 'data(size)',
        'border-width': 1, 'border-color': '#ffffff',
        'label': 'data(short)', 'font-size': 11, 'color': '#1d2430',
        'text-valign': 'bottom', 'text-margin-y': 3, 'text-wrap': 'wrap',
        'text-max-width': 150, 'text-outline-color': '#fbfcfd', 'text-outline-width': 2,
        // labels appear once they are readable instead of blurring into each other
        'min-zoomed-font-size': 7
      } },
      { selector: 'edge', style: {
        'width': EDGE_WIDTH, 'line-color': '#b7bec8', 'curve-style': 'bezier',
        'target-arrow-shape': 'triangle', 'target-arrow-color': '#b7bec8', 'arrow-scale': 0.7,
        'font-size': 9, 'color': '#3a4350', 'text-rotation': 'autorotate',
        'text-background-color': '#ffffff', 'text-background-opacity': 0.85,
        'text-background-padding': 1
      } },
      { selector: '.faded', style: { 'opacity': 0.12, 'text-opacity': 0 } },
      { selector: 'node.match', style: {
        'border-width': 3, 'border-color': '#f2b01e', 'min-zoomed-font-size': 0 } },
      { selector: 'node.neighbour', style: { 'min-zoomed-font-size': 0, 'z-index': 8 } },
      { selector: 'edge.near', style: {
        'label': 'data(label)', 'width': 2, 'z-index': 9, 'font-size': 10,
        'min-zoomed-font-size': 6 } },
      { selector: 'node:selected', style: {
        'border-width': 4, 'border-color': '#1d2a3a', 'min-zoomed-font-size': 0,
        'font-weight': 'bold', 'z-index': 10 } },
      { selector: 'node.landmark', style: { 'min-zoomed-font-size': 0, 'font-weight': 'bold' } },
      { selector: 'node.second', style: { 'min-zoomed-font-size': 5 } },
      { selector: '.label-hidden', style: { 'text-opacity': 0 } },
      { selector: '.class-hidden, .modality-hidden', style: { 'display': 'none' } }
    ].concat(modalityStyles()),
    layout: { name: 'preset' }
  });

  // -- counter, fit -------------------------------------------------------------------------
  var counter = document.getElementById('counter');
  function visibleNodes() { return cy.nodes().filter(function (n) { return n.visible(); }); }
  function updateCounter() {
    // from the filter state: cytoscape may apply the new styles only at its next frame
    var shown = {};
    var nodes = 0;
    data.nodes.forEach(function (n) {
      if (!hiddenClasses[n.cls]) { shown[n.id] = true; nodes += 1; }
    });
    var edges = data.edges.filter(function (e) {
      return shown[e.s] && shown[e.t] && !hiddenModalities[e.m || STATED];
    }).length;
    counter.textContent = fill(ui.counter, { nodes: nodes, allNodes: data.nodes.length,
      edges: edges, allEdges: data.edges.length });
  }
  document.getElementById('fit').addEventListener('click', function () {
    cy.animate({ fit: { eles: visibleNodes(), padding: 30 } }, { duration: 300 });
  });

  // -- class filter (the legend) ------------------------------------------------------------
  var classList = document.getElementById('class-list');
  var boxes = {};
  data.classes.forEach(function (c) {
    var li = el('li');
    var label = el('label');
    var box = el('input');
    box.type = 'checkbox';
    box.checked = true;
    box.dataset.cls = c.id;
    box.addEventListener('change', function () { setClassVisible(c.id, box.checked); });
    boxes[c.id] = box;
    var swatch = el('span', 'swatch');
    swatch.style.backgroundColor = c.colour;
    label.appendChild(box);
    label.appendChild(swatch);
    label.appendChild(el('span', 'class-name', c.label));
    label.appendChild(el('span', 'count', c.count));
    label.title = c.id;
    li.appendChild(label);
    classList.appendChild(li);
  });
  function setClassVisible(cls, visible) {
    if (visible) delete hiddenClasses[cls]; else hiddenClasses[cls] = true;
    boxes[cls].checked = visible;
    cy.batch(function () {
      cy.nodes().filter(function (n) { return n.data('cls') === cls; })
        .toggleClass('class-hidden', !visible);
    });
    updateCounter();
    refreshLabels();
  }
  function setAllClasses(visible) {
    data.classes.forEach(function (c) { setClassVisible(c.id, visible); });
  }
  document.getElementById('all-classes').addEventListener('click', function () {
    setAllClasses(true);
  });
  document.getElementById('no-classes').addEventListener('click', function () {
    setAllClasses(false);
  });

  // -- modality filter (the edge legend) ---------------------------------------------------
  var SVG = 'http://www.w3.org/2000/svg';
  function lineSwatch(m) {
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'line');
    svg.setAttribute('width', '34');
    svg.setAttribute('height', '8');
    var line = document.createElementNS(SVG, 'line');
    line.setAttribute('x1', '0'); line.setAttribute('x2', '34');
    line.setAttribute('y1', '4'); line.setAttribute('y2', '4');
    line.setAttribute('stroke', m.colour);
    line.setAttribute('stroke-width', '2');
    if (m.dash.length) {
      line.setAttribute('stroke-dasharray', m.dash.map(function (d) { return d * 2; }).join(' '));
    }
    svg.appendChild(line);
    return svg;
  }
  var modalityList = document.getElementById('modality-list');
  var modalityBoxes = {};
  data.modalities.forEach(function (m) {
    var li = el('li');
    var label = el('label');
    var box = el('input');
    box.type = 'checkbox';
    box.checked = true;
    box.dataset.modality = m.id;
    box.addEventListener('change', function () { setModalityVisible(m.id, box.checked); });
    modalityBoxes[m.id] = box;
    label.appendChild(box);
    label.appendChild(lineSwatch(m));
    label.appendChild(el('span', 'class-name', m.label));
    label.appendChild(el('span', 'count', m.count));
    li.appendChild(label);
    modalityList.appendChild(li);
  });
  function setModalityVisible(modality, visible) {
    if (visible) delete hiddenModalities[modality]; else hiddenModalities[modality] = true;
    modalityBoxes[modality].checked = visible;
    cy.batch(function () {
      cy.edges().filter(function (e) { return e.data('modality') === modality; })
        .toggleClass('modality-hidden', !visible);
    });
    updateCounter();
    refreshLabels();
  }

  // -- labels -------------------------------------------------------------------------------
  // The overview labels the most connected nodes (landmarks) at a size that stays readable at
  // any zoom; the next ones appear as the view zooms in, the rest once their own size is
  // readable. Wherever labels are shown together, a label that would overlap a more
  // important one is hidden (declutter), so no two shown labels ever cover each other.
  var ranked = data.nodes.map(function (n) { return n.id; }).sort(function (a, b) {
    return (degree[b] || 0) - (degree[a] || 0) || (a < b ? -1 : 1);
  });
  var LANDMARKS = Math.min(30, Math.ceil(data.nodes.length / 12));
  var LANDMARK_PX = 13;
  cy.batch(function () {
    ranked.forEach(function (id, i) {
      if (i < LANDMARKS) cy.getElementById(id).addClass('landmark');
      else if (i < 4 * LANDMARKS) cy.getElementById(id).addClass('second');
    });
  });

  function labelBox(ele) {
    return ele.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true,
      includeOverlays: false, includeUnderlays: false });
  }
  function overlaps(a, b) {
    return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  }
  // Show the labels of `eles` (most important first) that overlap none shown before them.
  function declutter(eles) {
    var kept = [];
    cy.batch(function () {
      eles.forEach(function (ele) {
        ele.removeClass('label-hidden');
        if (!ele.visible()) return;
        var box = labelBox(ele);
        if (box.w === 0 || box.h === 0) return;
        if (kept.some(function (k) { return overlaps(k, box); })) ele.addClass('label-hidden');
        else kept.push(box);
      });
    });
  }
  var selectedHood = null;
  var hoodOrder = [];
  function landmarks() {
    return cy.nodes('.landmark').sort(function (a, b) {
      return ranked.indexOf(a.id()) - ranked.indexOf(b.id());
    });
  }
  function fitLandmarks() {
    // landmark labels keep LANDMARK_PX on screen until the zoom makes the usual size larger
    var size = Math.max(11, LANDMARK_PX / cy.zoom());
    cy.batch(function () { cy.nodes('.landmark').style('font-size', size); });
    declutter(selectedHood ? hoodOrder : landmarks());
  }
  // once the view or what is shown has settled (cytoscape restyles at its next frame)
  var labelTimer = null;
  function refreshLabels() {
    clearTimeout(labelTimer);
    labelTimer = setTimeout(fitLandmarks, 80);
  }
  cy.on('zoom', refreshLabels);

  // -- details panel ------------------------------------------------------------------------
  var details = document.getElementById('details');

  function nodeRef(id) {
    var n = nodeById[id];
    var b = el('button', 'node-ref', n ? (lang === 'zh' && n.zh ? n.zh : n.en) : id);
    b.type = 'button';
    b.title = n ? n.iri : id;
    b.addEventListener('click', function () { focusNode(id); });
    return b;
  }

  function evidence(li, e) {
    if (e.q !== undefined) li.appendChild(el('blockquote', 'quote', data.quotes[e.q]));
    if (e.sec === 'editorial') {
      li.appendChild(el('span', 'editorial', ui.editorial));
    } else if (/^[0-9]/.test(e.sec || '')) {
      li.appendChild(el('span', 'section', '§' + e.sec));
    } else if (e.sec) {
      li.appendChild(el('span', 'editorial', e.sec));
    }
  }

  function statementList(title, items, outgoing) {
    var frag = document.createDocumentFragment();
    frag.appendChild(el('h3', null, title + ' (' + items.length + ')'));
    var ul = el('ul', 'statements');
    items.forEach(function (e) {
      var li = el('li');
      var stmt = el('div', 'stmt');
      if (!outgoing) { stmt.appendChild(nodeRef(e.s)); }
      stmt.appendChild(el('span', 'pred', e.p));
      if (outgoing) { stmt.appendChild(nodeRef(e.t)); }
      var m = modalityById[e.m];
      if (m) {
        var badge = el('span', 'modality', m.label);
        badge.style.borderColor = m.colour;
        stmt.appendChild(badge);
      }
      li.appendChild(stmt);
      evidence(li, e);
      ul.appendChild(li);
    });
    frag.appendChild(ul);
    return frag;
  }

  function showDetails(id) {
    var n = nodeById[id];
    details.replaceChildren();
    if (!n) return;
    var main = lang === 'zh' && n.zh ? n.zh : n.en;
    var other = main === n.en ? n.zh : n.en;
    details.appendChild(el('h2', 'label', main));
    if (other) details.appendChild(el('p', 'other-label', other));
    if (n.alt && n.alt.length) details.appendChild(el('p', 'alt', ui.also + n.alt.join('; ')));
    var cls = classById[n.cls];
    var clsLine = el('div', 'class');
    var swatch = el('span', 'swatch');
    swatch.style.backgroundColor = cls ? cls.colour : '#999';
    clsLine.appendChild(swatch);
    clsLine.appendChild(el('span', null, cls ? cls.label : n.cls));
    details.appendChild(clsLine);
    // the IRI is text; the link goes to the node's page (http(s) only, made by interactive.py)
    details.appendChild(el('code', 'iri', n.iri));
    if (n.href) {
      var link = el('a', 'page-link', ui.link);
      link.href = n.href;
      link.rel = 'noopener noreferrer';
      details.appendChild(link);
    }
    if (n.props.length) {
      var dl = el('dl', 'props');
      n.props.forEach(function (kv) {
        dl.appendChild(el('dt', null, kv[0]));
        dl.appendChild(el('dd', null, Array.isArray(kv[1]) ? kv[1].join('; ') : kv[1]));
      });
      details.appendChild(dl);
    }
    var out = data.edges.filter(function (e) { return e.s === id; });
    var inc = data.edges.filter(function (e) { return e.t === id; });
    details.appendChild(statementList(ui.about, out, true));
    details.appendChild(statementList(ui.pointing, inc, false));
    details.scrollTop = 0;
  }

  function highlight(node) {
    cy.batch(function () {
      cy.elements().removeClass('faded near neighbour label-hidden');
      selectedHood = null;
      if (!node) return;
      var hood = node.closedNeighborhood();
      cy.elements().not(hood).addClass('faded');
      hood.edges().addClass('near');
      hood.nodes().addClass('neighbour');
      selectedHood = hood;
    });
    if (!node) { fitLandmarks(); return; }
    // the node, its neighbours by importance, then the labels of the edges between them
    hoodOrder = [node].concat(selectedHood.nodes().not(node).sort(function (a, b) {
      return ranked.indexOf(a.id()) - ranked.indexOf(b.id());
    }).toArray()).concat(selectedHood.edges().toArray());
    declutter(hoodOrder);
  }

  function focusNode(id) {
    var node = cy.getElementById(id);
    if (node.empty()) return;
    cy.nodes(':selected').unselect();
    node.select();
    highlight(node);
    showDetails(id);
    if (node.visible()) {
      // frame the node with its neighbours, at a zoom where their labels can be read
      var hood = node.closedNeighborhood().filter(function (e) { return e.visible(); });
      var box = hood.boundingBox();
      var zoom = Math.min(cy.width() / (box.w + 120), cy.height() / (box.h + 120));
      zoom = Math.max(0.6, Math.min(1.3, zoom));
      cy.stop();
      cy.animate({ zoom: zoom, center: { eles: hood } }, { duration: 250 });
    }
  }

  cy.on('tap', 'node', function (evt) { focusNode(evt.target.id()); });
  cy.on('tap', function (evt) {
    if (evt.target === cy) { cy.nodes(':selected').unselect(); highlight(null); }
  });

  // -- search -------------------------------------------------------------------------------
  var search = document.getElementById('search');
  var results = document.getElementById('results');
  function norm(s) { return String(s).normalize('NFKC').toLowerCase(); }
  var searchable = data.nodes.map(function (n) {
    return { id: n.id, names: [n.en, n.zh, n.label].concat(n.alt || []).filter(Boolean).map(norm) };
  });

  function findNodes(query) {
    var q = norm(query).trim();
    if (!q) return [];
    var hits = [];
    searchable.forEach(function (s) {
      var rank = 3;
      s.names.forEach(function (name) {
        if (name === q) rank = Math.min(rank, 0);
        else if (name.indexOf(q) === 0) rank = Math.min(rank, 1);
        else if (name.indexOf(q) > 0) rank = Math.min(rank, 2);
      });
      if (rank < 3) hits.push({ id: s.id, rank: rank, degree: degree[s.id] || 0 });
    });
    hits.sort(function (a, b) {
      return a.rank - b.rank || b.degree - a.degree || (a.id < b.id ? -1 : 1);
    });
    return hits.map(function (h) { return h.id; });
  }

  function showResults(ids) {
    results.replaceChildren();
    cy.nodes().removeClass('match');
    ids.forEach(function (id) { cy.getElementById(id).addClass('match'); });
    ids.slice(0, 30).forEach(function (id, i) {
      var n = nodeById[id];
      var li = el('li');
      var b = el('button', i === 0 ? 'active' : null);
      b.type = 'button';
      var swatch = el('span', 'swatch');
      swatch.style.backgroundColor = (classById[n.cls] || {}).colour || '#999';
      b.appendChild(swatch);
      b.appendChild(el('span', 'result-en', n.en));
      if (n.zh) b.appendChild(el('span', 'result-zh', n.zh));
      if (hiddenClasses[n.cls]) b.appendChild(el('span', 'hidden-node', ui.class_hidden));
      b.addEventListener('click', function () { focusNode(id); results.hidden = true; });
      li.appendChild(b);
      results.appendChild(li);
    });
    results.hidden = ids.length === 0;
  }

  search.addEventListener('input', function () {
    var ids = findNodes(search.value);
    showResults(ids);
    if (ids.length) focusNode(ids[0]);
  });
  search.addEventListener('keydown', function (evt) {
    if (evt.key === 'Escape') {
      search.value = '';
      showResults([]);
    } else if (evt.key === 'Enter') {
      var ids = findNodes(search.value);
      if (ids.length) focusNode(ids[0]);
      results.hidden = true;
    }
  });
  document.addEventListener('click', function (evt) {
    if (!results.contains(evt.target) && evt.target !== search) results.hidden = true;
  });
  search.addEventListener('focus', function () { results.hidden = results.childElementCount === 0; });

  // -- layout -------------------------------------------------------------------------------
  // cose from seeded start positions: deterministic, and separate components are packed.
  updateCounter();
  var layout = cy.layout({
    name: 'cose', randomize: false, animate: false, fit: true, padding: 30,
    nodeRepulsion: function () { return 6000; },
    idealEdgeLength: function () { return 60; },
    edgeElasticity: function () { return 100; },
    nodeOverlap: 12, componentSpacing: 40, gravity: 1.2, numIter: 2000,
    nodeDimensionsIncludeLabels: true,
    // the shape of the canvas, so the whole graph fills it when fitted
    boundingBox: { x1: 0, y1: 0, w: 2.4 * cy.width(), h: 2.4 * cy.height() }
  });
  layout.one('layoutstop', function () {
    fitLandmarks();
    document.body.dataset.ready = 'true';
  });
  layout.run();

  // for scripted use (and the tests): the graph, the data, and the actions the UI offers
  window.cskg = {
    cy: cy, data: data, focusNode: focusNode, findNodes: findNodes,
    setClassVisible: setClassVisible, setModalityVisible: setModalityVisible,
    landmarks: LANDMARKS, visibleNodeCount: function () { return visibleNodes().length; }
  };
})();
