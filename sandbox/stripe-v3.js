/*
 * Stand-in for Stripe.js v3, served by the Stripe sandbox at /js.stripe.com/v3/.
 *
 * It implements the part of Stripe.js our payment page uses, with the same API, so that the page
 * runs unchanged against real Stripe: Stripe(pk) -> elements({clientSecret}) -> create('payment')
 * -> mount(); confirmPayment(); confirmSetup(); handleNextAction(); retrievePaymentIntent(). The payment
 * element is rendered into the page (no iframe) as a plain accessible card form. With a Customer
 * Session (elements({customerSessionClientSecret})) it lists the Customer's saved cards and offers
 * "Save this card for next time", as the real one does with the session's features.
 * Plain ES2017, no dependencies.
 */
(function () {
  'use strict';

  var script = document.currentScript ||
    document.querySelector('script[src*="/js.stripe.com/v3"]');
  // API calls go back to whichever sandbox served this file.
  var API_ORIGIN = script && script.src ? new URL(script.src, window.location.href).origin
    : window.location.origin;

  var MESSAGES = {
    incomplete_number: 'Your card number is incomplete.',
    invalid_number: 'Your card number is invalid.',
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration month is invalid.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    invalid_expiry_year: "Your card's expiration year is invalid.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    incomplete_cvc: "Your card's security code is incomplete.",
    invalid_cvc: "Your card's security code is invalid.",
  };
  var AUTH_FAILURE = {
    type: 'invalid_request_error',
    code: 'payment_intent_authentication_failure',
    message: 'We are unable to authenticate your payment method. Please choose a different ' +
      'payment method and try again.',
  };
  var CONNECTION_ERROR = {
    type: 'api_connection_error',
    message: 'We could not reach the payment server. Check your connection and try again.',
  };
  var CSS = [
    '.sbx-pe{font-family:var(--sbx-font,inherit);color:var(--sbx-text,#1f2937)}',
    '.sbx-pe fieldset{border:0;margin:0;padding:0;min-width:0}',
    '.sbx-pe legend{font-weight:600;padding:0;margin-bottom:.5rem}',
    '.sbx-pe__field{margin-bottom:.75rem}',
    '.sbx-pe__row{display:flex;gap:.75rem;flex-wrap:wrap}',
    '.sbx-pe__row>.sbx-pe__field{flex:1 1 8rem}',
    '.sbx-pe label{display:block;margin-bottom:.25rem;font-size:.95rem}',
    '.sbx-pe input{box-sizing:border-box;width:100%;padding:.6rem .7rem;font:inherit;' +
      'font-size:1rem;color:inherit;background:#fff;border:1px solid #6b7280;' +
      'border-radius:var(--sbx-radius,6px)}',
    '.sbx-pe input:focus{outline:3px solid var(--sbx-primary,#1d4ed8);outline-offset:2px}',
    '.sbx-pe input[aria-invalid="true"]{border-color:var(--sbx-danger,#b42318);border-width:2px}',
    '.sbx-pe__error{color:var(--sbx-danger,#b42318);font-size:.9rem;margin:.25rem 0 0}',
    '.sbx-pe__note{color:#374151;font-size:.85rem;margin:.25rem 0 0}',
    '.sbx-pe__choice{display:flex;align-items:center;gap:.5rem;margin:.35rem 0}',
    '.sbx-pe__choice input{width:auto;margin:0}',
    '.sbx-pe__saved{margin-bottom:.75rem}',
    '.sbx-3ds{max-width:28rem;border:1px solid #6b7280;border-radius:8px;padding:1.25rem;' +
      'color:#1f2937;background:#fff}',
    '.sbx-3ds::backdrop{background:rgba(17,24,39,.6)}',
    '.sbx-3ds[role="dialog"]{position:fixed;top:20%;left:50%;transform:translateX(-50%);' +
      'z-index:2147483647;box-shadow:0 0 0 100vmax rgba(17,24,39,.6)}',
    '.sbx-3ds h2{margin:0 0 .75rem;font-size:1.25rem}',
    '.sbx-3ds__actions{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1rem}',
    '.sbx-3ds button{font:inherit;padding:.55rem 1rem;border-radius:6px;cursor:pointer;' +
      'border:1px solid #1f2937;background:#fff;color:#1f2937}',
    '.sbx-3ds button[data-action="complete"]{background:#1d4ed8;border-color:#1d4ed8;color:#fff}',
    '.sbx-3ds button:focus{outline:3px solid #1d4ed8;outline-offset:2px}',
  ].join('\n');

  var uid = 0;
  var stylesAdded = false;

  function addStyles() {
    if (stylesAdded) return;
    stylesAdded = true;
    // A constructed stylesheet is not blocked by a strict style-src CSP, unlike <style>.
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
    } catch (e) {
      var style = document.createElement('style');
      style.textContent = CSS;
      document.head.appendChild(style);
    }
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === 'text') node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function integrationError(message) {
    var error = new Error(message);
    error.name = 'IntegrationError';
    return error;
  }

  function encode(params, prefix, out) {
    out = out || new URLSearchParams();
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      var name = prefix ? prefix + '[' + key + ']' : key;
      if (value === undefined || value === null) return;
      if (typeof value === 'object') encode(value, name, out);
      else out.append(name, String(value));
    });
    return out;
  }

  /* Resolves {status, body}, or {networkError: true} when the sandbox cannot be reached. */
  async function request(method, path, params) {
    var url = API_ORIGIN + path;
    var init = { method: method, credentials: 'omit' };
    if (method === 'GET') {
      url += '?' + encode(params).toString();
    } else {
      init.headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
      init.body = encode(params).toString();
    }
    var response;
    try {
      response = await fetch(url, init);
    } catch (e) {
      return { networkError: true };
    }
    var body;
    try {
      body = await response.json();
    } catch (e) {
      body = { error: { type: 'api_error', message: 'The payment server sent an invalid response.' } };
    }
    return { status: response.status, body: body };
  }

  function setupIdFromSecret(clientSecret) {
    var match = /^(seti_[A-Za-z0-9]+)_secret_/.exec(clientSecret || '');
    if (!match) throw integrationError('Invalid value for clientSecret: expected seti_..._secret_...');
    return match[1];
  }

  function cardLabel(pm) {
    var card = pm.card || {};
    var brand = (card.brand || 'card').charAt(0).toUpperCase() + (card.brand || 'card').slice(1);
    return brand + ' ending in ' + card.last4 + ', expires ' +
      String(card.exp_month).padStart(2, '0') + '/' + card.exp_year;
  }

  function intentIdFromSecret(clientSecret) {
    var match = /^(pi_[A-Za-z0-9]+)_secret_/.exec(clientSecret || '');
    if (!match) throw integrationError('Invalid value for clientSecret: expected pi_..._secret_...');
    return match[1];
  }

  function formatAmount(amount, currency) {
    try {
      var fmt = new Intl.NumberFormat(document.documentElement.lang || undefined,
        { style: 'currency', currency: currency.toUpperCase() });
      var digits = fmt.resolvedOptions().maximumFractionDigits;
      return fmt.format(amount / Math.pow(10, digits));
    } catch (e) {
      return (amount / 100).toFixed(2) + ' ' + currency.toUpperCase();
    }
  }

  /* ----------------------------------------------------------------- payment element */

  function digits(value) { return (value || '').replace(/\D/g, ''); }

  function validateNumber(value) {
    var d = digits(value);
    if (/[^\d\s-]/.test(value) || d.length > 16) return 'invalid_number';
    if (d.length < 16) return 'incomplete_number';
    return null;
  }

  function parseExpiry(value) {
    var d = digits(value);
    if (d.length !== 4 && d.length !== 6) return null;
    var year = Number(d.slice(2));
    return { month: Number(d.slice(0, 2)), year: year < 100 ? 2000 + year : year };
  }

  function validateExpiry(value) {
    var exp = parseExpiry(value);
    if (!exp) return digits(value).length > 6 ? 'invalid_expiry_year' : 'incomplete_expiry';
    if (exp.month < 1 || exp.month > 12) return 'invalid_expiry_month';
    var now = new Date();
    var year = now.getFullYear();
    if (exp.year < year) return 'invalid_expiry_year_past';
    if (exp.year > year + 50) return 'invalid_expiry_year';
    if (exp.year === year && exp.month < now.getMonth() + 1) return 'invalid_expiry_month_past';
    return null;
  }

  function validateCvc(value) {
    var d = digits(value);
    if (/\D/.test(value) || d.length > 3) return 'invalid_cvc';
    if (d.length < 3) return 'incomplete_cvc';
    return null;
  }

  function formatNumber(value) {
    return digits(value).slice(0, 16).replace(/(\d{4})(?=\d)/g, '$1 ');
  }

  function formatExpiry(value) {
    var d = digits(value).slice(0, 4);
    if (d.length === 1 && d > '1') d = '0' + d;  // "5" means May
    return d.length > 2 ? d.slice(0, 2) + ' / ' + d.slice(2) : d;
  }

  function PaymentElement(elements, options) {
    this._elements = elements;
    this._options = options || {};
    this._handlers = {};
    this._root = null;
    this._id = 'sbx' + (++uid);
  }

  PaymentElement.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };

  PaymentElement.prototype.once = function (event, handler) {
    var self = this;
    function wrapper(payload) { self.off(event, wrapper); handler(payload); }
    return this.on(event, wrapper);
  };

  PaymentElement.prototype.off = function (event, handler) {
    var list = this._handlers[event] || [];
    this._handlers[event] = handler ? list.filter(function (h) { return h !== handler; }) : [];
    return this;
  };

  PaymentElement.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).slice().forEach(function (handler) {
      handler(Object.assign({ elementType: 'payment' }, payload || {}));
    });
  };

  PaymentElement.prototype._field = function (name, label, autocomplete, placeholder, maxlength) {
    var self = this;
    var inputId = this._id + '-' + name;
    var input = el('input', {
      id: inputId, type: 'text', inputmode: 'numeric', autocomplete: autocomplete,
      placeholder: placeholder, maxlength: String(maxlength), spellcheck: 'false',
      autocorrect: 'off', 'aria-required': 'true', 'aria-invalid': 'false',
    });
    // No name attribute: card data must never be posted with the merchant's own form.
    var error = el('p', { id: inputId + '-error', class: 'sbx-pe__error', hidden: '' });
    input.addEventListener('input', function (event) { self._onInput(name, event); });
    input.addEventListener('blur', function () {
      if (input.value) self._setError(name, self._check(name));
    });
    this._fields[name] = { input: input, error: error, code: null };
    return el('div', { class: 'sbx-pe__field' }, [el('label', { for: inputId, text: label }), input, error]);
  };

  PaymentElement.prototype._check = function (name) {
    var value = this._fields[name].input.value;
    if (name === 'number') return validateNumber(value);
    if (name === 'expiry') return validateExpiry(value);
    return validateCvc(value);
  };

  PaymentElement.prototype._onInput = function (name, event) {
    var input = this._fields[name].input;
    var deleting = event && event.inputType && event.inputType.indexOf('delete') === 0;
    // Reformatting moves the caret to the end, so only do it while typing at the end.
    if (!deleting && input.selectionStart === input.value.length) {
      var formatted = name === 'number' ? formatNumber(input.value)
        : name === 'expiry' ? formatExpiry(input.value) : digits(input.value).slice(0, 3);
      if (formatted !== input.value) input.value = formatted;
    }
    if (this._fields[name].code && !this._check(name)) this._setError(name, null);
    this._emit('change', this._state());
  };

  PaymentElement.prototype._setError = function (name, code) {
    var field = this._fields[name];
    field.code = code;
    field.input.setAttribute('aria-invalid', code ? 'true' : 'false');
    field.error.textContent = code ? MESSAGES[code] : '';
    field.error.hidden = !code;
    if (code) field.input.setAttribute('aria-describedby', field.error.id);
    else field.input.removeAttribute('aria-describedby');
  };

  PaymentElement.prototype._state = function () {
    var self = this;
    var names = Object.keys(this._fields);
    return {
      empty: names.every(function (n) { return !self._fields[n].input.value; }),
      complete: names.every(function (n) { return !self._check(n); }),
      collapsed: false,
      value: { type: 'card' },
    };
  };

  /* The card, or {error} after marking every invalid field (focus goes to the first). */
  PaymentElement.prototype._collect = function () {
    var self = this;
    var first = null;
    if (this._savedChoice()) return { saved: this._savedChoice() };
    ['number', 'expiry', 'cvc'].forEach(function (name) {
      var code = self._check(name);
      self._setError(name, code);
      if (code && !first) first = { name: name, code: code };
    });
    if (first) {
      this._fields[first.name].input.focus();
      return { error: { type: 'validation_error', code: first.code, message: MESSAGES[first.code] } };
    }
    var exp = parseExpiry(this._fields.expiry.input.value);
    return {
      save: !!(this._save && this._save.checked),
      card: {
        number: digits(this._fields.number.input.value),
        exp_month: exp.month,
        exp_year: exp.year,
        cvc: digits(this._fields.cvc.input.value),
      },
    };
  };

  PaymentElement.prototype._setBusy = function (busy) {
    if (!this._root) return;
    this._root.setAttribute('aria-busy', busy ? 'true' : 'false');
    var fields = this._fields;
    Object.keys(fields).forEach(function (n) { fields[n].input.readOnly = busy; });
  };

  function applyAppearance(root, appearance) {
    var vars = (appearance && appearance.variables) || {};
    var map = {
      colorPrimary: '--sbx-primary', colorText: '--sbx-text', colorDanger: '--sbx-danger',
      fontFamily: '--sbx-font', borderRadius: '--sbx-radius',
    };
    Object.keys(map).forEach(function (name) {
      if (vars[name]) root.style.setProperty(map[name], vars[name]);
    });
  }

  PaymentElement.prototype.mount = function (target) {
    var self = this;
    var container = typeof target === 'string' ? document.querySelector(target) : target;
    if (!container || typeof container.appendChild !== 'function') {
      throw integrationError('mount(): no element matches ' + String(target) + '.');
    }
    if (this._root) this.unmount();
    addStyles();
    this._fields = {};
    var root = el('div', { class: 'sbx-pe', 'data-sandbox-payment-element': '' });
    applyAppearance(root, this._elements._appearance);
    var saved = el('div', { class: 'sbx-pe__saved', hidden: '' });
    root.appendChild(saved);
    var card = el('fieldset', {}, [
      el('legend', { text: 'Card details' }),
      this._field('number', 'Card number', 'cc-number', '1234 1234 1234 1234', 19),
      el('div', { class: 'sbx-pe__row' }, [
        this._field('expiry', 'Expiration date (MM / YY)', 'cc-exp', 'MM / YY', 7),
        this._field('cvc', 'Security code (CVC)', 'cc-csc', 'CVC', 3),
      ]),
      el('p', {
        class: 'sbx-pe__note',
        text: 'Test mode: use 4242 4242 4242 4242 with any future date and any 3-digit CVC.',
      }),
    ]);
    root.appendChild(card);
    this._card = card;
    this._choices = [];
    this._save = null;
    root.addEventListener('focusin', function (event) {
      if (!root.contains(event.relatedTarget)) self._emit('focus');
    });
    root.addEventListener('focusout', function (event) {
      if (!root.contains(event.relatedTarget)) self._emit('blur');
    });
    container.appendChild(root);
    this._root = root;
    // Asynchronous like Stripe's, so handlers attached right after mount() still see it.
    this._elements._session().then(function (session) {
      if (self._root !== root) return;
      if (session) self._showSession(session, saved, card);
      self._emit('ready');
    });
    return this;
  };

  /* The Customer Session's saved cards (default first, chosen) and the "save" box. */
  PaymentElement.prototype._showSession = function (session, saved, card) {
    var self = this;
    var features = session.features || {};
    var cards = (session.payment_methods || []).slice().sort(function (a, b) {
      return (b.id === session.default_payment_method) - (a.id === session.default_payment_method);
    });
    if (features.payment_method_save === 'enabled' && this._elements._mode !== 'setup') {
      this._save = el('input', { type: 'checkbox', id: this._id + '-save' });
      card.appendChild(el('div', { class: 'sbx-pe__choice' }, [this._save,
        el('label', { for: this._id + '-save', text: 'Save this card for next time' })]));
    }
    if (!cards.length) return;
    var name = this._id + '-pm';
    var group = el('fieldset', {}, [el('legend', { text: 'Saved cards' })]);
    cards.concat([null]).forEach(function (pm, i) {
      var input = el('input', { type: 'radio', name: name, id: name + i, value: pm ? pm.id : '' });
      if (i === 0) input.checked = true;
      input.addEventListener('change', function () { self._toggleCard(); });
      self._choices.push(input);
      group.appendChild(el('div', { class: 'sbx-pe__choice' }, [input,
        el('label', { for: name + i, text: pm ? cardLabel(pm) : 'Use a new card' })]));
    });
    saved.appendChild(group);
    saved.hidden = false;
    this._toggleCard();
  };

  PaymentElement.prototype._savedChoice = function () {
    var chosen = (this._choices || []).filter(function (c) { return c.checked; })[0];
    return chosen && chosen.value ? chosen.value : null;
  };

  PaymentElement.prototype._toggleCard = function () {
    this._card.hidden = !!this._savedChoice();
    this._emit('change', this._state());
  };

  PaymentElement.prototype.unmount = function () {
    if (this._root && this._root.parentNode) this._root.parentNode.removeChild(this._root);
    this._root = null;
    return this;
  };

  PaymentElement.prototype.destroy = function () {
    this.unmount();
    this._elements._elements.payment = null;
  };

  PaymentElement.prototype.focus = function () {
    if (this._root) this._fields.number.input.focus();
  };

  PaymentElement.prototype.blur = function () {
    if (this._root && this._root.contains(document.activeElement)) document.activeElement.blur();
  };

  PaymentElement.prototype.clear = function () {
    var self = this;
    if (!this._root) return;
    Object.keys(this._fields).forEach(function (n) {
      self._fields[n].input.value = '';
      self._setError(n, null);
    });
    this._emit('change', this._state());
  };

  PaymentElement.prototype.update = function (options) {
    Object.assign(this._options, options || {});
  };

  PaymentElement.prototype.collapse = function () { return this; };

  /* ----------------------------------------------------------------- elements group */

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._clientSecret = options.clientSecret || null;
    this._customerSession = options.customerSessionClientSecret || null;
    this._mode = /^seti_/.test(this._clientSecret || '') ? 'setup' : 'payment';
    this._sessionPromise = null;
    this._appearance = options.appearance || {};
    this._elements = {};
  }

  Elements.prototype.create = function (type, options) {
    if (type !== 'payment') {
      throw integrationError('The Stripe sandbox only implements the "payment" Element, not "' +
        type + '".');
    }
    if (this._elements.payment) throw integrationError('Can only create one Element of type payment.');
    this._elements.payment = new PaymentElement(this, options);
    return this._elements.payment;
  };

  Elements.prototype.getElement = function (type) { return this._elements[type] || null; };

  /* What Stripe.js fetches for a Customer Session; null without one (or if it fails). */
  Elements.prototype._session = function () {
    if (!this._customerSession) return Promise.resolve(null);
    if (!this._sessionPromise) {
      this._sessionPromise = request('POST', '/v1/_elements/customer_session', {
        key: this._stripe._key, customer_session_client_secret: this._customerSession,
      }).then(function (res) { return res.networkError || res.body.error ? null : res.body; });
    }
    return this._sessionPromise;
  };

  Elements.prototype.update = function (options) {
    if (options && options.appearance) {
      this._appearance = options.appearance;
      var element = this._elements.payment;
      if (element && element._root) applyAppearance(element._root, this._appearance);
    }
  };

  Elements.prototype.fetchUpdates = function () { return Promise.resolve({}); };

  Elements.prototype.submit = function () {
    var element = this._elements.payment;
    if (!element || !element._root) return Promise.reject(integrationError('No mounted payment Element.'));
    var collected = element._collect();
    return Promise.resolve(collected.error ? { error: collected.error } : {});
  };

  /* ----------------------------------------------------------------- 3-D Secure dialog */

  /* Resolves true for "Complete authentication", false for "Fail authentication" or Escape. */
  function authenticate(intent) {
    addStyles();
    return new Promise(function (resolve) {
      var id = 'sbx3ds' + (++uid);
      var previous = document.activeElement;
      var native = typeof document.createElement('dialog').showModal === 'function';
      var dialog = el(native ? 'dialog' : 'div', {
        class: 'sbx-3ds', 'aria-labelledby': id + '-title', 'aria-describedby': id + '-desc',
      });
      if (!native) {
        dialog.setAttribute('role', 'dialog');
        dialog.setAttribute('aria-modal', 'true');
      }
      var complete = el('button', { type: 'button', 'data-action': 'complete', text: 'Complete authentication' });
      var fail = el('button', { type: 'button', 'data-action': 'fail', text: 'Fail authentication' });
      dialog.appendChild(el('h2', { id: id + '-title', text: '3D Secure authentication (test)' }));
      dialog.appendChild(el('p', {
        id: id + '-desc',
        text: (intent.object === 'setup_intent' ? 'Your bank asks you to confirm saving this card'
          : 'Your bank asks you to confirm this payment of ' +
            formatAmount(intent.amount, intent.currency)) +
          '. This is a test: choose whether the check succeeds.',
      }));
      dialog.appendChild(el('div', { class: 'sbx-3ds__actions' }, [complete, fail]));

      var done = false;
      function finish(ok) {
        if (done) return;
        done = true;
        document.removeEventListener('keydown', onKey, true);
        if (native && dialog.open) dialog.close();
        dialog.remove();
        if (previous && typeof previous.focus === 'function' && document.contains(previous)) {
          previous.focus();
        }
        resolve(ok);
      }
      function onKey(event) {
        if (event.key === 'Escape') {
          event.preventDefault();
          finish(false);
        } else if (event.key === 'Tab' && !native) {
          // Without <dialog> we keep focus inside ourselves.
          event.preventDefault();
          (document.activeElement === complete ? fail : complete).focus();
        }
      }
      complete.addEventListener('click', function () { finish(true); });
      fail.addEventListener('click', function () { finish(false); });
      if (native) dialog.addEventListener('cancel', function (e) { e.preventDefault(); finish(false); });
      document.addEventListener('keydown', onKey, true);
      document.body.appendChild(dialog);
      if (native) dialog.showModal();
      complete.focus();
    });
  }

  /* ----------------------------------------------------------------- Stripe */

  function withParams(url, params) {
    var hashAt = url.indexOf('#');
    var hash = hashAt >= 0 ? url.slice(hashAt) : '';
    var base = hashAt >= 0 ? url.slice(0, hashAt) : url;
    var query = Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]);
    }).join('&');
    return base + (base.indexOf('?') >= 0 ? '&' : '?') + query + hash;
  }

  function connectionError() { return { error: Object.assign({}, CONNECTION_ERROR) }; }

  function Stripe(publishableKey, options) {
    if (!(this instanceof Stripe)) return new Stripe(publishableKey, options);
    if (typeof publishableKey !== 'string' || publishableKey.indexOf('pk_') !== 0) {
      throw integrationError('Invalid value for Stripe(): apiKey should be a publishable key (pk_...).');
    }
    this._key = publishableKey;
  }

  Stripe.prototype.elements = function (options) {
    return new Elements(this, options || {});
  };

  Stripe.prototype.retrievePaymentIntent = async function (clientSecret) {
    var id = intentIdFromSecret(clientSecret);
    var res = await request('GET', '/v1/payment_intents/' + id,
      { key: this._key, client_secret: clientSecret });
    if (res.networkError) return connectionError();
    if (res.body.error) return { error: res.body.error };
    return { paymentIntent: res.body };
  };

  /* Like Stripe.js: finish an intent in requires_action (re-open the 3-D Secure dialog); an
   * intent in any other status is an integration error. Never redirects for a card. */
  Stripe.prototype.handleNextAction = async function (options) {
    var clientSecret = options && options.clientSecret;
    var id = intentIdFromSecret(clientSecret);
    var res = await request('GET', '/v1/payment_intents/' + id,
      { key: this._key, client_secret: clientSecret });
    if (res.networkError) return connectionError();
    if (res.body.error) return { error: res.body.error };
    if (res.body.status !== 'requires_action') {
      throw integrationError('handleNextAction: the PaymentIntent has the status ' +
        res.body.status + ', not requires_action.');
    }
    return this._settle(res, clientSecret, null, 'if_required');
  };

  Stripe.prototype.confirmPayment = function (params) {
    params = params || {};
    var elements = params.elements;
    if (!(elements instanceof Elements)) {
      return Promise.reject(integrationError('confirmPayment(): pass the `elements` you mounted.'));
    }
    var element = elements.getElement('payment');
    if (!element || !element._root) {
      return Promise.reject(integrationError('confirmPayment(): mount the payment Element first.'));
    }
    var redirect = params.redirect || 'always';
    var confirmParams = params.confirmParams || {};
    if (redirect !== 'always' && redirect !== 'if_required') {
      return Promise.reject(integrationError('confirmPayment(): redirect must be "always" or "if_required".'));
    }
    if (redirect === 'always' && !confirmParams.return_url) {
      return Promise.reject(integrationError('confirmPayment(): confirmParams.return_url is required.'));
    }
    var clientSecret = params.clientSecret || elements._clientSecret;
    try {
      intentIdFromSecret(clientSecret);
    } catch (e) {
      return Promise.reject(e);
    }
    // A second click while the first confirmation runs shares its outcome.
    if (!element._pending) {
      element._pending = this._confirm(element, clientSecret, confirmParams, redirect);
      var clear = function () { element._pending = null; };
      element._pending.then(clear, clear);
    }
    return element._pending;
  };

  Stripe.prototype._confirm = async function (element, clientSecret, confirmParams, redirect) {
    var collected = element._collect();
    if (collected.error) return { error: collected.error };
    element._setBusy(true);
    try {
      var pmId = collected.saved;
      if (!pmId) {
        var pm = await this._createCard(collected, confirmParams);
        if (pm.error) return pm;
        pmId = pm.id;
      }
      var confirm = { key: this._key, client_secret: clientSecret, payment_method: pmId };
      if (collected.save) confirm.setup_future_usage = 'on_session';
      if (confirmParams.return_url) confirm.return_url = confirmParams.return_url;
      if (confirmParams.receipt_email) confirm.receipt_email = confirmParams.receipt_email;
      var res = await request('POST', '/v1/payment_intents/' + intentIdFromSecret(clientSecret) +
        '/confirm', confirm);
      return await this._settle(res, clientSecret, confirmParams.return_url, redirect);
    } finally {
      element._setBusy(false);
    }
  };

  /* A PaymentMethod from the typed card; one the shopper saves may be shown again. */
  Stripe.prototype._createCard = async function (collected, confirmParams) {
    var pmParams = { key: this._key, type: 'card', card: collected.card };
    var pmData = confirmParams.payment_method_data;
    if (pmData && pmData.billing_details) pmParams.billing_details = pmData.billing_details;
    if (collected.save) pmParams.allow_redisplay = 'always';
    var pm = await request('POST', '/v1/payment_methods', pmParams);
    if (pm.networkError) return connectionError();
    if (pm.body.error) return { error: pm.body.error };
    return pm.body;
  };

  /* Save a card through a SetupIntent (3-D Secure where the card asks), then return. */
  Stripe.prototype.confirmSetup = async function (params) {
    params = params || {};
    var elements = params.elements;
    var element = elements instanceof Elements ? elements.getElement('payment') : null;
    if (!element || !element._root) throw integrationError('confirmSetup(): mount the payment Element first.');
    var confirmParams = params.confirmParams || {};
    var redirect = params.redirect || 'always';
    if (redirect === 'always' && !confirmParams.return_url) {
      throw integrationError('confirmSetup(): confirmParams.return_url is required.');
    }
    var clientSecret = params.clientSecret || elements._clientSecret;
    var id = setupIdFromSecret(clientSecret);
    var collected = element._collect();
    if (collected.error) return { error: collected.error };
    element._setBusy(true);
    try {
      var pm = await this._createCard({ card: collected.card, save: true }, confirmParams);
      if (pm.error) return pm;
      var res = await request('POST', '/v1/setup_intents/' + id + '/confirm', {
        key: this._key, client_secret: clientSecret, payment_method: pm.id,
        return_url: confirmParams.return_url,
      });
      if (!res.networkError && !res.body.error && res.body.status === 'requires_action') {
        var ok = await authenticate(res.body);
        res = await request('POST', '/v1/setup_intents/' + id + '/_authenticate',
          { key: this._key, client_secret: clientSecret, success: ok ? 'true' : 'false' });
      }
      if (res.networkError) return connectionError();
      if (res.body.error) return { error: res.body.error };
      if (res.body.status !== 'succeeded') {
        return { error: Object.assign({}, res.body.last_setup_error || AUTH_FAILURE,
          { setup_intent: res.body }) };
      }
      if (redirect === 'if_required') return { setupIntent: res.body };
      window.location.assign(withParams(confirmParams.return_url, {
        setup_intent: res.body.id, setup_intent_client_secret: clientSecret,
        redirect_status: 'succeeded',
      }));
      return new Promise(function () {});
    } finally {
      element._setBusy(false);
    }
  };

  Stripe.prototype._settle = async function (res, clientSecret, returnUrl, redirect) {
    if (res.networkError) return connectionError();
    if (res.body.error) return { error: res.body.error };
    var intent = res.body;
    if (intent.status === 'succeeded' || intent.status === 'processing' ||
        intent.status === 'requires_capture') {
      if (redirect === 'if_required') return { paymentIntent: intent };
      window.location.assign(withParams(returnUrl, {
        payment_intent: intent.id,
        payment_intent_client_secret: clientSecret,
        redirect_status: 'succeeded',
      }));
      return new Promise(function () {});  // like Stripe.js: the page is going away
    }
    if (intent.status === 'requires_action') {
      var ok = await authenticate(intent);
      var auth = await request('POST', '/v1/payment_intents/' + intent.id + '/_authenticate',
        { key: this._key, client_secret: clientSecret, success: ok ? 'true' : 'false' });
      if (!auth.networkError && !auth.body.error && auth.body.status === 'requires_payment_method') {
        return { error: Object.assign({}, AUTH_FAILURE, { payment_intent: auth.body }) };
      }
      return this._settle(auth, clientSecret, returnUrl, redirect);
    }
    var error = intent.last_payment_error ||
      { type: 'invalid_request_error', message: 'The payment could not be completed.' };
    return { error: Object.assign({}, error, { payment_intent: intent }) };
  };

  window.Stripe = Stripe;
})();
