/* The query page's workbench: YASGUI's editor (YASQE) and result views (YASR) over the site's own
   SPARQL endpoint. Everything it needs comes from the page (#workbench, written by the server):
   nothing is fetched from anywhere else. Without this script the page's plain form still works. */
(function () {
  "use strict";

  var Yasqe = window.Yasqe;
  var Yasr = window.Yasr;
  if (!Yasqe || !Yasr || !window.cskgChart) return; // the plain form stays
  var data = JSON.parse(document.getElementById("workbench").textContent);
  var texts = JSON.parse(document.getElementById("workbench-texts").textContent);
  var lang = document.documentElement.lang === "zh" ? "zh" : "en";
  var prefixes = {}; // in the server's order, the longest namespace first
  data.prefixes.forEach(function (pair) {
    prefixes[pair[0]] = pair[1];
  });

  // YASQE's grammar marks a prefix no PREFIX line declares as an error. The server declares the
  // project's prefixes for every query, so the editor's grammar starts with them declared too.
  function predeclarePrefixes() {
    var sparql = Yasqe.modes.sparql11;
    Yasqe.defineMode("sparql11", function (config, parserConfig) {
      var mode = sparql(config, parserConfig);
      var startState = mode.startState;
      mode.startState = function () {
        var state = startState.apply(mode, arguments);
        Object.keys(prefixes).forEach(function (prefix) {
          state.prefixes[prefix] = prefixes[prefix];
        });
        return state;
      };
      return mode;
    });
  }

  // The terms of `kind` whose prefixed name or label begins with what was typed.
  function matching(kind, typed) {
    var text = typed.replace(/^</, "").toLowerCase();
    return data.terms.filter(function (term) {
      if (term.kind !== kind) return false;
      var local = term.name.slice(term.name.indexOf(":") + 1).toLowerCase();
      return [term.name.toLowerCase(), local, term.en.toLowerCase(), term.zh].some(function (s) {
        return s && s.indexOf(text) === 0;
      });
    });
  }

  // YASQE's completers, fed from the page instead of the web: the project's prefixes instead of
  // prefix.cc's list, and the ontology's classes and properties (with their labels) instead of
  // Linked Open Vocabularies. Registered under YASQE's own names, so theirs are gone.
  function registerCompleters() {
    var names = Object.keys(prefixes).sort();
    Yasqe.registerAutocompleter(
      Object.assign({}, Yasqe.Autocompleters.prefixes, {
        get: names.map(function (p) {
          return p + ": <" + prefixes[p] + ">";
        }),
        persistenceId: null,
      })
    );
    var labels = {};
    data.terms.forEach(function (term) {
      labels[term.name] = (lang === "zh" && term.zh) || term.en;
    });
    ["class", "property"].forEach(function (kind) {
      Yasqe.registerAutocompleter(
        Object.assign({}, Yasqe.Autocompleters[kind], {
          name: kind,
          bulk: false,
          autoShow: true,
          persistenceId: null,
          preProcessToken: function (yasqe, token) {
            return token;
          },
          get: function (yasqe, token) {
            return matching(kind, token.string.trim()).map(function (term) {
              return term.name;
            });
          },
          postProcessSuggestion: function (yasqe, token, suggestion) {
            return suggestion;
          },
          postprocessHints: function (yasqe, hints) {
            hints.forEach(function (hint) {
              if (labels[hint.text]) hint.displayText = hint.text + "  " + labels[hint.text];
            });
            return hints;
          },
        })
      );
    });
  }

  // YASGUI's own words (its buttons, the table's controls and counts, its error header) in the
  // page's language: `texts.yasgui` maps each English text YASGUI writes, or its pattern with
  // {fields}, to the page's words. They are put in place whenever YASGUI draws; the answer's data
  // (the table's cells and column names, the editor's and the response's text, the chart) is
  // marked translate="no" instead, and never rewritten.
  var DATA = "tbody, .dt-column-title, .CodeMirror-lines, .errorMessage, .cskg-chart";
  var ATTRIBUTES = ["title", "aria-label", "placeholder"];

  function localiser(words) {
    var exact = {};
    var patterns = [];
    Object.keys(words).forEach(function (english) {
      if (english.indexOf("{") < 0) {
        exact[english] = words[english];
        return;
      }
      var names = [];
      var source = english.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, function (_, name) {
        names.push(name);
        return "(.+?)";
      });
      patterns.push({ regex: new RegExp("^" + source + "$"), names: names, words: words[english] });
    });

    // The page's words for `text`, or null when YASGUI did not write it.
    function say(text) {
      var trimmed = text.trim();
      var found = Object.prototype.hasOwnProperty.call(exact, trimmed) ? exact[trimmed] : null;
      for (var i = 0; found === null && i < patterns.length; i++) {
        var match = patterns[i].regex.exec(trimmed);
        if (!match) continue;
        found = patterns[i].words;
        patterns[i].names.forEach(function (name, k) {
          var value = match[k + 1];
          var shown = Object.prototype.hasOwnProperty.call(exact, value) ? exact[value] : value;
          found = found.split("{" + name + "}").join(shown);
        });
      }
      return found === null || found === trimmed ? null : text.replace(trimmed, function () {
        return found;
      });
    }

    function localise(node) {
      if (node.nodeType === Node.TEXT_NODE) {
        var said = say(node.nodeValue);
        if (said !== null) node.nodeValue = said;
        return;
      }
      if (node.nodeType !== Node.ELEMENT_NODE) return;
      if (node.matches(DATA)) {
        node.setAttribute("translate", "no");
        return;
      }
      // CodeMirror marks its whole box; its buttons are interface, its lines (in DATA) are not
      if (node.classList.contains("CodeMirror")) node.removeAttribute("translate");
      ATTRIBUTES.forEach(function (name) {
        var said = node.hasAttribute(name) ? say(node.getAttribute(name)) : null;
        if (said !== null) node.setAttribute(name, said);
      });
      node.childNodes.forEach(localise);
    }

    function inData(node) {
      var element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
      return !!(element && element.closest(DATA));
    }

    return function watch(root) {
      localise(root);
      new MutationObserver(function (records) {
        records.forEach(function (record) {
          if (inData(record.target)) return;
          if (record.type === "childList") record.addedNodes.forEach(localise);
          else localise(record.target);
        });
      }).observe(root, {
        childList: true,
        subtree: true,
        characterData: true,
        attributes: true,
        attributeFilter: ATTRIBUTES,
      });
    };
  }

  // The download links for the query `text` (of YASQE's `type`), and the link to share it.
  function showLinks(text, type) {
    var kind = type === "CONSTRUCT" || type === "DESCRIBE" ? "graph" : type === "ASK" ? "ask" : "select";
    var holder = document.getElementById("downloads");
    var formats = document.createElement("span");
    formats.setAttribute("translate", "no"); // the formats' names
    holder.textContent = texts.download + " ";
    holder.appendChild(formats);
    data.downloads[kind].forEach(function (download) {
      var link = document.createElement("a");
      link.href = data.sparql + "?" + new URLSearchParams({ query: text, format: download[1] });
      link.textContent = download[0];
      formats.appendChild(link);
      formats.appendChild(document.createTextNode(" "));
    });
    holder.appendChild(document.createTextNode("· "));
    document.getElementById("share").href = shareLink(text);
    document.getElementById("answer-links").hidden = false;
  }

  // The page with `text` run on it: a link that shows its answer, with or without JavaScript
  // (`data.page` may carry the page's language already).
  function shareLink(text) {
    var url = new URL(data.page, location.href);
    url.searchParams.set("query", text);
    return url.href;
  }

  function start() {
    var watch = localiser(texts.yasgui);
    watch(document.getElementById("editor"));
    watch(document.getElementById("yasr"));
    predeclarePrefixes();
    registerCompleters();
    Yasr.registerPlugin("chart", window.cskgChart(texts, data.numeric));

    var textarea = document.getElementById("query");
    var yasqe = new Yasqe(document.getElementById("editor"), {
      value: textarea.value,
      persistenceId: null, // the page's URL holds the query, not the browser's storage
      consumeShareLink: null,
      // (YASQE has no URL shortener unless one is configured: none is)
      createShareableLink: function (editor) {
        return new URL(shareLink(editor.getValue()), location.href).href;
      },
      editorHeight: "20rem",
      requestConfig: { endpoint: data.sparql, method: "POST" },
    });
    textarea.hidden = true; // the form still posts it: YASQE keeps it up to date
    yasqe.on("change", function () {
      textarea.value = yasqe.getValue();
    });
    var yasr = new Yasr(document.getElementById("yasr"), {
      persistenceId: null,
      prefixes: prefixes,
      pluginOrder: ["table", "chart", "response"],
      getDownloadFileName: function () {
        return "answer";
      },
    });
    yasqe.on("queryResponse", function (editor, response, duration) {
      yasr.setResponse(response, duration);
      ["results", "error"].forEach(function (id) {
        var stale = document.getElementById(id); // the server's answer to the query before
        if (stale) stale.hidden = true;
      });
      showLinks(editor.getValue(), editor.getQueryType());
      try {
        history.replaceState(null, "", shareLink(editor.getValue())); // the address to share
      } catch (error) {
        // a --base on another origin: the address bar keeps the page's own
      }
    });
    document.getElementById("example").addEventListener("change", function (event) {
      var text = data.library[event.target.value];
      if (text !== undefined) {
        yasqe.setValue(text);
        textarea.value = text;
      }
    });
    if (data.answer) yasr.setResponse(Object.assign({ status: 200 }, data.answer));
    window.cskgWorkbench = { yasqe: yasqe, yasr: yasr }; // for the console and the tests
  }

  start();
})();
