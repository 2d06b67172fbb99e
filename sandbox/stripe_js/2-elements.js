/* Stripe.js stand-in, part 2 of 3 (the server joins the parts in name order, inside the
 * function opened in 1-helpers.js): the Payment Element and Elements. */

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
