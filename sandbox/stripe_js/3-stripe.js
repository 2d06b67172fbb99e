/* Stripe.js stand-in, part 3 of 3: the 3-D Secure dialog and Stripe(); closes the function
 * opened in 1-helpers.js. */

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
