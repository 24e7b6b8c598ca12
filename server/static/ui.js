// phasegate: small enhancements. Every page works without this file: forms
// post and redirect, pages are current when loaded. With it, pages follow
// the event stream and refresh the parts that changed, and destructive
// buttons ask first.
(function () {
  'use strict';

  // Confirmations: a button or form with data-confirm asks before it posts.
  document.addEventListener('submit', function (ev) {
    var btn = ev.submitter;
    var msg = (btn && btn.getAttribute('data-confirm')) || ev.target.getAttribute('data-confirm');
    if (msg && !window.confirm(msg)) {
      ev.preventDefault();
    }
  });

  var src = document.body.getAttribute('data-live');
  if (!src || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var status = document.querySelector('[data-live-status]');
  var say = function (text) {
    if (status) {
      status.textContent = text;
    }
  };

  // A part is left alone while someone works in it: focus inside it, or a
  // field holding text not yet sent (typed, or kept after a refusal).
  var inUse = function (el) {
    var f = document.activeElement;
    if (f && f !== document.body && el.contains(f)) {
      return true;
    }
    var fields = el.querySelectorAll('input[type=text], input[type=search], textarea');
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value !== '') {
        return true;
      }
    }
    return false;
  };

  var timer = null;
  var busy = false;
  var again = false;
  var stream = null;

  var refresh = function () {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.href, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { 'X-Phasegate-Refresh': '1' }
    }).then(function (res) {
      if (res.redirected && /\/login(\?|$)/.test(res.url)) {
        say('Your session has ended: reload the page to log in again.');
        stream.close();
        return null;
      }
      return res.ok ? res.text() : null;
    }).then(function (html) {
      if (!html) {
        return;
      }
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var parts = document.querySelectorAll('[data-live-part]');
      for (var i = 0; i < parts.length; i++) {
        var el = parts[i];
        var fresh = doc.getElementById(el.id);
        if (fresh && !inUse(el) && fresh.innerHTML !== el.innerHTML) {
          el.innerHTML = fresh.innerHTML;
        }
      }
      say('Live: updated at ' + new Date().toLocaleTimeString() + '.');
    }).catch(function () {
      say('Live updates paused: the server did not answer. Reload to see the latest state.');
    }).then(function () {
      busy = false;
      if (again) {
        again = false;
        schedule();
      }
    });
  };

  // Bursts (a bulk isolation is one event per system) become one refresh.
  var schedule = function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 600);
  };

  stream = new EventSource(src);
  stream.onopen = function () {
    say('Live: this page updates itself.');
  };
  stream.onerror = function () {
    say('Live updates reconnecting…');
  };
  var types = (document.body.getAttribute('data-live-events') || '').split(' ');
  for (var i = 0; i < types.length; i++) {
    if (types[i]) {
      stream.addEventListener(types[i], schedule);
    }
  }
})();
