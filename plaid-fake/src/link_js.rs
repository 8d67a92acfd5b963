//! The stand-in for Plaid's `link-initialize.js`: `window.Plaid.create(config)` with
//! `open`, `exit`, `destroy` and `submit`, drawing a small credentials modal (plain DOM,
//! styles through CSSOM so a strict CSP allows them) that completes Link against this
//! fake's `/link/complete`.

pub const LINK_INITIALIZE_JS: &str = r#"/* Plaid Link: local test stand-in (plaid-fake). Not Plaid's script. */
(function () {
  'use strict';
  var me = document.currentScript;
  var ORIGIN = me && me.src ? new URL(me.src, window.location.href).origin : window.location.origin;
  var INSTITUTIONS = [['ins_109508', 'First Platypus Bank'], ['ins_109509', 'First Gingham Credit Union']];
  var instances = 0;

  function post(path, body) {
    // envelope=1: expected failures come back as HTTP 200 with Plaid's error object, so
    // the page's console stays free of "Failed to load resource" errors.
    return fetch(ORIGIN + path + '?envelope=1', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (json) {
        json = json || {};
        return { ok: response.ok && typeof json.error_code !== 'string', body: json };
      });
    });
  }

  function networkError(e) {
    return {
      error_type: 'API_ERROR', error_code: 'INTERNAL_SERVER_ERROR',
      error_message: String((e && e.message) || e), display_message: 'Plaid could not be reached.',
      request_id: null, documentation_url: null, suggested_action: null
    };
  }

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (key === 'style') Object.assign(node.style, value);
      else if (key === 'role' || key.indexOf('aria-') === 0 || key.indexOf('data-') === 0) node.setAttribute(key, value);
      else node[key] = value;
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  var INPUT = { display: 'block', width: '100%', boxSizing: 'border-box', margin: '4px 0 12px', padding: '8px',
    font: 'inherit', border: '1px solid #8a8f98', borderRadius: '6px' };
  var BUTTON = { font: 'inherit', padding: '8px 16px', borderRadius: '6px', cursor: 'pointer', marginLeft: '8px' };

  function create(config) {
    config = config || {};
    var n = ++instances;
    var session = null;
    var overlay = null;
    var lastError = null;
    var destroyed = false;

    function call(name) {
      var fn = config[name];
      if (typeof fn !== 'function') return;
      var args = Array.prototype.slice.call(arguments, 1);
      try { fn.apply(null, args); } catch (e) { setTimeout(function () { throw e; }); }
    }

    function sessionId() { return (session && session.link_session_id) || null; }

    function emit(name, extra) {
      call('onEvent', name, Object.assign({
        link_session_id: sessionId(), request_id: null, timestamp: new Date().toISOString(),
        view_name: null, institution_id: null, institution_name: null,
        error_type: null, error_code: null, error_message: null, exit_status: null
      }, extra || {}));
    }

    var ready = post('/link/session', { link_token: config.token }).then(function (r) {
      session = r.ok ? r.body : { error: r.body };
    }, function (e) {
      session = { error: networkError(e) };
    }).then(function () { call('onLoad'); });

    function institutionOf(form) {
      if (session && session.institution) return session.institution;
      var select = form && form.querySelector('select');
      if (!select || select.selectedIndex < 0) return null;
      var option = select.options[select.selectedIndex];
      return { name: option.textContent, institution_id: option.value };
    }

    function remove() {
      if (overlay && overlay.parentNode) overlay.parentNode.removeChild(overlay);
      overlay = null;
    }

    function exitNow() {
      if (!overlay) return;
      var institution = institutionOf(overlay.querySelector('form'));
      var error = lastError;
      remove();
      emit('EXIT', { exit_status: 'requires_credentials', view_name: error ? 'ERROR' : 'CREDENTIAL' });
      call('onExit', error, {
        status: 'requires_credentials', link_session_id: sessionId(), institution: institution,
        request_id: error ? error.request_id || null : null
      });
    }

    function render() {
      if (destroyed || overlay) return;
      var update = !!(session && session.mode === 'update' && session.institution);
      var id = 'plaid-stand-in-' + n + '-';
      var form = el('form', { noValidate: true });
      var rows = [el('h2', { style: { margin: '0 0 16px', fontSize: '20px' } },
        [update ? 'Reconnect ' + session.institution.name : 'Connect your bank'])];
      if (!update) {
        rows.push(el('label', { htmlFor: id + 'institution' }, ['Institution']));
        rows.push(el('select', { id: id + 'institution', name: 'institution_id', style: INPUT },
          INSTITUTIONS.map(function (i) { return el('option', { value: i[0] }, [i[1]]); })));
      }
      var username = el('input', { id: id + 'username', name: 'username', type: 'text', autocomplete: 'off', style: INPUT });
      var password = el('input', { id: id + 'password', name: 'password', type: 'password', autocomplete: 'off', style: INPUT });
      rows.push(el('label', { htmlFor: id + 'username' }, ['Username']), username);
      rows.push(el('label', { htmlFor: id + 'password' }, ['Password']), password);
      var continueButton = el('button', { type: 'submit', style: Object.assign({ background: '#111', color: '#fff', border: '0' }, BUTTON) }, ['Continue']);
      var closeButton = el('button', { type: 'button', style: Object.assign({ background: '#fff', color: '#111', border: '1px solid #8a8f98' }, BUTTON) }, ['Close']);
      var buttons = el('div', { style: { display: 'flex', justifyContent: 'flex-end', marginTop: '8px' } }, [closeButton, continueButton]);
      rows.push(buttons);
      rows.forEach(function (row) { form.appendChild(row); });
      var alertBox = null;

      function showError(error) {
        lastError = error;
        if (!alertBox) {
          alertBox = el('p', { role: 'alert', style: { color: '#a4161a', margin: '0 0 8px' } });
          form.insertBefore(alertBox, buttons);
        }
        alertBox.textContent = error.display_message || error.error_message || error.error_code || 'Something went wrong.';
      }

      var mine = el('div', { 'data-plaid-stand-in': 'overlay', style: {
        position: 'fixed', top: '0', right: '0', bottom: '0', left: '0', zIndex: '2147483647',
        background: 'rgba(17, 17, 17, 0.55)', display: 'flex', alignItems: 'center', justifyContent: 'center'
      } }, [el('div', { role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Plaid Link (test stand-in)', style: {
        background: '#fff', color: '#111', padding: '24px', borderRadius: '12px', width: '340px', maxWidth: '92vw',
        fontFamily: 'system-ui, sans-serif', fontSize: '15px', boxShadow: '0 12px 40px rgba(0, 0, 0, 0.3)'
      } }, [form])]);

      form.addEventListener('submit', function (e) {
        e.preventDefault();
        if (continueButton.disabled) return;
        continueButton.disabled = true;
        var institution = institutionOf(form);
        emit('SUBMIT_CREDENTIALS', { view_name: 'CREDENTIAL',
          institution_id: institution && institution.institution_id, institution_name: institution && institution.name });
        post('/link/complete', {
          link_token: config.token, institution_id: institution && institution.institution_id,
          username: username.value, password: password.value, link_session_id: sessionId()
        }).catch(function (e) {
          return { ok: false, body: networkError(e) };
        }).then(function (r) {
          continueButton.disabled = false;
          if (overlay !== mine) return;
          if (!r.ok) {
            showError(r.body);
            emit('ERROR', { view_name: 'ERROR', error_type: r.body.error_type || null,
              error_code: r.body.error_code || null, error_message: r.body.error_message || null });
            return;
          }
          lastError = null;
          remove();
          emit('HANDOFF', { view_name: 'CONNECTED' });
          call('onSuccess', r.body.public_token, r.body.metadata);
        });
      });
      closeButton.addEventListener('click', exitNow);
      mine.addEventListener('keydown', function (e) { if (e.key === 'Escape') exitNow(); });

      overlay = mine;
      document.body.appendChild(mine);
      if (session && session.error) showError(session.error);
      username.focus();
      emit('OPEN', { view_name: update ? 'CREDENTIAL' : 'SELECT_INSTITUTION' });
    }

    return {
      open: function () { if (!destroyed) ready.then(render); },
      exit: function () { exitNow(); },
      destroy: function () { destroyed = true; remove(); },
      // Plaid's submit() passes a phone number to Layer; the stand-in has nothing to submit.
      submit: function () {}
    };
  }

  window.Plaid = { create: create, version: 'plaid-fake' };
})();
"#;
